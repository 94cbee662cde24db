-- The task engine's tables in schema `tasker`: tasks, their steps, and the domain events each
-- step fired (durable and broadcast ones are owed until the writer has put them in PGMQ).

CREATE TABLE IF NOT EXISTS tasker.tasks (
  task_uuid uuid PRIMARY KEY,
  namespace text NOT NULL,
  name text NOT NULL,
  version text NOT NULL,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'in_progress', 'complete', 'error')),
  context jsonb NOT NULL,
  correlation_id text NOT NULL,
  initiator text,
  source_system text,
  reason text,
  step_count integer NOT NULL,
  steps_complete integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE INDEX IF NOT EXISTS tasks_state_idx ON tasker.tasks (state, created_at);

CREATE TABLE IF NOT EXISTS tasker.steps (
  step_uuid uuid PRIMARY KEY,
  task_uuid uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  name text NOT NULL,
  position integer NOT NULL,
  handler_callable text NOT NULL,
  pending_dependencies integer NOT NULL,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'enqueued', 'in_progress', 'complete', 'waiting_for_retry', 'error')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  retryable boolean NOT NULL,
  next_attempt_at timestamptz,
  result jsonb,
  error jsonb,
  claimed_by text,
  claim_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz,
  UNIQUE (task_uuid, name)
);

CREATE TABLE IF NOT EXISTS tasker.step_events (
  event_id uuid PRIMARY KEY,
  task_uuid uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  step_uuid uuid NOT NULL,
  event_name text NOT NULL,
  delivery_mode text NOT NULL CHECK (delivery_mode IN ('durable', 'fast', 'broadcast')),
  queue text,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_routed_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);

CREATE INDEX IF NOT EXISTS step_events_task_idx ON tasker.step_events (task_uuid);

CREATE INDEX IF NOT EXISTS step_events_owed_idx ON tasker.step_events (last_routed_at)
  WHERE sent_at IS NULL;
