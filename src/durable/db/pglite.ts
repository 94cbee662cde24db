/**
 * The embedded adapter: PostgreSQL compiled to WebAssembly (PGlite) with the PGMQ extension, in
 * memory or in a data directory. It is the default when no `DATABASE_URL` is set.
 *
 * PGlite is one connection: statements run one at a time, and inside
 * {@link Database.transaction} only the `tx` handed to the callback may be used (a query on the
 * database itself would wait for the transaction to end, forever).
 *
 * Lifetimes: PGlite arms a 10-second statistics timer after busy periods that only `close()` (or
 * the timer firing) clears. An instance opened and closed within one `deno test` case passes the
 * op sanitizer; one shared across test cases does not. Opening from a snapshot
 * ({@link PgliteOptions.snapshot}) takes well under a second, so tests open one per case.
 *
 * Needs `--allow-read` (PGlite reads its WebAssembly and data files from the npm cache) and, with
 * a data directory, `--allow-write`.
 *
 * A data directory has ONE owner: opening takes an exclusive lock on `<dataDir>/.tasker.lock`
 * (see `data_dir_lock.ts`), held until `close()`, and a second open of the same directory — from
 * another process or this one — fails with `DataDirLockedError` naming the holder.
 *
 * @module
 */

import { errorMessage } from "../../error_message.ts";
import type { Database, Queryable } from "./database.ts";
import { assertChannelName } from "./channel.ts";
import { DatabaseClosedError, DatabaseUnavailableError } from "./errors.ts";
import { type DataDirLock, DataDirLockedError, lockDataDir } from "./data_dir_lock.ts";

/** Options of {@link openPglite}. */
export interface PgliteOptions {
  /** Directory holding the data files (created when missing). In memory when omitted. */
  dataDir?: string;
  /**
   * A data-directory tarball from {@link PgliteDatabase.dumpSnapshot}. A new (empty) data
   * directory starts from it instead of running initdb, which is several times faster.
   */
  snapshot?: Blob;
}

/** A {@link Database} backed by PGlite. */
export interface PgliteDatabase extends Database {
  /** Always `"pglite"`. */
  readonly kind: "pglite";
  /** Human-readable: `pglite (in memory)` or `pglite (data dir <path>)`. */
  readonly description: string;
  /** The data directory, or `undefined` in memory. */
  readonly dataDir: string | undefined;
  /** Dumps the whole data directory as an uncompressed tarball, for {@link PgliteOptions.snapshot}. */
  dumpSnapshot(): Promise<Blob>;
}

// The slice of PGlite's API this adapter uses, so no npm type is needed at import time.
interface PgliteResults {
  rows: Record<string, unknown>[];
}
interface PgliteQueryable {
  query(sql: string, params?: unknown[]): Promise<PgliteResults>;
}
interface PgliteInstance extends PgliteQueryable {
  transaction<T>(fn: (tx: PgliteQueryable) => Promise<T>): Promise<T>;
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  dumpDataDir(compression?: "none" | "gzip" | "auto"): Promise<Blob | File>;
  close(): Promise<void>;
}

/**
 * Opens an embedded PGlite database with the PGMQ extension available (the extension itself is
 * created by the migrations, see `migrate`).
 *
 * @param options data directory (in memory when omitted) and an optional snapshot to start from
 * @returns the open database; close it with `close()` or `await using`
 * @throws {DatabaseUnavailableError} when PGlite cannot start (e.g. no `--allow-read`)
 * @throws {DataDirLockedError} when another open database owns `dataDir`
 *
 * @example
 * ```ts
 * import { openPglite } from "@deno-tasker/tasker/durable";
 * await using db = await openPglite();
 * const rows = await db.query<{ one: number }>("SELECT 1 AS one");
 * ```
 */
export async function openPglite(options: PgliteOptions = {}): Promise<PgliteDatabase> {
  const { dataDir, snapshot } = options;
  const description = dataDir === undefined ? "pglite (in memory)" : `pglite (data dir ${dataDir})`;
  let lock: DataDirLock | undefined;
  try {
    if (dataDir !== undefined) {
      await Deno.mkdir(dataDir, { recursive: true });
      lock = await lockDataDir(dataDir);
    }
    const [{ PGlite }, { pgmq }] = await Promise.all([
      import("npm:@electric-sql/pglite@0.5.8"),
      import("npm:@electric-sql/pglite-pgmq@0.0.6"),
    ]);
    const instance = await PGlite.create({
      dataDir,
      extensions: { pgmq },
      loadDataDir: snapshot,
    });
    return new PgliteAdapter(instance as unknown as PgliteInstance, description, dataDir, lock);
  } catch (error) {
    lock?.release();
    if (error instanceof DataDirLockedError) throw error;
    const reason = errorMessage(error);
    throw new DatabaseUnavailableError(description, `PGlite failed to start: ${reason}`, {
      cause: error,
    });
  }
}

class PgliteAdapter implements PgliteDatabase {
  readonly kind = "pglite" as const;
  readonly description: string;
  readonly dataDir: string | undefined;
  #pg: PgliteInstance;
  #lock: DataDirLock | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    pg: PgliteInstance,
    description: string,
    dataDir: string | undefined,
    lock: DataDirLock | undefined,
  ) {
    this.#pg = pg;
    this.description = description;
    this.dataDir = dataDir;
    this.#lock = lock;
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<T[]> {
    this.#assertOpen();
    const result = await this.#pg.query(sql, [...params]);
    return result.rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return await this.#pg.transaction((tx) =>
      fn({
        query: async <R = Record<string, unknown>>(
          sql: string,
          params: readonly unknown[] = [],
        ): Promise<R[]> => (await tx.query(sql, [...params])).rows as R[],
      })
    );
  }

  async listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    assertChannelName(channel);
    this.#assertOpen();
    // PGlite puts the name into LISTEN unquoted (PGMQ's channels contain dots) and strips the
    // quotes again when matching notifications.
    const unlisten = await this.#pg.listen(`"${channel}"`, onNotify);
    let done = false;
    return async () => {
      if (done || this.#closing !== undefined) return;
      done = true;
      await unlisten();
    };
  }

  async dumpSnapshot(): Promise<Blob> {
    this.#assertOpen();
    return await this.#pg.dumpDataDir("none");
  }

  close(): Promise<void> {
    // The lock goes only after PGlite has flushed and closed its files.
    this.#closing ??= this.#pg.close().finally(() => this.#lock?.release());
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new DatabaseClosedError(this.description);
  }
}
