/**
 * The one database interface both adapters implement: PGlite with PGMQ (embedded default) and a
 * postgres.js pool (a real server). Callers write the same SQL text for both, with `$1`-style
 * parameters; nothing is ever interpolated.
 *
 * Both adapters return the same JavaScript types for the same query: `int2/int4/int8` and
 * `numeric`-free counters as `number`, `jsonb` parsed, `timestamptz` as `Date`, `text/uuid` as
 * `string`, `bool` as `boolean`.
 *
 * @module
 */

/** Anything that runs parameterised SQL: the database itself or an open transaction. */
export interface Queryable {
  /**
   * Runs one parameterised statement and returns its rows.
   *
   * @param sql SQL text with `$1`, `$2`, ... placeholders
   * @param params values for the placeholders
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** Which adapter backs a {@link Database}. */
export type DatabaseKind = "pglite" | "postgres";

/**
 * A database connection (PGlite) or pool (postgres.js).
 *
 * @example
 * ```ts
 * import type { Database } from "@deno-tasker/tasker/durable";
 * async function countTasks(db: Database): Promise<number> {
 *   const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM tasker.tasks");
 *   return rows[0]?.n ?? 0;
 * }
 * ```
 */
export interface Database extends Queryable, AsyncDisposable {
  /** The adapter behind this database. */
  readonly kind: DatabaseKind;
  /**
   * Runs `fn` inside one transaction: committed when `fn` resolves, rolled back when it throws.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `NOTIFY` on a channel. On a server this uses one dedicated connection outside
   * the pool; embedded it uses PGlite's in-process notifications. Resolves to an unsubscribe
   * function.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Closes the pool or the embedded instance. Idempotent. */
  close(): Promise<void>;
}
