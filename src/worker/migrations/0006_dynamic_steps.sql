-- Migration 6: what dynamic workflows (decision points, batch processing, checkpoint/yield) need
-- on step rows.
--
-- - `template_step`: the template step a row was made from when its name differs (a batch
--   worker `process_batch_001` runs template step `process_batch`); null means the row's name.
-- - `inputs`: the step's own input (a batch worker's cursor and batch metadata), handed to its
--   handler as `ctx.inputs`.
-- - `waits_for`: the names of the steps this row actually waits for, when they differ from its
--   template dependencies (a convergence step waits for the branches or batches created, not for
--   every one declared). Null: every template dependency, as for steps created at submit.
-- - `batch_of`: the batchable step that created a batch worker; workers of one batchable step
--   share its `parallelism` budget.
-- - `checkpoint`: the last checkpoint a yielding step saved, with its history.

ALTER TABLE tasker.steps ADD COLUMN IF NOT EXISTS template_step text;

ALTER TABLE tasker.steps ADD COLUMN IF NOT EXISTS inputs jsonb;

ALTER TABLE tasker.steps ADD COLUMN IF NOT EXISTS waits_for text[];

ALTER TABLE tasker.steps ADD COLUMN IF NOT EXISTS batch_of uuid;

ALTER TABLE tasker.steps ADD COLUMN IF NOT EXISTS checkpoint jsonb;

CREATE INDEX IF NOT EXISTS steps_batch_of_idx ON tasker.steps (batch_of)
  WHERE batch_of IS NOT NULL;
