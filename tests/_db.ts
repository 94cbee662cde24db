/**
 * The dual-database test harness: every database test runs against embedded PGlite, and also
 * against a PostgreSQL server when `DATABASE_URL` is set (start one with `scripts/pg-up.sh`).
 *
 * ```ts
 * import { dbTest, uniqueName } from "../_db.ts";
 * dbTest("sends and reads", async (db) => {
 *   const queue = uniqueName("q"); // tests share the server: isolate data by name
 *   ...
 * });
 * ```
 *
 * registers `sends and reads [pglite]` and, with `DATABASE_URL`, `sends and reads [postgres]`.
 *
 * Why one PGlite per test instead of one per file: PGlite arms a 10-second statistics timer that
 * only `close()` clears, so an instance shared across test cases trips the op sanitizer in
 * whichever case the timer was started or fired (measured: sharing fails, per-test passes).
 * Opening is cheap instead: a migrated instance is built once (~4 s of CPU) and its data
 * directory dumped to `.tmp/pglite-snapshots/` (reused by every test file and later runs until
 * PGlite or the migrations change); every test then starts from that snapshot (~0.4 s) and gets
 * a private, already migrated database.
 *
 * On the server, tests share the `DATABASE_URL` database (`migrate` runs before each test: a no-op
 * after the first), so data must be isolated by name: use {@link uniqueName} for queues and keys.
 * `fresh: true` or `migrate: false` gives the test a throwaway database instead (created with
 * `CREATE DATABASE`, dropped afterwards).
 *
 * @module
 */

import type { Database } from "../src/durable/db/database.ts";
import { builtinMigrations, migrate } from "../src/durable/db/migrate.ts";
import { openPglite } from "../src/durable/db/pglite.ts";
import { openPostgres } from "../src/durable/db/postgres.ts";

/** Options of {@link dbTest}. */
export interface DbTestOptions {
  /** Apply the built-in migrations first (default true). `false` implies `fresh`. */
  migrate?: boolean;
  /** A database of its own: on the server a throwaway `CREATE DATABASE` (default false). */
  fresh?: boolean;
  /** Skip the PGlite variant. */
  skipPglite?: boolean;
  /** Skip the PostgreSQL variant. */
  skipPostgres?: boolean;
  /** Ignore the test (as `Deno.test`'s `ignore`). */
  ignore?: boolean;
  /** Run only this test (as `Deno.test`'s `only`). */
  only?: boolean;
}

/** The server to test against, from `DATABASE_URL` (undefined when unset or not permitted). */
export function postgresUrl(): string | undefined {
  try {
    const url = Deno.env.get("DATABASE_URL");
    return url === "" ? undefined : url;
  } catch {
    return undefined;
  }
}

/**
 * A name unique to this run, safe as a PGMQ queue name: `prefix_` plus 10 random hex digits.
 * Keep `prefix` under 30 characters so derived names (`_dlq`) still fit.
 */
export function uniqueName(prefix = "t"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return `${prefix}_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Registers `fn` as `<name> [pglite]` and, with `DATABASE_URL` set, `<name> [postgres]`. */
export function dbTest(
  name: string,
  fn: (db: Database) => Promise<void>,
  options: DbTestOptions = {},
): void {
  const common = { ignore: options.ignore ?? false, only: options.only ?? false };
  if (!options.skipPglite) {
    Deno.test({ name: `${name} [pglite]`, ...common, fn: () => withPglite(fn, options) });
  }
  const url = postgresUrl();
  if (url !== undefined && !options.skipPostgres) {
    Deno.test({ name: `${name} [postgres]`, ...common, fn: () => withPostgres(url, fn, options) });
  }
}

/** Opens a private PGlite (migrated unless `migrate: false`) for `fn`, then closes it. */
export async function withPglite<T>(
  fn: (db: Database) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const snapshot = await pgliteSnapshot(options.migrate !== false);
  const db = await openPglite({ snapshot });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Opens a pool on `url` for `fn`, then closes it; with `fresh` (or `migrate: false`) on a
 * throwaway database created for it and dropped afterwards.
 */
export async function withPostgres<T>(
  url: string,
  fn: (db: Database) => Promise<T>,
  options: { migrate?: boolean; fresh?: boolean; poolSize?: number } = {},
): Promise<T> {
  const shouldMigrate = options.migrate !== false;
  if (!options.fresh && shouldMigrate) {
    const db = await openPostgres({ url, poolSize: options.poolSize ?? 4 });
    try {
      await migrate(db);
      return await fn(db);
    } finally {
      await db.close();
    }
  }
  return await withThrowawayDatabase(url, async (freshUrl) => {
    const db = await openPostgres({ url: freshUrl, poolSize: options.poolSize ?? 4 });
    try {
      if (shouldMigrate) await migrate(db);
      return await fn(db);
    } finally {
      await db.close();
    }
  });
}

/**
 * Creates a database next to the one `url` names, hands its URL to `fn`, and drops it after
 * (forcibly, so connections `fn` leaked do not block the drop).
 */
export async function withThrowawayDatabase<T>(
  url: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const name = uniqueName("tasker_test");
  const admin = await openPostgres({ url, poolSize: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const freshUrl = new URL(url);
    freshUrl.pathname = `/${name}`;
    try {
      return await fn(freshUrl.href);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.close();
  }
}

const snapshots = new Map<boolean, Promise<Blob>>();

/**
 * The data directory of a fresh PGlite (migrated or not), built once per process and cached on
 * disk in `.tmp/pglite-snapshots/` (keyed by the PGlite versions and the migrations' text), so
 * other test files and later runs skip the ~4 s initdb. Without read/write permission for that
 * directory it is simply rebuilt in memory.
 */
function pgliteSnapshot(migrated: boolean): Promise<Blob> {
  let snapshot = snapshots.get(migrated);
  if (snapshot === undefined) {
    snapshot = loadOrBuildSnapshot(migrated);
    snapshots.set(migrated, snapshot);
    snapshot.catch(() => snapshots.delete(migrated));
  }
  return snapshot;
}

const SNAPSHOT_DIR = new URL("../.tmp/pglite-snapshots/", import.meta.url);
const SNAPSHOT_TYPE = "application/x-tar";

async function loadOrBuildSnapshot(migrated: boolean): Promise<Blob> {
  const key = JSON.stringify({
    engine: "pglite@0.5.8+pglite-pgmq@0.0.6",
    migrations: migrated ? builtinMigrations : [],
  });
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
  );
  const name = Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
  const file = new URL(`${name}.tar`, SNAPSHOT_DIR);
  try {
    return new Blob([await Deno.readFile(file)], { type: SNAPSHOT_TYPE });
  } catch {
    // Not cached yet (or not readable): build it below.
  }
  const db = await openPglite();
  let snapshot: Blob;
  try {
    if (migrated) await migrate(db);
    snapshot = await db.dumpSnapshot();
  } finally {
    await db.close();
  }
  try {
    // Write to a private name, then rename: concurrent test processes never see half a file.
    await Deno.mkdir(SNAPSHOT_DIR, { recursive: true });
    const partial = new URL(`${name}.${crypto.randomUUID()}.partial`, SNAPSHOT_DIR);
    await Deno.writeFile(partial, new Uint8Array(await snapshot.arrayBuffer()));
    await Deno.rename(partial, file);
  } catch {
    // A read-only checkout still works, only slower.
  }
  return new Blob([snapshot], { type: SNAPSHOT_TYPE });
}
