/**
 * Versioned, idempotent schema migrations, the same SQL text for PGlite and PostgreSQL.
 *
 * All pending migrations run in ONE transaction that first takes a transaction-scoped advisory
 * lock, so two processes starting together apply each migration once: the second waits for the
 * first to commit, then finds nothing left to do. Applied versions are recorded in
 * `tasker.schema_migrations`. The SQL lives in numbered `.sql` files (`migrations/0001_*.sql`
 * here, the task engine's in `src/worker/migrations/`), compiled into a generated module by
 * `scripts/gen_migrations.ts` so that a URL import needs no file access.
 *
 * @module
 */

import { errorMessage } from "../../error_message.ts";
import type { Database, Queryable } from "./database.ts";
import { MigrationError } from "./errors.ts";
import { MIGRATIONS } from "./migrations/sql.gen.ts";

/** One migration: a version, a name and the statements that apply it. */
export interface Migration {
  /** Positive integer; migrations apply in ascending order and each version once. */
  readonly version: number;
  /** Short snake_case description, recorded with the version. */
  readonly name: string;
  /** SQL statements, one statement per string (no `$n` parameters), run in order. */
  readonly statements: readonly string[];
}

/** The advisory-lock key that serialises migrations (the ASCII bytes of "tskr-mig"). */
export const MIGRATION_LOCK_KEY = 0x74736b72_2d6d6967n;

/** The migrations the durable layer needs, in order (from `migrations/*.sql`). */
export const builtinMigrations: readonly Migration[] = MIGRATIONS;

/**
 * Checks that `migrations` is usable: positive integer versions in strictly ascending order,
 * non-empty names and statements.
 *
 * @throws {MigrationError} naming the first bad entry
 *
 * @example
 * ```ts
 * import { builtinMigrations, validateMigrations } from "@deno-tasker/tasker/durable";
 * validateMigrations(builtinMigrations);
 * ```
 */
export function validateMigrations(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const [index, migration] of migrations.entries()) {
    const { version, name, statements } = migration;
    const where = `migration #${index} (version ${version}, ${JSON.stringify(name)})`;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new MigrationError(`${where}: version must be a positive integer`);
    }
    if (version <= previous) {
      throw new MigrationError(
        `${where}: versions must be strictly ascending (previous was ${previous})`,
      );
    }
    if (typeof name !== "string" || name.trim() === "") {
      throw new MigrationError(`${where}: name must be a non-empty string`);
    }
    if (
      !Array.isArray(statements) || statements.length === 0 ||
      statements.some((s) => typeof s !== "string" || s.trim() === "")
    ) {
      throw new MigrationError(`${where}: statements must be a non-empty list of SQL strings`);
    }
    previous = version;
  }
}

/**
 * Applies the migrations not yet recorded in `tasker.schema_migrations`, in one transaction
 * under an advisory lock. Safe to call at every start and from several processes at once.
 *
 * @param db the database to migrate
 * @param migrations the list to apply (default {@link builtinMigrations})
 * @returns the versions applied by this call, ascending (empty when already up to date)
 * @throws {MigrationError} when the list is malformed or a statement fails (nothing applied)
 *
 * @example
 * ```ts
 * import { openPglite } from "@deno-tasker/tasker/durable";
 * import { migrate } from "@deno-tasker/tasker/durable";
 * await using db = await openPglite();
 * const applied = await migrate(db); // [1] the first time, [] afterwards
 * ```
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = builtinMigrations,
): Promise<number[]> {
  validateMigrations(migrations);
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY.toString()]);
    const done = await appliedVersions(tx);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        for (const statement of migration.statements) await tx.query(statement);
        await tx.query(
          "INSERT INTO tasker.schema_migrations (version, name) VALUES ($1::integer, $2::text)",
          [migration.version, migration.name],
        );
      } catch (error) {
        const reason = errorMessage(error);
        throw new MigrationError(
          `migration ${migration.version} (${migration.name}) failed: ${reason}`,
          { cause: error },
        );
      }
      applied.push(migration.version);
    }
    return applied;
  });
}

/**
 * The versions recorded in `tasker.schema_migrations` (empty when the table does not exist yet).
 *
 * @example
 * ```ts
 * import { openPglite } from "@deno-tasker/tasker/durable";
 * import { appliedVersions } from "@deno-tasker/tasker/durable";
 * await using db = await openPglite();
 * const versions = await appliedVersions(db); // Set {} before the first migrate
 * ```
 */
export async function appliedVersions(db: Queryable): Promise<Set<number>> {
  const [table] = await db.query<{ present: boolean }>(
    "SELECT to_regclass('tasker.schema_migrations') IS NOT NULL AS present",
  );
  if (!table?.present) return new Set();
  const rows = await db.query<{ version: number }>(
    "SELECT version FROM tasker.schema_migrations ORDER BY version",
  );
  return new Set(rows.map((row) => row.version));
}
