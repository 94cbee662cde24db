/**
 * The server adapter: a postgres.js connection pool. Used when `DATABASE_URL` is set.
 *
 * Connection failures (refused, timed out, dropped, server shutting down) surface as
 * {@link DatabaseUnavailableError} naming `host:port`, never the password. SQL errors (a
 * constraint, a syntax error) pass through unchanged with their SQLSTATE `code`. Server notices
 * ("relation already exists, skipping") are dropped. Result types match the PGlite adapter (see
 * `pg_types.ts`).
 *
 * Recovery: postgres.js 3.4.9 can leave a connection that failed mid-query (ECONNRESET) holding
 * its dead query, so the next query on it never settles (porsager/postgres#1130). After any
 * connection failure the adapter therefore swaps in a fresh pool and retires the old one (its
 * healthy in-flight queries get {@link RETIRE_GRACE_SECONDS} to finish). `listen` runs on a
 * separate instance that is never swapped; postgres.js re-subscribes after its connection drops,
 * but a re-subscription attempted while the server is still down is given up, so treat
 * notifications as a wake-up hint and keep polling as the fallback.
 *
 * @module
 */

import { errorMessage } from "../../error_message.ts";
import type { Database, Queryable } from "./database.ts";
import { assertChannelName } from "./channel.ts";
import { DatabaseClosedError, DatabaseUnavailableError } from "./errors.ts";
import { type DatabaseUrlInfo, parseDatabaseUrl, scrubSecret } from "./pg_url.ts";
import { postgresTypes } from "./pg_types.ts";

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  url: string;
  /** Most connections the pool opens (default 10). `listen` uses one more, outside the pool. */
  poolSize?: number;
  /** Seconds to wait for a connection before giving up (default 10). */
  connectTimeoutSeconds?: number;
  /**
   * Most distinct SQL texts run as named prepared statements (default 500). A prepared
   * statement is parsed and described once per connection, then executed in one round trip;
   * an unprepared one costs a parse, a describe round trip and a fresh plan every time. Texts
   * beyond the limit run unprepared, so generated SQL cannot grow the server's memory without
   * bound. `0` prepares nothing: behind PgBouncer in transaction mode before 1.21.
   */
  preparedStatements?: number;
  /**
   * The session's `plan_cache_mode` (default: the server's, normally `auto`).
   * `force_generic_plan` plans each prepared statement once: the task engine's pools use it,
   * because re-planning its claim and outcome statements with each call's values cost more than
   * executing them.
   */
  planCacheMode?: "auto" | "force_generic_plan" | "force_custom_plan";
}

/** A {@link Database} backed by a postgres.js pool. */
export interface PostgresDatabase extends Database {
  /** Always `"postgres"`. */
  readonly kind: "postgres";
  /** Human-readable and password-free: `postgres host:port/database`. */
  readonly description: string;
  /** `host:port` of the server. */
  readonly address: string;
  /** The database name from the URL. */
  readonly database: string;
}

// The slice of postgres.js this adapter uses, so no npm type is needed at import time.
interface SqlRunner {
  unsafe(
    sql: string,
    params?: unknown[],
    options?: { prepare?: boolean },
  ): Promise<Record<string, unknown>[]>;
}
interface SqlPool extends SqlRunner {
  begin<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<{ unlisten(): Promise<void> }>;
  end(options?: { timeout?: number }): Promise<void>;
}

// Error codes meaning "the server cannot be reached" rather than "this statement is wrong":
// socket errors, postgres.js's own connection states, and SQLSTATE classes 08 and 57P. Any
// FATAL/PANIC server error also counts: it ends the connection (e.g. a database that does not
// accept connections right now, 55000, or a refused login).
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "57P01",
  "57P02",
  "57P03",
]);

function isConnectionError(error: unknown): boolean {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  if (severity === "FATAL" || severity === "PANIC") return true;
  if (typeof code !== "string") return error instanceof Deno.errors.ConnectionRefused;
  return CONNECTION_CODES.has(code) || code.startsWith("08");
}

