/**
 * Operator actions on one step of a task (Tasker's step `PATCH` actions), each ONE transaction
 * that locks the task row first (`operator_action.ts`) and records the change with the
 * operator's name and reason:
 *
 * - {@link resetStep}: `error` → `enqueued` (or `pending` while it waits for dependencies) with
 *   attempts back to 0.
 * - {@link resolveStep} / {@link completeStep}: the step becomes `resolved_manually` / `complete`
 *   (with the result given), its dependants are released as if it had succeeded; a decision or
 *   batchable step completed by hand creates the branches or batch workers its result names.
 * - A batch worker reset or settled by hand keeps to its batch's `parallelism`.
 *
 * After each, the task is reconciled: with none of its steps left in `error` it is `in_progress`
 * again, or `complete` when nothing is left to run.
 *
 * @module
 */

import type { Database, Queryable } from "../durable/db/database.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { StepTemplate, TaskTemplate } from "../template/types.ts";
import { createExpansion, type Expansion, nextBatchWorkers, planDynamic } from "./dynamic_steps.ts";
import { stepGraph } from "./graph.ts";
import {
  checkActor,
  lockTask,
  sendSteps,
  sortedNames,
  type TaskActionResult,
  type TaskRow,
} from "./operator_action.ts";
import { stepQueueFor } from "./priority_queues.ts";
import { ensureQueue } from "./queues.ts";
import type { StepState, TaskState } from "./step_store.ts";
import { jsonbProblem } from "./storable.ts";
import {
  InvalidTransitionError,
  setTransitionActor,
  STEP_ACTION_FROM,
  type StepAction,
  StepNotFoundError,
  type TransitionActor,
} from "./transitions.ts";
import { TaskerError } from "../errors.ts";

/**
 * Thrown when a value given to `completeStep` cannot be the step's result: it cannot be stored
 * as JSON, or it is not what the step's type requires (a decision step's result must hold a
 * valid `decision_point_outcome`, a batchable step's a valid `batch_processing_outcome`).
 */
export class InvalidManualResultError extends TaskerError {
  /** The offending field of the result, e.g. `result.decision_point_outcome`. */
  readonly field: string;
  /**
   * Creates the error naming the step, the field and what is wrong with it.
   *
   * @param step the step's name
   * @param problem what is wrong
   * @param field the offending field (`result` for the whole value)
   */
  constructor(step: string, problem: string, field = "result") {
    super("E_MANUAL_RESULT_INVALID", `cannot complete step ${step} with that result: ${problem}`);
    this.field = field;
  }
}

interface StepRow {
  step_uuid: string;
  name: string;
  template_step: string | null;
  /** The batchable step whose batch this worker belongs to, for batch workers. */
  batch_of: string | null;
  state: StepState;
  pending_dependencies: number;
  /** A batch worker's input (its cursor and batch metadata); null for other steps. */
  inputs: unknown;
}

/**
 * Retries a failed step afresh: `error` → `enqueued` (or `pending` while it waits for
 * dependencies), attempts back to 0. When no other step is in error, its task (even one in
 * `error`) is `in_progress` again.
 *
 * A batch worker waits its turn like any other worker of its batch: it becomes `pending` and is
 * queued at once only when its batch's `parallelism` has room (at most that many of the batch's
 * workers queued, running or waiting for a retry); otherwise the next worker of the batch to
 * finish releases it. Without `templates` the batch's `parallelism` is unknown here, so the
 * worker is queued at once only when no other worker of its batch is busy (never more than the
 * budget, which is at least 1).
 *
 * @param step the step's name or UUID
 * @param templates where the task's template is found (for a batch worker's `batch_config`)
 * @throws {TaskNotFoundError} for an unknown task
 * @throws {StepNotFoundError} for a step the task does not have
 * @throws {InvalidTransitionError} when the step is not in `error` or the task is finished
 *
 * @example
 * ```ts ignore
 * await resetStep(db, taskUuid, "charge_card", { by: "ops", reason: "gateway fixed" });
 * ```
 */
