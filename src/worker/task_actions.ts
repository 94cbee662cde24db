/**
 * Operator actions on tasks and steps (Tasker's `DELETE /v1/tasks/{uuid}` and step `PATCH`
 * actions), each ONE transaction that locks the task row first — the same lock every outcome
 * transaction takes — so an action and a worker's outcome for the same task never interleave.
 * Every state change is recorded in the transition history with the operator's name and reason
 * (transitions.ts).
 *
 * - {@link cancelTask}: every unfinished step becomes `cancelled`, the task `cancelled`. Queued
 *   steps are never claimed (their messages are dropped when read); a running handler loses its
 *   claim at its worker's next lease renewal (the renewal requires `in_progress`), so its signal
 *   is aborted with `ClaimLostError` and its outcome is never recorded.
 * - {@link resolveTask}: the same, ending `resolved_manually` (also from `error`).
 * - {@link resetStep}: `error` → `enqueued` (or `pending` while it waits for dependencies) with
 *   attempts back to 0, as Tasker intends (its code forgets to reset them).
 * - {@link resolveStep} / {@link completeStep}: the step becomes `resolved_manually` / `complete`
 *   (with the result given), its dependants are released as if it had succeeded; a decision or
 *   batchable step completed by hand creates the branches or batch workers its result names.
 * - A batch worker reset or settled by hand keeps to its batch's `parallelism`.
 *
 * A task in `error` comes back: when an action leaves none of its steps in `error`, it is
 * `in_progress` again (or `complete` when nothing is left to run). Tasker lists that transition
 * but its guard refuses it.
 *
 * The task actions are here, the step actions in `step_actions.ts` (both exported from this
 * module), and what they share in `operator_action.ts`.
 *
 * @module
 */

import type { Database } from "../durable/db/database.ts";
import type { TaskState } from "./step_store.ts";
import { checkActor, lockTask, sortedNames, type TaskActionResult } from "./operator_action.ts";
import {
  InvalidTransitionError,
  setTransitionActor,
  TASK_ACTION_FROM,
  type TaskAction,
  type TransitionActor,
} from "./transitions.ts";

export type { TaskActionResult } from "./operator_action.ts";
export { completeStep, InvalidManualResultError, resetStep, resolveStep } from "./step_actions.ts";

/** Steps in these states are finished: a cancel leaves them as they are. */
const FINISHED_STEPS = ["complete", "cancelled", "resolved_manually"];

/**
 * Cancels a task: its unfinished steps never run (running handlers are aborted at their next
 * lease renewal) and it ends `cancelled`.
 *
 * @throws {TaskNotFoundError} for an unknown task
 * @throws {InvalidTransitionError} when the task is already finished
 *
 * @example
 * ```ts ignore
 * await cancelTask(db, taskUuid, { by: "ops@example.com", reason: "duplicate order" });
 * ```
 */
export function cancelTask(
  db: Database,
  taskUuid: string,
  actor: TransitionActor,
): Promise<TaskActionResult> {
  return endTask(db, taskUuid, actor, "cancel", "cancelled");
}

/**
 * Settles a task by hand: like {@link cancelTask}, but it ends `resolved_manually`, and a task in
 * `error` may be resolved too.
 *
 * @throws {TaskNotFoundError} for an unknown task
 * @throws {InvalidTransitionError} when the task is complete, cancelled or already resolved
 */
export function resolveTask(
  db: Database,
  taskUuid: string,
  actor: TransitionActor,
): Promise<TaskActionResult> {
  return endTask(db, taskUuid, actor, "resolve_manually", "resolved_manually");
}

async function endTask(
  db: Database,
  taskUuid: string,
  actor: TransitionActor,
  action: TaskAction,
  end: TaskState,
): Promise<TaskActionResult> {
  checkActor(actor);
  return await db.transaction(async (tx) => {
    await setTransitionActor(tx, actor);
    const task = await lockTask(tx, taskUuid);
    const allowed = TASK_ACTION_FROM[action];
    if (!allowed.includes(task.state)) {
      throw new InvalidTransitionError("task", taskUuid, action, task.state, allowed);
    }
    const cancelled = await tx.query<{ name: string }>(
      `UPDATE tasker.steps
          SET state = 'cancelled', claim_expires_at = NULL, next_attempt_at = NULL,
              completed_at = now(), updated_at = now()
        WHERE task_uuid = $1::uuid AND state <> ALL($2::text[])
        RETURNING name`,
      [taskUuid, FINISHED_STEPS],
    );
    await tx.query(
      `UPDATE tasker.tasks SET state = $2, completed_at = now(), updated_at = now()
        WHERE task_uuid = $1::uuid`,
      [taskUuid, end],
    );
    return {
      task_uuid: taskUuid,
      task_state: end,
      cancelled: sortedNames(cancelled),
      enqueued: [],
    };
  });
}
