/**
 * Migration 9, events written with their step's outcome. When the durable queue lives in the
 * task engine's database (always, under `Tasker.open`), a step's durable events go into PGMQ
 * inside the step's own transaction, so they need no outbox copy: their `tasker.step_events`
 * row is the task's event history only — id, name, mode, queue, the PGMQ `msg_id`, the step's
 * name and the business payload — and the full wire envelope lives once, in the PGMQ message.
 * Rows of events still owed (written by the DurableWriter after the commit) keep the envelope,
 * which recovery re-sends.
 *
 * @module
 */

import type { Migration } from "../durable/migrations.ts";

/** Migration 9: step-event history rows without an envelope copy. */
export const eventHistoryMigration: Migration = {
  version: 9,
  name: "event_history_rows",
  statements: [
    `ALTER TABLE tasker.step_events ALTER COLUMN envelope DROP NOT NULL`,
    `ALTER TABLE tasker.step_events ADD COLUMN IF NOT EXISTS step_name text`,
    `ALTER TABLE tasker.step_events ADD COLUMN IF NOT EXISTS payload jsonb`,
    `ALTER TABLE tasker.step_events ADD COLUMN IF NOT EXISTS msg_id bigint`,
  ],
};

/**
 * Migration 10: room for HOT updates. A step row is updated three or four times in its life
 * (released, claimed, recorded) and a task row once per step; with full pages each update writes
 * a new version elsewhere and a new entry in every index. Leaving 30% of each page free lets
 * PostgreSQL update in place (heap-only tuples, no index writes) and keeps a task's rows together.
 * Applies to pages written from now on.
 */
export const fillfactorMigration: Migration = {
  version: 10,
  name: "steps_and_tasks_fillfactor",
  statements: [
    `ALTER TABLE tasker.steps SET (fillfactor = 70)`,
    `ALTER TABLE tasker.tasks SET (fillfactor = 70)`,
  ],
};