export function resetStep(
  db: Database,
  taskUuid: string,
  step: string,
  actor: TransitionActor,
  templates?: TemplateRegistry,
): Promise<TaskActionResult> {
  return stepAction(db, taskUuid, step, actor, "reset_for_retry", async (tx, task, row) => {
    const [updated] = await tx.query<{ state: StepState }>(
      `UPDATE tasker.steps
          SET state = CASE WHEN pending_dependencies <= 0 AND batch_of IS NULL THEN 'enqueued'
                           ELSE 'pending' END,
              attempts = 0, next_attempt_at = NULL, completed_at = NULL, started_at = NULL,
              claimed_by = NULL, claim_expires_at = NULL, foreign_since = NULL, updated_at = now()
        WHERE step_uuid = $1::uuid
        RETURNING state`,
      [row.step_uuid],
    );
    let state = updated!.state;
    const ready: { step_uuid: string; name: string }[] = state === "enqueued"
      ? [{ step_uuid: row.step_uuid, name: row.name }]
      : [];
    if (row.batch_of) {
      // Pending like the batch's other waiting workers: the budget decides which run now.
      const budget = batchBudget(templates, task, row);
      const next = await nextBatchWorkers(tx, row.batch_of, budget.parallelism, budget.failFast);
      ready.push(...next);
      if (next.some((r) => r.step_uuid === row.step_uuid)) state = "enqueued";
    }
    await sendSteps(tx, task, taskUuid, ready.map((r) => r.step_uuid));
    return { state, enqueued: sortedNames(ready) };
  });
}

/**
 * A batch worker's budget: its template's `batch_config` when the template is at hand, else
 * one worker at a time (the least any batch allows) with the failure strategy the worker's own
 * input records.
 */
function batchBudget(
  templates: TemplateRegistry | undefined,
  task: TaskRow,
  row: StepRow,
): { parallelism: number; failFast: boolean } {
  const config = templates?.get(task.namespace, task.name, task.version)?.steps
    .find((s) => s.name === (row.template_step ?? row.name))?.batch_config;
  if (config) {
    return {
      parallelism: config.parallelism,
      failFast: config.failure_strategy === "fail_fast",
    };
  }
  const strategy = (row.inputs as { batch_metadata?: { failure_strategy?: unknown } } | null)
    ?.batch_metadata?.failure_strategy;
  return { parallelism: 1, failFast: strategy === "fail_fast" };
}

/**
 * Marks a step `resolved_manually`: it does not run (a running handler is aborted at its next
 * lease renewal) and its dependants proceed, seeing no result for it.
 *
 * @param templates where the task's template is found (for the step's dependants)
 * @param step the step's name or UUID
 * @throws {TaskNotFoundError} for an unknown task
 * @throws {StepNotFoundError} for a step the task does not have
 * @throws {InvalidTransitionError} when the step is complete, cancelled or resolved, or the task
 *   is finished
 */
export function resolveStep(
  db: Database,
  templates: TemplateRegistry,
  taskUuid: string,
  step: string,
  actor: TransitionActor,
): Promise<TaskActionResult> {
  return settleStep(db, templates, taskUuid, step, actor, "resolve_manually", undefined);
}

/**
 * Completes a step by hand with `result`: it does not run (a running handler is aborted at its
 * next lease renewal), and its dependants proceed, seeing `result` as its result. A decision
 * step's `result` names the branches to create (`decision_point_outcome`) and a batchable step's
 * gives the batches (`batch_processing_outcome`), as their handlers' results do: the steps are
 * created and queued in the same transaction, so the workflow goes on.
 *
 * @param templates where the task's template is found (for the step's dependants)
 * @param step the step's name or UUID
 * @param result the step's result (any JSON value)
 * @throws {TaskNotFoundError} for an unknown task
 * @throws {StepNotFoundError} for a step the task does not have
 * @throws {InvalidManualResultError} when `result` cannot be stored as JSON, or a decision's or
 *   batchable step's `result` lacks a valid outcome (its `field` names which)
 * @throws {InvalidTransitionError} when the step is complete, cancelled or resolved, or the task
 *   is finished
 */
