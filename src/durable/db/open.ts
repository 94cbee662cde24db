/**
 * Choosing and opening the database: a PostgreSQL server when a URL is given (or `DATABASE_URL`
 * is set), otherwise embedded PGlite (in `TASKER_DATA_DIR`, or in memory). Plus a one-line
 * description and a health probe for `deno task start`.
 *
 * @module
 */

import type { Database, DatabaseKind } from "./database.ts";
import { withinDeadline } from "../../deadline.ts";
import { readEnv } from "../../env.ts";
import { errorMessage } from "../../error_message.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres, type PostgresOptions } from "./postgres.ts";
import { redactUrl } from "./pg_url.ts";

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL URL; defaults to the `DATABASE_URL` environment variable. */
  url?: string;
  /** PGlite data directory when no URL applies; defaults to `TASKER_DATA_DIR`, else in memory. */
  dataDir?: string;
  /** Pool size for PostgreSQL (default 10). */
  poolSize?: number;
  /** PostgreSQL: most SQL texts run as prepared statements (default 500; `0`: none, for PgBouncer). */
  preparedStatements?: number;
  /** PostgreSQL: the sessions' `plan_cache_mode` (default: the server's). */
  planCacheMode?: PostgresOptions["planCacheMode"];
  /** Run the built-in migrations after opening (default `true`). */
  migrate?: boolean;
}

/** Where a database lives: a PostgreSQL server, or embedded PGlite (on disk or in memory). */
export type DatabaseTarget =
  | { readonly kind: "postgres"; readonly url: string }
  | { readonly kind: "pglite"; readonly dataDir: string | undefined };

/**
 * Decides where the database lives, the environment filling what `options` leave open: `url`,
 * else `DATABASE_URL`, names a server; otherwise PGlite in `dataDir`, else `TASKER_DATA_DIR`,
 * else in memory. `embedded` skips the server. This is the one place that reads those two
 * variables ({@link openDatabase} and `Tasker.open` both decide here), and it reads only the
 * ones it needs, so a variable that does not matter is never reported as unreadable.
 *
 * @param options explicit settings, which win over the environment
 * @returns the server's URL or the PGlite data directory
 *
 * @example
 * ```ts ignore
 * const target = databaseTarget({ dataDir: "./data" });
 * console.log(target.kind); // "postgres" when DATABASE_URL is set, else "pglite"
 * ```
 */
export function databaseTarget(
  options: { url?: string; dataDir?: string; embedded?: boolean } = {},
): DatabaseTarget {
  const url = options.embedded ? undefined : options.url ?? readEnv("DATABASE_URL");
  return url !== undefined
    ? { kind: "postgres", url }
    : { kind: "pglite", dataDir: options.dataDir ?? readEnv("TASKER_DATA_DIR") };
}

/**
 * Opens the configured database and, unless `migrate: false`, applies the built-in migrations.
 *
 * Reads `DATABASE_URL` and `TASKER_DATA_DIR` through `readEnv`, so without the `env` permission
 * it falls back to in-memory PGlite (with a notice) instead of failing.
 *
 * @param options explicit URL / data directory / pool size, and whether to migrate
 * @returns the open database; close it with `close()` or `await using`
 * @throws {DatabaseUnavailableError} when the server or PGlite cannot be reached or started
 * @throws {DataDirLockedError} when another process (or open database) owns the PGlite data
 *   directory: an embedded database has one owner
 *
 * @example
 * ```ts
 * import { openDatabase } from "@deno-tasker/tasker/durable";
 * await using db = await openDatabase(); // PGlite in memory unless DATABASE_URL is set
 * console.log(db.kind);
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const target = databaseTarget(options);
  const db: Database = target.kind === "postgres"
    ? await openPostgres({
      url: target.url,
      poolSize: options.poolSize,
      preparedStatements: options.preparedStatements,
      planCacheMode: options.planCacheMode,
    })
    : await openPglite({ dataDir: target.dataDir });
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

/**
 * A one-line, password-free description: `pglite (in memory)`, `pglite (data dir ./data)` or
 * `postgres 127.0.0.1:5432/tasker`.
 *
 * @example
 * ```ts
 * import { describeDatabase, openDatabase } from "@deno-tasker/tasker/durable";
 * await using db = await openDatabase();
 * console.log(describeDatabase(db));
 * ```
 */
export function describeDatabase(db: Database): string {
  const description = (db as { description?: unknown }).description;
  return typeof description === "string" ? redactUrl(description) : db.kind;
}

/** The result of {@link databaseHealth}. */
export interface DatabaseHealth {
  /** Whether the probe query succeeded within the deadline. */
  ok: boolean;
  /** The adapter behind the database. */
  kind: DatabaseKind;
  /** Round-trip time of the probe in milliseconds (to the deadline when it timed out). */
  latency_ms: number;
  /** The installed PGMQ extension version, when the probe succeeded and PGMQ is installed. */
  pgmq_version?: string;
  /** Why the probe failed (password-free), when `ok` is false. */
  error?: string;
}

/**
 * Probes the database with one query (the PGMQ extension's version) and reports its latency.
 * Never throws: a failure or a timeout comes back as `{ ok: false, error }`.
 *
 * @param db the database to probe
 * @param options `timeoutMs` caps the wait (default 5000)
 *
 * @example
 * ```ts
 * import { databaseHealth, openDatabase } from "@deno-tasker/tasker/durable";
 * await using db = await openDatabase();
 * const health = await databaseHealth(db);
 * console.log(health.ok, health.latency_ms, health.pgmq_version);
 * ```
 */
export async function databaseHealth(
  db: Database,
  options: { timeoutMs?: number } = {},
): Promise<DatabaseHealth> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const started = performance.now();
  const latency = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    const probe = db.query<{ extversion: string }>(
      "SELECT extversion FROM pg_extension WHERE extname = 'pgmq'",
    );
    const answer = await withinDeadline(probe, timeoutMs);
    if (!answer.finished) throw new Error(`no answer within ${timeoutMs} ms`);
    const health: DatabaseHealth = { ok: true, kind: db.kind, latency_ms: latency() };
    if (answer.value[0] !== undefined) health.pgmq_version = answer.value[0].extversion;
    return health;
  } catch (error) {
    const message = errorMessage(error);
    return { ok: false, kind: db.kind, latency_ms: latency(), error: redactUrl(message) };
  }
}
