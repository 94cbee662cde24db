/**
 * One owner per embedded data directory. PGlite is a single-process PostgreSQL: two processes
 * opening the same directory each run their own server on the same files and silently lose each
 * other's writes (a task submitted by one is never seen by the other, and is gone afterwards).
 *
 * The owner holds an exclusive advisory lock (`flock`) on `<dataDir>/.tasker.lock` for as long
 * as the database is open, with its pid, host and start time written inside so the next opener
 * can say who holds it. The kernel drops the lock when the owner exits, however it exits
 * (SIGKILL included), so a stale file never blocks anyone. The lock is per open file, so a
 * second open in the same process is refused as well.
 *
 * @module
 */

import { TaskerError } from "../../errors.ts";

/** The lock file's name inside the data directory. */
export const DATA_DIR_LOCK_FILE = ".tasker.lock";

/** Who holds a data directory, as its lock file says. */
export interface DataDirOwner {
  /** Process id of the owner. */
  pid: number;
  /** Host name of the owner (`unknown` without `--allow-sys=hostname`). */
  host: string;
  /** When it took the lock, RFC 3339. */
  since: string;
}

/**
 * Another process (or another open database in this process) owns the data directory. `owner`
 * is what its lock file says, or undefined when the file could not be read.
 *
 * @example
 * ```ts
 * import { DataDirLockedError } from "@deno-tasker/tasker/durable";
 * const error = new DataDirLockedError("./data", { pid: 42, host: "box", since: "2026-01-01T00:00:00.000Z" });
 * console.log(error.code, error.dataDir, error.owner?.pid); // E_DATA_DIR_LOCKED ./data 42
 * ```
 */
export class DataDirLockedError extends TaskerError {
  /** The data directory, as given. */
  readonly dataDir: string;
  /** The process holding it, when known. */
  readonly owner: DataDirOwner | undefined;

  /**
   * Creates the error.
   *
   * @param dataDir the data directory, as given
   * @param owner what its lock file says
   */
  constructor(dataDir: string, owner: DataDirOwner | undefined) {
    const host = owner === undefined || owner.host === "unknown" ? "" : ` on host ${owner.host}`;
    const who = owner === undefined
      ? "another process"
      : `process ${owner.pid}${host} (since ${owner.since})`;
    super(
      "E_DATA_DIR_LOCKED",
      `data directory ${dataDir} is in use by ${who}: an embedded database has one owner. ` +
        "Submit through that process, or use a PostgreSQL server (DATABASE_URL) to share data",
    );
    this.dataDir = dataDir;
    this.owner = owner;
  }
}

/** A held data-directory lock; `release()` lets the next owner in. */
export interface DataDirLock {
  /** Unlocks and closes the lock file. Idempotent. */
  release(): void;
}

/**
 * Takes the exclusive lock of `dataDir` (which must exist) without waiting.
 *
 * @param dataDir the data directory
 * @returns the held lock
 * @throws {DataDirLockedError} when another open database holds it
 *
 * @example
 * ```ts ignore
 * const lock = await lockDataDir("./data");
 * try { ... } finally { lock.release(); }
 * ```
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = `${dataDir.replace(/\/+$/, "") || "/"}/${DATA_DIR_LOCK_FILE}`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let locked = false;
  try {
    locked = await file.tryLock(true);
    if (!locked) throw new DataDirLockedError(dataDir, await readOwner(path));
    const owner: DataDirOwner = {
      pid: Deno.pid,
      host: hostname(),
      since: new Date().toISOString(),
    };
    await file.truncate(0);
    await file.write(new TextEncoder().encode(JSON.stringify(owner) + "\n"));
  } catch (error) {
    file.close();
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // Closing the file drops the lock; the stale content is harmless (only read when locked).
      file.close();
    },
  };
}

async function readOwner(path: string): Promise<DataDirOwner | undefined> {
  try {
    const value: unknown = JSON.parse(await Deno.readTextFile(path));
    if (typeof value !== "object" || value === null) return undefined;
    const { pid, host, since } = value as Record<string, unknown>;
    if (typeof pid !== "number") return undefined;
    return { pid, host: String(host ?? "unknown"), since: String(since ?? "unknown") };
  } catch {
    // The owner may be between truncating and writing: the directory is still taken.
    return undefined;
  }
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}