export async function completeStep(
  db: Database,
  templates: TemplateRegistry,
  taskUuid: string,
  step: string,
  result: unknown,
  actor: TransitionActor,
): Promise<TaskActionResult> {
  const problem = result === undefined
    ? { path: "result", reason: "undefined (give null for no result)" }
    : jsonbProblem(result, "result");
  if (problem) {
    throw new InvalidManualResultError(
      step,
      `${problem.path} holds ${problem.reason}`,
      problem.path,
    );
  }
  return await settleStep(db, templates, taskUuid, step, actor, "complete_manually", result);
}

function settleStep(
  db: Database,
  templates: TemplateRegistry,
  taskUuid: string,
  step: string,
  actor: TransitionActor,
  action: "resolve_manually" | "complete_manually",
  result: unknown,
): Promise<TaskActionResult> {
  const state: StepState = action === "complete_manually" ? "complete" : "resolved_manually";
  return stepAction(db, taskUuid, step, actor, action, async (tx, task, row) => {
    await tx.query(
      `UPDATE tasker.steps
          SET state = $2, result = $3::jsonb, next_attempt_at = NULL, completed_at = now(),
              claimed_by = NULL, claim_expires_at = NULL, updated_at = now()
        WHERE step_uuid = $1::uuid`,
      [row.step_uuid, state, state === "complete" ? JSON.stringify(result) : null],
    );
    const template = templates.get(task.namespace, task.name, task.version);
    const stepTemplate = template?.steps.find((s) => s.name === (row.template_step ?? row.name));
    // A decision or batchable step completed by hand creates what its handler's result would.
    const expansion = state === "complete" && template && stepTemplate
      ? manualExpansion(template, stepTemplate, row.name, result)
      : undefined;
    const successors = template
      ? stepGraph(template).successors.get(row.template_step ?? row.name) ?? []
      : [];
    const released = await tx.query<{ step_uuid: string; name: string; state: StepState }>(
      `UPDATE tasker.steps s
          SET pending_dependencies = s.pending_dependencies - 1,
              state = CASE WHEN s.pending_dependencies <= 1 THEN 'enqueued' ELSE s.state END,
              updated_at = now()
        WHERE s.task_uuid = $1::uuid AND s.state = 'pending'
          AND ((s.waits_for IS NULL AND s.name = ANY($2::text[])) OR $3 = ANY(s.waits_for))
        RETURNING s.step_uuid::text AS step_uuid, s.name, s.state`,
      [taskUuid, successors, row.name],
    );
    const ready: { step_uuid: string; name: string }[] = released.filter((r) =>
      r.state === "enqueued"
    );
    // A batch worker settled by hand frees its slot: the batch's next pending worker starts.
    const batch = stepTemplate?.batch_config;
    if (row.batch_of && batch) {
      const failFast = batch.failure_strategy === "fail_fast";
      ready.push(...await nextBatchWorkers(tx, row.batch_of, batch.parallelism, failFast));
    }
    await sendSteps(tx, task, taskUuid, ready.map((r) => r.step_uuid));
    const created: string[] = [];
    if (expansion) {
      // After the step's row says complete: the created steps do not wait for it.
      const queue = stepQueueFor(task.namespace, task.priority);
      await ensureQueue(tx, queue);
      const origin = { task_uuid: taskUuid, step_uuid: row.step_uuid, step_name: row.name, queue };
      created.push(...await createExpansion(tx, origin, expansion));
    }
    return { state, enqueued: [...sortedNames(ready), ...created].sort() };
  });
}

