-- Migration 9, events written with their step's outcome. When the durable queue lives in the
-- task engine's database (always, under `Tasker.open`), a step's durable events go into PGMQ
-- inside the step's own transaction, so they need no outbox copy: their `tasker.step_events`
-- row is the task's event history only — id, name, mode, queue, the PGMQ `msg_id`, the step's
-- name and the business payload — and the full wire envelope lives once, in the PGMQ message.
-- Rows of events still owed (written by the DurableWriter after the commit) keep the envelope,
-- which recovery re-sends.

ALTER TABLE tasker.step_events ALTER COLUMN envelope DROP NOT NULL;

ALTER TABLE tasker.step_events ADD COLUMN IF NOT EXISTS step_name text;

ALTER TABLE tasker.step_events ADD COLUMN IF NOT EXISTS payload jsonb;

ALTER TABLE tasker.step_events ADD COLUMN IF NOT EXISTS msg_id bigint;
