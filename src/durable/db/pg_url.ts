/**
 * Reading a `postgres://` URL without ever leaking its password: the parts a message may show
 * (`host:port`, database, user) and a redacted form of the whole URL.
 *
 * @module
 */

import { DatabaseUrlError } from "./errors.ts";

/** The displayable parts of a database URL. None of them holds the password. */
export interface DatabaseUrlInfo {
  /** Host name or address, e.g. `127.0.0.1`. */
  readonly host: string;
  /** Port number (5432 when the URL names none). */
  readonly port: number;
  /** `host:port`, the form error messages use. */
  readonly address: string;
  /** Database name (empty when the URL names none). */
  readonly database: string;
  /** User name (empty when the URL names none). */
  readonly user: string;
  /** The URL with its password replaced by `***`. */
  readonly redacted: string;
  /** The password itself (empty when none): only for scrubbing it out of third-party messages. */
  readonly password: string;
}

/**
 * Replaces the password of a URL with `***`, both the one before `@` and any `password=` (or
 * `sslpassword=`) query parameter. Text that does not parse as a URL is scrubbed with patterns
 * instead (`scheme://user:secret@` becomes `scheme://user:***@`), so a malformed URL is still
 * safe to print.
 *
 * @param url any URL-like text
 * @returns the same text without the password
 *
 * @example
 * ```ts
 * import { redactUrl } from "@deno-tasker/tasker/durable";
 * redactUrl("postgres://app:s3cret@db:5432/tasker"); // "postgres://app:***@db:5432/tasker"
 * redactUrl("postgres://db/tasker?password=s3cret"); // "postgres://db/tasker?password=***"
 * ```
 */
export function redactUrl(url: string): string {
  let redacted: string;
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    redacted = parsed.href;
  } catch {
    redacted = url.replace(/(\/\/[^/@:]*:)[^/@]*@/, "$1***@");
  }
  return redacted.replace(QUERY_PASSWORD, "$1***");
}

/** A query parameter holding a password (`password=`, `sslpassword=`), up to its value. */
const QUERY_PASSWORD = /([?&][^=&#]*password=)[^&#]*/gi;

/**
 * Parses a `postgres://` or `postgresql://` URL into its displayable parts.
 *
 * @param url the connection URL, e.g. from `DATABASE_URL`
 * @throws {DatabaseUrlError} when it is not a URL or not a PostgreSQL one
 *
 * @example
 * ```ts
 * import { parseDatabaseUrl } from "@deno-tasker/tasker/durable";
 * parseDatabaseUrl("postgres://app:secret@127.0.0.1:5433/tasker").address; // "127.0.0.1:5433"
 * ```
 */
export function parseDatabaseUrl(url: string): DatabaseUrlInfo {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparseable text has no reliable password position: show none of it.
    throw new DatabaseUrlError("(value withheld)", "not a URL");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new DatabaseUrlError(
      redactUrl(url),
      `expected postgres:// or postgresql://, got ${parsed.protocol}//`,
    );
  }
  const host = decodeURIComponent(parsed.hostname) || "localhost";
  const port = parsed.port === "" ? 5432 : Number(parsed.port);
  return {
    host,
    port,
    address: `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")),
    user: decodeURIComponent(parsed.username),
    redacted: redactUrl(url),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * Removes every occurrence of `secret` from `text` (a no-op for an empty secret).
 *
 * @example
 * ```ts
 * import { scrubSecret } from "./pg_url.ts";
 * scrubSecret("auth failed for s3cret", "s3cret"); // "auth failed for ***"
 * ```
 */
export function scrubSecret(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join("***");
}