/**
 * What completing a decision or batchable step with `result` creates, checked as the worker
 * checks a handler's result; nothing for other steps.
 *
 * @throws {InvalidManualResultError} naming the outcome field when `result` does not hold a
 *   valid one
 */
function manualExpansion(
  template: TaskTemplate,
  step: StepTemplate,
  name: string,
  result: unknown,
): Expansion | undefined {
  if (step.type !== "decision" && step.type !== "batchable") return undefined;
  const field = step.type === "decision" ? "decision_point_outcome" : "batch_processing_outcome";
  const planned = planDynamic(template, step, { success: true, result, metadata: {} });
  if (!planned.result.success) {
    const why = planned.result.error.message.replace(/^.*? returned an invalid \w+: /, "");
    throw new InvalidManualResultError(
      name,
      `a ${step.type} step's result needs a valid ${field}: ${why}`,
      `result.${field}`,
    );
  }
  return planned.expansion;
}

async function stepAction(
  db: Database,
  taskUuid: string,
  step: string,
  actor: TransitionActor,
  action: StepAction,
  apply: (
    tx: Queryable,
    task: TaskRow,
    row: StepRow,
  ) => Promise<{ state: StepState; enqueued: string[] }>,
): Promise<TaskActionResult> {
  checkActor(actor);
  return await db.transaction(async (tx) => {
    await setTransitionActor(tx, actor);
    const task = await lockTask(tx, taskUuid);
    const open: readonly TaskState[] = ["pending", "in_progress", "error"];
    if (!open.includes(task.state)) {
      throw new InvalidTransitionError("task", taskUuid, action, task.state, open);
    }
    const [row] = await tx.query<StepRow>(
      `SELECT step_uuid::text AS step_uuid, name, template_step, batch_of::text AS batch_of, state,
              pending_dependencies, inputs
         FROM tasker.steps
        WHERE task_uuid = $1::uuid AND (name = $2 OR step_uuid::text = lower($2))
        FOR UPDATE`,
      [taskUuid, step],
    );
    if (!row) throw new StepNotFoundError(taskUuid, step);
    const allowed = STEP_ACTION_FROM[action];
    if (!allowed.includes(row.state)) {
      throw new InvalidTransitionError("step", row.name, action, row.state, allowed);
    }
    const done = await apply(tx, task, row);
    const taskState = await reconcileTask(tx, taskUuid);
    return {
      task_uuid: taskUuid,
      task_state: taskState,
      step: { name: row.name, state: done.state },
      cancelled: [],
      enqueued: done.enqueued,
    };
  });
}

/**
 * After a step action: recount the task's finished steps; a task with every step complete or
 * resolved is `complete`, a task in `error` with no step left in error is `in_progress` again.
 */
async function reconcileTask(tx: Queryable, taskUuid: string): Promise<TaskState> {
  const [row] = await tx.query<{ state: TaskState }>(
    `WITH counts AS (
       SELECT count(*) FILTER (WHERE state IN ('complete', 'resolved_manually'))::int AS done,
              count(*) FILTER (WHERE state = 'error')::int AS failed
         FROM tasker.steps WHERE task_uuid = $1::uuid
     )
     UPDATE tasker.tasks t
        SET steps_complete = c.done,
            state = CASE WHEN c.failed = 0 AND c.done >= t.step_count THEN 'complete'
                         WHEN t.state = 'error' AND c.failed = 0 THEN 'in_progress'
                         ELSE t.state END,
            completed_at = CASE WHEN c.failed = 0 AND c.done >= t.step_count THEN now()
                                WHEN t.state = 'error' AND c.failed = 0 THEN NULL
                                ELSE t.completed_at END,
            updated_at = now()
       FROM counts c
      WHERE t.task_uuid = $1::uuid
      RETURNING t.state`,
    [taskUuid],
  );
  return row!.state;
}
