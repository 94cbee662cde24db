/**
 * The typed errors of the database layer: an unreachable or closed database, a malformed
 * `DATABASE_URL` and a failed migration.
 *
 * @module
 */

import { TaskerError } from "../../errors.ts";

/**
 * The database cannot be reached: connection refused, timed out, dropped, or the embedded engine
 * failed to start. `address` names where (`host:port`, or `pglite` with its data directory); it
 * never contains a password.
 *
 * @example
 * ```ts
 * import { DatabaseUnavailableError } from "@deno-tasker/tasker/durable";
 * const error = new DatabaseUnavailableError("127.0.0.1:5432", "connection refused");
 * console.log(error.code, error.address); // E_DATABASE_UNAVAILABLE 127.0.0.1:5432
 * ```
 */
export class DatabaseUnavailableError extends TaskerError {
  /** Where the database was expected: `host:port` or `pglite (...)`. Never holds a password. */
  readonly address: string;
  /**
   * Creates the error; the message reads `database at <address> is unavailable: <reason>`.
   *
   * @param address `host:port` (or a PGlite description) that could not be reached
   * @param reason why, in words (already free of secrets)
   * @param options standard error options (`cause`)
   */
  constructor(address: string, reason: string, options?: ErrorOptions) {
    super("E_DATABASE_UNAVAILABLE", `database at ${address} is unavailable: ${reason}`, options);
    this.address = address;
  }
}

/**
 * A query, transaction or subscription was attempted on a database that was already closed.
 *
 * @example
 * ```ts
 * import { DatabaseClosedError } from "@deno-tasker/tasker/durable";
 * throw new DatabaseClosedError("postgres 127.0.0.1:5432/tasker");
 * ```
 */
export class DatabaseClosedError extends TaskerError {
  /**
   * Creates the error for the named database.
   *
   * @param description which database (as `describeDatabase` prints it)
   */
  constructor(description: string) {
    super("E_DATABASE_CLOSED", `database ${description} is closed`);
  }
}

/**
 * A database URL that cannot be used: not a URL, or not `postgres://` / `postgresql://`. The
 * message shows the URL with its password replaced by `***`.
 *
 * @example
 * ```ts
 * import { DatabaseUrlError } from "@deno-tasker/tasker/durable";
 * throw new DatabaseUrlError("mysql://***@db/x", "expected postgres:// or postgresql://");
 * ```
 */
export class DatabaseUrlError extends TaskerError {
  /**
   * Creates the error; pass the URL already redacted.
   *
   * @param redactedUrl the URL with its password removed
   * @param reason what is wrong with it
   */
  constructor(redactedUrl: string, reason: string) {
    super("E_DATABASE_URL_INVALID", `invalid database URL ${redactedUrl}: ${reason}`);
  }
}

/**
 * A migration list that is malformed, or a migration whose SQL failed (then nothing of that run
 * was applied: all pending migrations share one transaction).
 *
 * @example
 * ```ts
 * import { MigrationError } from "@deno-tasker/tasker/durable";
 * throw new MigrationError("migration 2 (tasks) failed: syntax error");
 * ```
 */
export class MigrationError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what failed, naming the migration's version and name
   * @param options standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super("E_MIGRATION_FAILED", message, options);
  }
}
