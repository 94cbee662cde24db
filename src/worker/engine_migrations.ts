/**
 * The task engine's migrations (versions 2 to 10): the numbered `.sql` files of
 * `src/worker/migrations/`, by name. Their text reaches the library through the generated
 * `migrations/sql.gen.ts` (`scripts/gen_migrations.ts`), so a URL import needs no file access.
 * {@link taskerMigrations} is the whole list a Tasker applies.
 *
 * @module
 */

import { builtinMigrations, type Migration } from "../durable/db/migrate.ts";
import { MIGRATIONS } from "./migrations/sql.gen.ts";

/** Task states as migration 7's constraint allows them (Tasker's terminal ones included). */
export const TASK_STATES = [
  "pending",
  "in_progress",
  "complete",
  "error",
  "cancelled",
  "resolved_manually",
  "blocked_by_failures",
] as const;

/** Step states as migration 7's constraint allows them. */
export const STEP_STATES = [
  "pending",
  "enqueued",
  "in_progress",
  "enqueued_for_orchestration",
  "enqueued_as_error_for_orchestration",
  "waiting_for_retry",
  "complete",
  "error",
  "cancelled",
  "resolved_manually",
] as const;

/** The generated migration of `version`; a missing one is a build error, so it throws. */
function migration(version: number): Migration {
  const found = MIGRATIONS.find((m) => m.version === version);
  if (found === undefined) throw new Error(`src/worker/migrations has no migration ${version}`);
  return found;
}

/** Migration 2: tasks, steps and step events. */
export const taskEngineMigration: Migration = migration(2);

/** Migration 3: the task request's wire columns and tasker-core's message notifications. */
export const taskWireColumnsMigration: Migration = migration(3);

/** Migration 4: template content hashes on tasks, and since when a step found no worker. */
export const claimGuardsMigration: Migration = migration(4);

/** Migration 6: dynamic step columns (template step, inputs, waits, batch, checkpoint). */
export const dynamicStepsMigration: Migration = migration(6);

/** Migration 7: Tasker's states, the transition history, task identity and the task DLQ. */
export const operationsMigration: Migration = migration(7);

/** Migration 8: delayed tasks, schedule fire records, and the indexes of listing and purging. */
export const taskOperationsMigration: Migration = migration(8);

/** Migration 9: step-event history rows without an envelope copy. */
export const eventHistoryMigration: Migration = migration(9);

/** Migration 10: fillfactor 70 on steps and tasks, room for HOT updates. */
export const fillfactorMigration: Migration = migration(10);

/** Every migration the framework needs: PGMQ, the `tasker` schema and the task engine. */
export const taskerMigrations: readonly Migration[] = [
  ...builtinMigrations,
  taskEngineMigration,
  taskWireColumnsMigration,
  claimGuardsMigration,
  dynamicStepsMigration,
  operationsMigration,
  taskOperationsMigration,
  eventHistoryMigration,
  fillfactorMigration,
];