/** Seconds a retired pool's in-flight queries get before its connections are destroyed. */
export const RETIRE_GRACE_SECONDS = 1;

/**
 * Opens a postgres.js pool and checks that the server answers (`SELECT 1`).
 *
 * Needs `--allow-net` to the server and `--allow-env`: like libpq, postgres.js consults `PG*`
 * variables (`PGAPPNAME`, `PGSSLMODE`, ...) for settings the URL leaves out. Without them the
 * error is a {@link DatabaseUnavailableError} quoting Deno's permission message.
 *
 * @param options the URL, pool size and connect timeout
 * @returns the open database; close it with `close()` or `await using`
 * @throws {DatabaseUnavailableError} when the server cannot be reached or refuses the login
 * @throws {DatabaseUrlError} when the URL is not a `postgres://` URL
 *
 * @example
 * ```ts
 * import { openPostgres } from "@deno-tasker/tasker/durable";
 * await using db = await openPostgres({ url: "postgres://postgres@127.0.0.1:5432/tasker" });
 * const rows = await db.query<{ now: Date }>("SELECT now() AS now");
 * ```
 */
export async function openPostgres(options: PostgresOptions): Promise<PostgresDatabase> {
  const info = parseDatabaseUrl(options.url);
  const { default: postgres } = await import("npm:postgres@3.4.9");
  const createPool = (max: number): SqlPool =>
    postgres(options.url, {
      max,
      connect_timeout: options.connectTimeoutSeconds ?? 10,
      onnotice: () => {},
      types: postgresTypes(),
      // postgres.js 3.4.9 runs a pg_type catalog query on every new connection and discards its
      // promise: when that query fails (a database refusing connections mid-outage) the
      // rejection is unhandled and Deno exits (porsager/postgres#1192). Every array parameter
      // here has an explicit SQL cast, so the catalog is not needed.
      fetch_types: false,
      connection: {
        application_name: "deno-tasker",
        ...(options.planCacheMode ? { plan_cache_mode: options.planCacheMode } : {}),
      },
      // deno-lint-ignore no-explicit-any
    } as any) as unknown as SqlPool;
  // A bad limit is the caller's mistake, refused before any connection (not "unavailable").
  const prepared = new PreparedTexts(options.preparedStatements ?? 500);
  let db: PostgresAdapter;
  try {
    db = new PostgresAdapter(
      () => createPool(options.poolSize ?? 10),
      () => createPool(1),
      info,
      prepared,
    );
  } catch (error) {
    // postgres.js reads PG* variables (like libpq) while building its options.
    throw unavailable(info, error);
  }
  try {
    await db.query("SELECT 1");
  } catch (error) {
    await db.close();
    throw error instanceof DatabaseUnavailableError ? error : unavailable(info, error);
  }
  return db;
}

function unavailable(info: DatabaseUrlInfo, error: unknown): DatabaseUnavailableError {
  if (error instanceof DatabaseUnavailableError) return error;
  const message = errorMessage(error);
  const code = (error as { code?: unknown } | null)?.code;
  const reason = scrubSecret(
    typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message,
    info.password,
  );
  return new DatabaseUnavailableError(info.address, reason, { cause: error });
}

class PostgresAdapter implements PostgresDatabase {
  readonly kind = "postgres" as const;
  readonly description: string;
  readonly address: string;
  readonly database: string;
  #createPool: () => SqlPool;
  #createListener: () => SqlPool;
  #pool: SqlPool;
  #listener: SqlPool | undefined;
  #retiring = new Set<Promise<void>>();
  #info: DatabaseUrlInfo;
  #closing: Promise<void> | undefined;
  readonly #prepared: PreparedTexts;

