/**
 * One task in full (each step's timing, every event with its payload): what the inspector's task
 * view, `tasker tasks show` and `GET /v1/tasks/{uuid}` show.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import type { JsonObject } from "../events/types.ts";
import { isUuid } from "../events/uuid.ts";
import { TaskNotFoundError } from "./task_status.ts";
import {
  jsonTime,
  SUMMARY_COLUMNS,
  type SummaryRow,
  type TaskSummary,
  taskSummaryOf,
} from "./task_summary.ts";

/** One step of a {@link TaskDetail}, with its timing. */
export interface StepDetail {
  /** The step's UUID. */
  step_uuid: string;
  /** Step name. */
  name: string;
  /** Its state. */
  state: string;
  /** Attempts made. */
  attempts: number;
  /** Attempts allowed. */
  max_attempts: number;
  /** The result, once complete. */
  result: unknown;
  /** The last error, or null. */
  error: JsonObject | null;
  /** When the step row was created (ISO 8601). */
  created_at: string;
  /** When its current (or last) attempt started, or null. */
  started_at: string | null;
  /** When it finished, or null. */
  completed_at: string | null;
  /** When its next attempt is due, or null. */
  next_attempt_at: string | null;
}

/** One event of a {@link TaskDetail}, with its payload. */
export interface EventDetail {
  /** The event's UUIDv7. */
  event_id: string;
  /** Its name. */
  event_name: string;
  /** `durable`, `fast` or `broadcast`. */
  delivery_mode: string;
  /** The step that fired it. */
  step_name: string | null;
  /** The PGMQ queue (durable and broadcast), or null. */
  queue: string | null;
  /** The event's business payload (`payload.payload` of its envelope, as its schema describes). */
  payload: unknown;
  /** When it was fired (ISO 8601). */
  created_at: string;
  /** When it reached its queue (ISO 8601), null while owed or for fast events. */
  sent_at: string | null;
}

/** A task in full: what the inspector's task view and `GET /v1/tasks/{uuid}` show. */
export interface TaskDetail extends TaskSummary {
  /** The task's input. */
  context: JsonObject;
  /** Who asked, or null. */
  initiator: string | null;
  /** Where the request came from, or null. */
  source_system: string | null;
  /** Why it runs, or null. */
  reason: string | null;
  /** Priority, -100 to 100. */
  priority: number;
  /** Steps in template order. */
  steps: StepDetail[];
  /** Every event its steps fired (durable, fast and broadcast), in firing order. */
  events: EventDetail[];
}

/**
 * One task in full: its request fields, every step with its timing, every event with its
 * payload (durable and broadcast ones included, owed or sent).
 *
 * @throws {TaskNotFoundError} when there is no such task
 *
 * @example
 * ```ts ignore
 * const detail = await taskDetail(db, task.task_uuid);
 * for (const step of detail.steps) console.log(step.name, step.state, step.started_at);
 * ```
 */
export async function taskDetail(db: Queryable, taskUuid: string): Promise<TaskDetail> {
  if (!isUuid(taskUuid)) throw new TaskNotFoundError(taskUuid);
  const rows = await db.query<SummaryRow & Omit<TaskDetail, keyof TaskSummary>>(
    `SELECT ${SUMMARY_COLUMNS}, t.context, t.initiator, t.source_system, t.reason, t.priority,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('step_uuid', s.step_uuid,
                      'name', s.name, 'state', s.state, 'attempts', s.attempts,
                      'max_attempts', s.max_attempts, 'result', s.result, 'error', s.error,
                      'created_at', s.created_at, 'started_at', s.started_at,
                      'completed_at', s.completed_at, 'next_attempt_at', s.next_attempt_at)
                      ORDER BY s.position), '[]'::jsonb)
               FROM tasker.steps s WHERE s.task_uuid = t.task_uuid) AS steps,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('event_id', e.event_id,
                      'event_name', e.event_name, 'delivery_mode', e.delivery_mode,
                      'step_name', coalesce(e.step_name, e.envelope->'metadata'->>'step_name'),
                      'queue', e.queue,
                      'payload', coalesce(e.payload, e.envelope->'payload'->'payload'), 'created_at', e.created_at,
                      'sent_at', e.sent_at)
                      ORDER BY e.event_id), '[]'::jsonb)
               FROM tasker.step_events e WHERE e.task_uuid = t.task_uuid) AS events
       FROM tasker.tasks t WHERE t.task_uuid = $1::uuid`,
    [taskUuid],
  );
  const row = rows[0];
  if (!row) throw new TaskNotFoundError(taskUuid);
  return {
    ...taskSummaryOf(row),
    context: row.context,
    initiator: row.initiator,
    source_system: row.source_system,
    reason: row.reason,
    priority: row.priority,
    steps: row.steps.map((s) => ({
      ...s,
      created_at: jsonTime(s.created_at)!,
      started_at: jsonTime(s.started_at),
      completed_at: jsonTime(s.completed_at),
      next_attempt_at: jsonTime(s.next_attempt_at),
    })),
    events: row.events.map((e) => ({
      ...e,
      payload: e.payload ?? null,
      created_at: jsonTime(e.created_at)!,
      sent_at: jsonTime(e.sent_at),
    })),
  };
}
