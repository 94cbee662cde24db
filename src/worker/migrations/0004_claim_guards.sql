-- Migration 4: what a claim must know before it runs a step. `tasks.template_hash` records the
-- content of the template a task was created from, so a worker holding a same-named template
-- with other content refuses its steps; `steps.foreign_since` records since when workers that
-- cannot run a step (they lack its template) have been leaving it, so it fails with a clear
-- error only when no worker has taken it for a configured time.

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS template_hash text;

ALTER TABLE tasker.steps ADD COLUMN IF NOT EXISTS foreign_since timestamptz;
