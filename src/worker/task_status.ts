/**
 * Reading a task's state back: the task row, each step's state, attempts, result and error, and
 * the domain events its steps fired. This is what `tasker status` and `tasker run --json` print.
 *
 * @module
 */

import type { Queryable } from "../durable/database.ts";
import { TaskerError } from "../errors.ts";
import type { DeliveryMode, JsonObject } from "../events/types.ts";
import type { CheckpointRecord } from "./checkpoints.ts";
import type { StepState, TaskState } from "./step_store.ts";

/** One step of a {@link TaskStatus}. */
export interface StepStatus {
  /** Current state. */
  state: StepState;
  /** Attempts made so far. */
  attempts: number;
  /** The result, once complete. */
  result: unknown;
  /** The last error, when the last attempt failed. */
  error: JsonObject | null;
  /**
   * The last checkpoint the step saved, with the history of every yield; present only for a
   * step that yielded.
   */
  checkpoint?: CheckpointRecord;
}

/** One fired event of a {@link TaskStatus}. */
export interface FiredEvent {
  /** The event's name. */
  event_name: string;
  /** How it was routed. */
  delivery_mode: DeliveryMode;
  /** Its UUIDv7. */
  event_id: string;
  /** The step that fired it. */
  step_name: string;
  /** For durable and broadcast events: whether it is in its PGMQ queue yet. */
  sent: boolean;
}

/** A task with its steps and fired events. */
export interface TaskStatus {
  /** The task's UUID. */
  task_uuid: string;
  /** Template namespace. */
  namespace: string;
  /** Template name. */
  name: string;
  /** Template version. */
  version: string;
  /** `in_progress`, then `complete`, `error`, `cancelled` or `resolved_manually`. */
  status: TaskState;
  /** Correlation id. */
  correlation_id: string;
  /** Steps by name, in template order. */
  steps: Record<string, StepStatus>;
  /** Fired events in firing order. */
  events: FiredEvent[];
  /** The request's own fields, as submitted. */
  request: TaskRequestFields;
}

/** The fields of a task's request that `status` shows (what was submitted with it). */
export interface TaskRequestFields {
  /** -100..100; higher runs first within a namespace. */
  priority: number;
  /** Free-form labels. */
  tags: string[];
  /** Who asked. */
  initiator: string | null;
  /** The system the request came from. */
  source_system: string | null;
  /** Why the task runs. */
  reason: string | null;
  /** The correlation id of the request that caused this one. */
  parent_correlation_id: string | null;
  /** The idempotency key it was submitted with. */
  idempotency_key: string | null;
  /** The identity strategy that applied (`always_unique` when none was declared). */
  identity_strategy: string;
}

/** Thrown when no task has the given UUID. */
export class TaskNotFoundError extends TaskerError {
  /**
   * Creates the error naming the UUID.
   *
   * @param taskUuid the UUID that was asked for
   */
  constructor(taskUuid: string) {
    super("E_TASK_NOT_FOUND", `no task ${taskUuid}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a task's status.
 *
 * @throws {TaskNotFoundError} when there is no such task (or the id is not a UUID)
 *
 * @example
 * ```ts ignore
 * const status = await taskStatus(db, task.task_uuid);
 * console.log(status.status, status.steps.linear_step_4?.result);
 * ```
 */
export async function taskStatus(db: Queryable, taskUuid: string): Promise<TaskStatus> {
  if (!UUID.test(taskUuid)) throw new TaskNotFoundError(taskUuid);
  const rows = await db.query<{
    namespace: string;
    name: string;
    version: string;
    state: TaskState;
    correlation_id: string;
    request: TaskRequestFields;
    steps: {
      name: string;
      state: StepState;
      attempts: number;
      result: unknown;
      error: JsonObject | null;
      checkpoint: CheckpointRecord | null;
    }[];
    events: {
      event_name: string;
      delivery_mode: DeliveryMode;
      event_id: string;
      step_name: string;
      sent: boolean;
    }[];
  }>(
    `SELECT t.namespace, t.name, t.version, t.state, t.correlation_id,
            jsonb_build_object('priority', t.priority, 'tags', t.tags, 'initiator', t.initiator,
              'source_system', t.source_system, 'reason', t.reason,
              'parent_correlation_id', t.parent_correlation_id,
              'idempotency_key', t.idempotency_key,
              'identity_strategy', coalesce(t.identity_strategy, 'always_unique')) AS request,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('name', s.name, 'state', s.state,
                      'attempts', s.attempts, 'result', s.result, 'error', s.error,
                      'checkpoint', s.checkpoint)
                      ORDER BY s.position, s.name), '[]'::jsonb)
               FROM tasker.steps s WHERE s.task_uuid = t.task_uuid) AS steps,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('event_name', e.event_name,
                      'delivery_mode', e.delivery_mode, 'event_id', e.event_id,
                      'step_name', e.envelope->'metadata'->>'step_name',
                      'sent', e.sent_at IS NOT NULL)
                      ORDER BY e.event_id), '[]'::jsonb)
               FROM tasker.step_events e WHERE e.task_uuid = t.task_uuid) AS events
       FROM tasker.tasks t WHERE t.task_uuid = $1::uuid`,
    [taskUuid],
  );
  const row = rows[0];
  if (!row) throw new TaskNotFoundError(taskUuid);
  const steps: Record<string, StepStatus> = {};
  for (const step of row.steps) {
    steps[step.name] = {
      state: step.state,
      attempts: step.attempts,
      result: step.result,
      error: step.error,
      ...(step.checkpoint ? { checkpoint: step.checkpoint } : {}),
    };
  }
  return {
    task_uuid: taskUuid,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    status: row.state,
    correlation_id: row.correlation_id,
    steps,
    events: row.events,
    request: row.request,
  };
}

/** Whether a task state is final. */
export function isFinished(state: TaskState): boolean {
  // `error` is final for the engine; an operator can still bring the task back (task_actions.ts).
  return state === "complete" || state === "error" || state === "cancelled" ||
    state === "resolved_manually";
}

/**
 * Polls until the task is complete or in error, or `timeoutMs` passes.
 *
 * @throws {TaskerError} `E_TASK_WAIT_TIMEOUT` when it does not finish in time
 *
 * @example
 * ```ts ignore
 * const done = await waitForTask(db, task.task_uuid, { timeoutMs: 10_000 });
 * ```
 */
export async function waitForTask(
  db: Queryable,
  taskUuid: string,
  options: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {},
): Promise<TaskStatus> {
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  const pollMs = options.pollMs ?? 25;
  for (;;) {
    const rows = await db.query<{ state: TaskState }>(
      "SELECT state FROM tasker.tasks WHERE task_uuid = $1::uuid",
      [taskUuid],
    );
    const state = rows[0]?.state;
    if (state === undefined) throw new TaskNotFoundError(taskUuid);
    if (isFinished(state)) return await taskStatus(db, taskUuid);
    if (options.signal?.aborted) throw options.signal.reason;
    if (performance.now() > deadline) {
      throw new TaskerError(
        "E_TASK_WAIT_TIMEOUT",
        `task ${taskUuid} did not finish within ${options.timeoutMs ?? 60_000} ms (state ${state})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
