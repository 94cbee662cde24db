/**
 * What every operator action shares (task_actions.ts, step_actions.ts): the shape of its result,
 * the check that it names who acts, the lock on the task row that every outcome transaction also
 * takes first, and queueing the steps it releases in the queue of the task's priority band.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { sendBatchVisibleNow } from "../durable/pgmq/statements.ts";
import { isUuid } from "../events/uuid.ts";
import { TaskerError } from "../errors.ts";
import { stepQueueFor } from "./priority_queues.ts";
import { ensureQueue } from "./queues.ts";
import type { StepState, TaskState } from "./step_store.ts";
import { TaskNotFoundError } from "./task_status.ts";
import type { TransitionActor } from "./transitions.ts";

/** What an operator action did. */
export interface TaskActionResult {
  /** The task. */
  task_uuid: string;
  /** The task's state afterwards. */
  task_state: TaskState;
  /** The step acted on, with its new state (step actions only). */
  step?: { name: string; state: StepState };
  /** Steps the action cancelled (task actions). */
  cancelled: string[];
  /** Steps it queued to run (the reset step, released dependants). */
  enqueued: string[];
}

/** The task row an action locked: its state, and what finds its template and its queue. */
export interface TaskRow {
  state: TaskState;
  namespace: string;
  name: string;
  version: string;
  priority: number;
}

/**
 * Locks the task's row (`FOR UPDATE`), as every outcome transaction does first, so an action and
 * a worker's outcome for the same task never interleave.
 *
 * @throws {TaskNotFoundError} for an unknown task (or a reference that is not a UUID)
 *
 * @example
 * ```ts ignore
 * const task = await lockTask(tx, taskUuid);
 * ```
 */
export async function lockTask(tx: Queryable, taskUuid: string): Promise<TaskRow> {
  if (!isUuid(taskUuid)) throw new TaskNotFoundError(taskUuid);
  const [task] = await tx.query<TaskRow>(
    `SELECT state, namespace, name, version, priority FROM tasker.tasks
      WHERE task_uuid = $1::uuid FOR UPDATE`,
    [taskUuid],
  );
  if (!task) throw new TaskNotFoundError(taskUuid);
  return task;
}

/**
 * Queues steps of the task in the queue of its priority band, visible at once.
 *
 * @example
 * ```ts ignore
 * await sendSteps(tx, task, taskUuid, [stepUuid]);
 * ```
 */
export async function sendSteps(
  tx: Queryable,
  task: TaskRow,
  taskUuid: string,
  stepUuids: readonly string[],
): Promise<void> {
  if (stepUuids.length === 0) return;
  const queue = stepQueueFor(task.namespace, task.priority);
  await ensureQueue(tx, queue);
  await sendBatchVisibleNow(
    tx,
    queue,
    stepUuids.map((step_uuid) => ({ task_uuid: taskUuid, step_uuid })),
  );
}

/**
 * Refuses an action that does not say who does it.
 *
 * @throws {TaskerError} `E_ACTOR_REQUIRED` when `actor.by` is not a non-empty string
 *
 * @example
 * ```ts ignore
 * checkActor({ by: "ops@example.com" });
 * ```
 */
export function checkActor(actor: TransitionActor): void {
  if (typeof actor?.by !== "string" || actor.by.trim() === "") {
    throw new TaskerError(
      "E_ACTOR_REQUIRED",
      "an operator action needs `by` (who does it), a non-empty string",
    );
  }
}

/**
 * The names of `rows`, sorted (the order an action's result lists steps in).
 *
 * @example
 * ```ts ignore
 * sortedNames([{ name: "b" }, { name: "a" }]); // ["a", "b"]
 * ```
 */
export function sortedNames(rows: readonly { name: string }[]): string[] {
  return rows.map((r) => r.name).sort();
}
