/**
 * Reading a task's state back: the task row, each step's state, attempts, result and error, and
 * the domain events its steps fired. This is what `tasker status` and `tasker run --json` print.
 *
 * Beside the stored state, every read shows Tasker's fine-grained task state (`tasker_state`),
 * derived at read time from the stored state and the steps' states ({@link taskerState}): the
 * engine never writes it, so the per-step transactions stay as they are.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { DeliveryMode, JsonObject } from "../events/types.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";
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
  /** Tasker's task state, derived from `status` and the steps' states ({@link taskerState}). */
  tasker_state: TaskerTaskState;
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

/** Tasker's twelve task states (its `task_state_machine`). */
export type TaskerTaskState =
  | "pending"
  | "initializing"
  | "enqueuing_steps"
  | "steps_in_process"
  | "evaluating_results"
  | "waiting_for_dependencies"
  | "waiting_for_retry"
  | "blocked_by_failures"
  | "complete"
  | "error"
  | "cancelled"
  | "resolved_manually";

/** What {@link taskerState} reads: the stored task state and a tally of its steps. */
export interface TaskStateFacts {
  /** The stored task state. */
  state: string;
  /** How many of the task's steps are in each state (absent states: none). */
  steps: Readonly<Partial<Record<string, number>>>;
  /** Whether any step has run (an attempt made) or been settled. */
  started: boolean;
  /** Whether the task's first steps are held until a later `run_at`. */
  delayed: boolean;
}

const KEPT: ReadonlySet<string> = new Set([
  "pending",
  "complete",
  "cancelled",
  "resolved_manually",
  "blocked_by_failures",
]);

/**
 * Tasker's task state for a task, derived from its stored state and its steps' states (first
 * rule that applies; the README's "Task states" has the table):
 *
 * 1. stored `pending`, `complete`, `cancelled`, `resolved_manually`, `blocked_by_failures` → the same;
 * 2. a step in Tasker's `enqueued_for_orchestration` / `enqueued_as_error_for_orchestration` →
 *    `evaluating_results`;
 * 3. a step `in_progress` → `steps_in_process`;
 * 4. a step `enqueued`: `pending` while the task is delayed and nothing has run, `initializing`
 *    when no step has run yet, else `enqueuing_steps`;
 * 5. a step `waiting_for_retry` → `waiting_for_retry`;
 * 6. a step in `error` → `blocked_by_failures` (nothing runs; an operator can reset it);
 * 7. stored `error` → `error` (failed with no step in error: the staleness detector);
 * 8. a step `pending` → `waiting_for_dependencies`;
 * 9. no step yet → `initializing`; every step finished → `evaluating_results`.
 *
 * @example
 * ```ts
 * import { taskerState } from "./task_status.ts";
 * taskerState({ state: "in_progress", steps: { in_progress: 1, pending: 2 }, started: true,
 *   delayed: false }); // "steps_in_process"
 * ```
 */
export function taskerState(facts: TaskStateFacts): TaskerTaskState {
  if (KEPT.has(facts.state)) return facts.state as TaskerTaskState;
  const n = (state: string) => facts.steps[state] ?? 0;
  if (n("enqueued_for_orchestration") + n("enqueued_as_error_for_orchestration") > 0) {
    return "evaluating_results";
  }
  if (n("in_progress") > 0) return "steps_in_process";
  if (n("enqueued") > 0) {
    if (facts.started) return "enqueuing_steps";
    return facts.delayed ? "pending" : "initializing";
  }
  if (n("waiting_for_retry") > 0) return "waiting_for_retry";
  if (n("error") > 0) return "blocked_by_failures";
  if (facts.state === "error") return "error";
  if (n("pending") > 0) return "waiting_for_dependencies";
  const total = Object.values(facts.steps).reduce((sum: number, k) => sum + (k ?? 0), 0);
  return total === 0 ? "initializing" : "evaluating_results";
}

/**
 * The columns {@link taskerStateOf} reads, for a query over `tasker.tasks t`: the steps' tally
 * (skipped for finished tasks, whose state needs none) and whether the task is delayed.
 */
export const TASKER_STATE_COLUMNS =
  `CASE WHEN t.state IN ('complete', 'cancelled', 'resolved_manually')
         THEN NULL
         ELSE (SELECT jsonb_build_object('steps', coalesce(jsonb_object_agg(x.state, x.n), '{}'),
                                         'started', coalesce(bool_or(x.started), false))
                 FROM (SELECT s.state, count(*)::int AS n,
                              bool_or(s.attempts > 0 OR s.state IN ('complete', 'error',
                                        'cancelled', 'resolved_manually')) AS started
                         FROM tasker.steps s WHERE s.task_uuid = t.task_uuid
                        GROUP BY s.state) x)
       END AS step_tally,
       coalesce(t.run_at > now(), false) AS delayed`;

/** A row carrying {@link TASKER_STATE_COLUMNS} and the stored state. */
export interface TaskerStateRow {
  /** The tally of the task's steps (null for a finished task). */
  step_tally: { steps: Record<string, number>; started: boolean } | null;
  /** Whether its first steps are held until a later time. */
  delayed: boolean;
}

/** Tasker's task state of a row read with {@link TASKER_STATE_COLUMNS}. */
export function taskerStateOf(state: string, row: TaskerStateRow): TaskerTaskState {
  return taskerState({
    state,
    steps: row.step_tally?.steps ?? {},
    started: row.step_tally?.started ?? false,
    delayed: row.delayed,
  });
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
  const rows = await db.query<
    TaskerStateRow & {
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
    }
  >(
    `SELECT t.namespace, t.name, t.version, t.state, t.correlation_id, ${TASKER_STATE_COLUMNS},
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
                      'step_name', coalesce(e.step_name, e.envelope->'metadata'->>'step_name'),
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
    tasker_state: taskerStateOf(row.state, row),
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