  constructor(
    createPool: () => SqlPool,
    createListener: () => SqlPool,
    info: DatabaseUrlInfo,
    prepared: PreparedTexts,
  ) {
    this.#prepared = prepared;
    this.#createPool = createPool;
    this.#createListener = createListener;
    this.#pool = createPool();
    this.#info = info;
    this.address = info.address;
    this.database = info.database;
    this.description = `postgres ${info.address}/${info.database}`;
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<T[]> {
    this.#assertOpen();
    const pool = this.#pool;
    try {
      return await run(pool, sql, params, this.#prepared) as T[];
    } catch (error) {
      throw this.#failed(pool, error);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const pool = this.#pool;
    try {
      return await pool.begin((tx) =>
        fn({
          query: async <R = Record<string, unknown>>(
            sql: string,
            params: readonly unknown[] = [],
          ): Promise<R[]> => {
            try {
              return await run(tx, sql, params, this.#prepared) as R[];
            } catch (error) {
              throw this.#failed(pool, error);
            }
          },
        })
      );
    } catch (error) {
      throw this.#failed(pool, error);
    }
  }

  async listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    assertChannelName(channel);
    this.#assertOpen();
    this.#listener ??= this.#createListener();
    let subscription: { unlisten(): Promise<void> };
    try {
      subscription = await this.#listener.listen(channel, onNotify);
    } catch (error) {
      throw isConnectionError(error) ? unavailable(this.#info, error) : error;
    }
    let done = false;
    return async () => {
      if (done || this.#closing !== undefined) return;
      done = true;
      await subscription.unlisten();
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Not `timeout: 0` for the listener: postgres.js ends the connection that holds the
      // LISTENs (an inner instance) with a zero timeout of its own, and an outer zero timeout
      // resolves before that inner timer fires, leaving it pending after close.
      await Promise.all([
        this.#pool.end({ timeout: 5 }),
        this.#listener?.end({ timeout: 5 }),
        ...this.#retiring,
      ]);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Maps `error` for the caller and, when it is a connection failure on the current pool,
   * replaces that pool (see the module notes).
   */
  #failed(pool: SqlPool, error: unknown): unknown {
    if (!isConnectionError(error)) return error;
    if (pool === this.#pool && this.#closing === undefined) {
      this.#pool = this.#createPool();
      const retired = pool.end({ timeout: RETIRE_GRACE_SECONDS }).catch(() => {});
      this.#retiring.add(retired);
      retired.finally(() => this.#retiring.delete(retired));
    }
    return unavailable(this.#info, error);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new DatabaseClosedError(this.description);
  }
}

async function run(
  runner: SqlRunner,
  sql: string,
  params: readonly unknown[],
  prepared: PreparedTexts,
): Promise<unknown[]> {
  const prepare = prepared.admit(sql);
  // postgres.js returns an Array subclass carrying metadata; hand out a plain array.
  return Array.from(await runner.unsafe(sql, params.map(boolArrayAsText), { prepare }));
}

/**
 * The SQL texts admitted as prepared statements, up to a limit: the engine's statements are a
 * few dozen texts run thousands of times; texts beyond the limit (generated ones) run unprepared.
 */
class PreparedTexts {
  readonly #texts = new Set<string>();
  readonly #limit: number;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(
        `preparedStatements must be a non-negative integer (0 prepares none), got ${limit}`,
      );
    }
    this.#limit = limit;
  }

  /** Whether `sql` runs as a prepared statement. */
  admit(sql: string): boolean {
    if (this.#texts.has(sql)) return true;
    if (this.#texts.size >= this.#limit) return false;
    this.#texts.add(sql);
    return true;
  }
}

// postgres.js 3.4.9 types an array of booleans as a scalar `bool`, so `$1::bool[]` fails with
// "cannot cast type boolean to boolean[]". Sent as text[], PostgreSQL casts it like PGlite does.
function boolArrayAsText(param: unknown): unknown {
  if (!Array.isArray(param) || !param.some((v) => typeof v === "boolean")) return param;
  return param.map((v) => (typeof v === "boolean" ? (v ? "t" : "f") : v));
}
