-- Migration 8, task operations:
--
-- - `tasks.run_at`: when a delayed task's first steps become visible to workers (null: at once),
--   so `status` and the task list can say when it will run;
-- - `schedule_fires`: one row per (schedule, fire time). A worker fires a schedule by inserting
--   that row in the same transaction that submits the task; the primary key makes a second
--   worker's insert a no-op, so among any number of workers exactly one fires each occurrence;
-- - indexes for the task list's filters and for retention's scan of finished tasks.

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS run_at timestamptz;

CREATE INDEX IF NOT EXISTS tasks_created_idx ON tasker.tasks (created_at DESC);

CREATE INDEX IF NOT EXISTS tasks_correlation_idx ON tasker.tasks (correlation_id);

-- Retention's scan: finished tasks by the time they finished.
CREATE INDEX IF NOT EXISTS tasks_finished_idx ON tasker.tasks
  (state, (coalesce(completed_at, updated_at)));

CREATE TABLE IF NOT EXISTS tasker.schedule_fires (
  schedule_name text NOT NULL,
  fire_time timestamptz NOT NULL,
  task_uuid uuid,
  fired_by text NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule_name, fire_time)
);
