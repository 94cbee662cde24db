-- Migration 7, what operators and the staleness detector need:
--
-- - Tasker's task and step states: tasks may also be `cancelled`, `resolved_manually` or
--   `blocked_by_failures`, steps `cancelled`, `resolved_manually` (and Tasker's two
--   `enqueued_*_for_orchestration` states, so rows Tasker's tools write are accepted);
-- - `tasker.transitions`, the history of state changes — who, when, why: every change of a
--   task's state (its creation, its end, operator actions), and every change of a step's state
--   made by a named actor (operators, the staleness detector). Triggers write it, so any code
--   path is recorded without knowing about it; a transaction names its actor, reason and
--   metadata with `set_config('tasker.actor', …, true)` (see `transitions.ts`);
-- - task identity: `identity_hash` with a unique index, so two identical submissions create one
--   task however concurrent they are, plus the strategy and key that produced it;
-- - `tasker.tasks_dlq`, Tasker's task dead-letter queue: an investigation record per stale task
--   (at most one `pending` entry per task), with the reason, a snapshot and its resolution.

-- The constraints are the inline CHECKs of migration 2, named by PostgreSQL's convention.
ALTER TABLE tasker.tasks DROP CONSTRAINT IF EXISTS tasks_state_check;

ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_state_check
  CHECK (state IN ('pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually', 'blocked_by_failures'));

ALTER TABLE tasker.steps DROP CONSTRAINT IF EXISTS steps_state_check;

ALTER TABLE tasker.steps ADD CONSTRAINT steps_state_check
  CHECK (state IN ('pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration', 'enqueued_as_error_for_orchestration', 'waiting_for_retry', 'complete', 'error', 'cancelled', 'resolved_manually'));

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS identity_hash text;

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS identity_strategy text;

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS idempotency_key text;

-- NULLs are distinct: always_unique tasks (no hash) never conflict.
CREATE UNIQUE INDEX IF NOT EXISTS tasks_identity_hash_idx ON tasker.tasks (identity_hash);

CREATE TABLE IF NOT EXISTS tasker.transitions (
  transition_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_uuid uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  step_uuid uuid,
  step_name text,
  from_state text,
  to_state text NOT NULL,
  actor text NOT NULL,
  reason text,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX IF NOT EXISTS transitions_task_idx ON tasker.transitions (task_uuid, transition_id);

-- The trigger functions record the actor, reason and metadata of the current transaction, as
-- `transitions.ts` sets them (`set_config('tasker.actor', ..., true)` and so on).
CREATE OR REPLACE FUNCTION tasker.record_step_transition()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO tasker.transitions
    (task_uuid, step_uuid, step_name, from_state, to_state, actor, reason, metadata)
  VALUES (NEW.task_uuid, NEW.step_uuid, NEW.name, OLD.state, NEW.state, nullif(current_setting('tasker.actor', true), ''), nullif(current_setting('tasker.reason', true), ''),
          nullif(current_setting('tasker.transition_metadata', true), '')::jsonb);
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION tasker.record_task_transition()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO tasker.transitions (task_uuid, from_state, to_state, actor, reason, metadata)
  VALUES (NEW.task_uuid, CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END, NEW.state,
          coalesce(nullif(current_setting('tasker.actor', true), ''), CASE WHEN TG_OP = 'INSERT' THEN NEW.initiator END,
                   CASE WHEN TG_OP = 'INSERT' THEN 'submit' ELSE 'engine' END),
          coalesce(nullif(current_setting('tasker.reason', true), ''), CASE WHEN TG_OP = 'INSERT' THEN NEW.reason END), nullif(current_setting('tasker.transition_metadata', true), '')::jsonb);
  RETURN NULL;
END
$fn$;

-- Steps: only changes a named actor makes (operators, the staleness detector). The engine's
-- own step transitions (three per step) are not recorded: measured, recording them doubled
-- the cost of the claim and outcome statements. The WHEN clause is evaluated per row
-- without calling the function, so engine updates pay next to nothing.
CREATE OR REPLACE TRIGGER tasker_step_transitions AFTER UPDATE OF state ON tasker.steps
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
    AND coalesce(current_setting('tasker.actor', true), '') <> '')
  EXECUTE FUNCTION tasker.record_step_transition();

-- Tasks: every change (one per task finished, or per operator action) and the creation.
CREATE OR REPLACE TRIGGER tasker_task_transitions AFTER UPDATE OF state ON tasker.tasks
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION tasker.record_task_transition();

CREATE OR REPLACE TRIGGER tasker_task_creation AFTER INSERT ON tasker.tasks
  FOR EACH ROW EXECUTE FUNCTION tasker.record_task_transition();

CREATE TABLE IF NOT EXISTS tasker.tasks_dlq (
  dlq_entry_uuid uuid PRIMARY KEY,
  task_uuid uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  original_state text NOT NULL,
  dlq_reason text NOT NULL CHECK (dlq_reason IN ('staleness_timeout', 'max_retries_exceeded',
    'dependency_cycle_detected', 'worker_unavailable', 'manual_dlq')),
  dlq_timestamp timestamptz NOT NULL DEFAULT now(),
  resolution_status text NOT NULL DEFAULT 'pending' CHECK (resolution_status IN ('pending',
    'manually_resolved', 'permanently_failed', 'cancelled')),
  resolution_timestamp timestamptz,
  resolution_notes text,
  resolved_by text,
  task_snapshot jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE UNIQUE INDEX IF NOT EXISTS tasks_dlq_pending_idx ON tasker.tasks_dlq (task_uuid)
  WHERE resolution_status = 'pending';

CREATE INDEX IF NOT EXISTS tasks_dlq_status_idx ON tasker.tasks_dlq
  (resolution_status, dlq_timestamp);
