/**
 * Retrying a failed task (`tasker tasks retry`, `POST /v1/tasks/{uuid}/retry`): every step in
 * `error` is reset for retry (fresh attempts, see `resetStep`), which brings the task back to
 * `in_progress`. Refused, with the task's state named, when no step is in error (a running or
 * finished task).
 *
 * @module
 */

import type { TemplateRegistry } from "../template/registry.ts";
import type { Database } from "../durable/db/database.ts";
import { resetStep, type TaskActionResult } from "./task_actions.ts";
import { TaskNotFoundError } from "./task_status.ts";
import { InvalidTransitionError, type TransitionActor } from "./transitions.ts";
import { isUuid } from "./task_queries.ts";

/**
 * Resets every failed step of a task for retry.
 *
 * @throws {TaskNotFoundError} for an unknown task
 * @throws {InvalidTransitionError} when none of its steps is in `error`
 *
 * @example
 * ```ts ignore
 * const result = await retryTask(db, taskUuid, { by: "ops", reason: "gateway fixed" });
 * console.log(result.task_state, result.enqueued);
 * ```
 */
export async function retryTask(
  db: Database,
  taskUuid: string,
  actor: TransitionActor,
  templates?: TemplateRegistry,
): Promise<TaskActionResult> {
  if (!isUuid(taskUuid)) throw new TaskNotFoundError(taskUuid);
  const rows = await db.query<{ state: string; failed: string[] }>(
    `SELECT t.state, coalesce((SELECT array_agg(s.name ORDER BY s.position) FROM tasker.steps s
                               WHERE s.task_uuid = t.task_uuid AND s.state = 'error'), '{}') AS failed
       FROM tasker.tasks t WHERE t.task_uuid = $1::uuid`,
    [taskUuid],
  );
  const row = rows[0];
  if (!row) throw new TaskNotFoundError(taskUuid);
  if (row.failed.length === 0) {
    throw new InvalidTransitionError("task", taskUuid, "retry", row.state, ["error"]);
  }
  let result: TaskActionResult | undefined;
  const enqueued: string[] = [];
  for (const step of row.failed) {
    // With the templates, a reset batch worker is queued exactly within its batch's parallelism.
    result = await resetStep(db, taskUuid, step, actor, templates);
    enqueued.push(...result.enqueued);
  }
  return { ...result!, step: undefined, enqueued };
}
