-- Migration 3, what Tasker's wire format needs in the database:
--
-- - the task columns its events carry that the task engine did not store (a request's tags,
--   priority, parent correlation id and request time), written at submit and read back when a
--   step is claimed, so every event's task row (`task_sequence_step.task.task`) holds the
--   request's own values;
-- - the notifications tasker-core's listeners wait for. tasker-core sends every message through
--   `pgmq_send_with_notify`, which NOTIFYs `pgmq_message_ready.<ns>` and `pgmq_message_ready`;
--   for a `{namespace}_domain_events` queue `<ns>` is `default`. A statement-level trigger on
--   each domain-event queue table (installed by `tasker.enable_domain_event_notify`, which the
--   durable writer calls once per queue) sends the same notifications for every message this
--   library writes, as the signal tasker-core sends for a large message: `message_ready` with
--   `msg_id`, `queue_name` and `payload_omitted` (see the trigger function for why not the event
--   itself).

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS tags jsonb NOT NULL DEFAULT '[]'::jsonb;

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS priority integer NOT NULL DEFAULT 0
  CHECK (priority BETWEEN -100 AND 100);

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS parent_correlation_id uuid;

ALTER TABLE tasker.tasks ADD COLUMN IF NOT EXISTS requested_at timestamptz NOT NULL
  DEFAULT now();

-- The trigger function: tasker-core's two NOTIFYs for every inserted message, in the signal-only
-- form (`message_ready`, `payload_omitted`) that tasker-core itself sends for large messages, on
-- which a listener reads the message by `msg_id`. Carrying the event itself (tasker-core's form
-- for messages under 7000 characters) was measured to double the cost of writing a batch of
-- full-size events; the signal costs a fraction of that and wakes the same listeners.
CREATE OR REPLACE FUNCTION tasker.notify_domain_event_ready()
RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  note text;
  queue text := substr(TG_TABLE_NAME, 3);
BEGIN
  FOR r IN SELECT n.msg_id, n.vt FROM new_rows n ORDER BY n.msg_id LOOP
    note := json_build_object('event_type', 'message_ready', 'msg_id', r.msg_id,
      'queue_name', queue, 'namespace', 'default', 'ready_at', r.vt, 'delay_seconds', 0,
      'payload_omitted', true)::text;
    PERFORM pg_notify('pgmq_message_ready.default', note);
    PERFORM pg_notify('pgmq_message_ready', note);
  END LOOP;
  RETURN NULL;
END
$fn$;

-- Installs the trigger on one queue's table, once (a no-op when it is there).
CREATE OR REPLACE FUNCTION tasker.enable_domain_event_notify(queue text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF queue !~ '^[a-z_][a-z0-9_]{0,46}$' THEN
    RAISE EXCEPTION 'invalid queue name %', queue USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (
    SELECT 1 FROM pg_trigger tg
      JOIN pg_class c ON c.oid = tg.tgrelid
      JOIN pg_namespace ns ON ns.oid = c.relnamespace
     WHERE ns.nspname = 'pgmq' AND c.relname = 'q_' || queue
       AND tg.tgname = 'tasker_domain_event_notify'
  ) THEN
    EXECUTE format(
      'CREATE OR REPLACE TRIGGER tasker_domain_event_notify AFTER INSERT ON pgmq.%I '
      'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
      'EXECUTE FUNCTION tasker.notify_domain_event_ready()',
      'q_' || queue);
  END IF;
END
$fn$;
