/**
 * Tasker's task and step state machines as far as operators drive them, and the transition
 * history. The engine's own transitions (claim, outcome, release) and the operators' are all
 * recorded in `tasker.transitions` by triggers (migration 7); a transaction that changes states
 * on someone's behalf names them first with {@link setTransitionActor}, so the history says who
 * did it and why.
 *
 * Which actions a state allows (Tasker's tables, with its documented intent where its code
 * differs; see the README's "Operator actions"):
 *
 * | action | allowed from |
 * | --- | --- |
 * | task `cancel` | `pending`, `in_progress` |
 * | task `resolve_manually` | `pending`, `in_progress`, `error` |
 * | step `reset_for_retry` | `error` (attempts start again from 0) |
 * | step `resolve_manually`, `complete_manually` | any state but `complete`, `resolved_manually`, `cancelled` |
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { JsonObject } from "../events/types.ts";
import type { StepState, TaskState } from "./step_store.ts";

/** An operator action on a task. */
export type TaskAction = "cancel" | "resolve_manually";

/** An operator action on a step. */
export type StepAction = "reset_for_retry" | "resolve_manually" | "complete_manually";

/** The task states each task action may start from. */
export const TASK_ACTION_FROM: Readonly<Record<TaskAction, readonly TaskState[]>> = {
  cancel: ["pending", "in_progress"],
  resolve_manually: ["pending", "in_progress", "error"],
};

const SETTLEABLE: readonly StepState[] = [
  "pending",
  "enqueued",
  "in_progress",
  "waiting_for_retry",
  "error",
];

/** The step states each step action may start from. */
export const STEP_ACTION_FROM: Readonly<Record<StepAction, readonly StepState[]>> = {
  reset_for_retry: ["error"],
  resolve_manually: SETTLEABLE,
  complete_manually: SETTLEABLE,
};

/** Task states no engine transition leaves (`error` can still be left by an operator). */
export const FINAL_TASK_STATES: readonly TaskState[] = [
  "complete",
  "error",
  "cancelled",
  "resolved_manually",
];

/** Step states that satisfy a dependant (its successors may run). */
export const SATISFYING_STEP_STATES: readonly StepState[] = ["complete", "resolved_manually"];

/** Thrown when an action is not allowed from the current state of its task or step. */
export class InvalidTransitionError extends TaskerError {
  /** `task` or `step`. */
  readonly subject: "task" | "step";
  /** The refused action. */
  readonly action: string;
  /** The state it was refused in. */
  readonly state: string;
  /**
   * Creates the error naming the subject, its state and the states the action needs.
   *
   * @param subject `task` or `step`
   * @param name the task's UUID, or the step's name in its task
   * @param action the refused action
   * @param state the current state
   * @param allowed the states the action may start from
   */
  constructor(
    subject: "task" | "step",
    name: string,
    action: string,
    state: string,
    allowed: readonly string[],
  ) {
    super(
      "E_INVALID_TRANSITION",
      `cannot ${action.replaceAll("_", " ")} ${subject} ${name}: it is ${state} ` +
        `(allowed from ${allowed.join(", ")})`,
    );
    this.subject = subject;
    this.action = action;
    this.state = state;
  }
}

/** Thrown when a task has no step of the given name or UUID. */
export class StepNotFoundError extends TaskerError {
  /**
   * Creates the error naming the task and the step asked for.
   *
   * @param taskUuid the task
   * @param step the step name or UUID that was asked for
   */
  constructor(taskUuid: string, step: string) {
    super("E_STEP_NOT_FOUND", `task ${taskUuid} has no step ${JSON.stringify(step)}`);
  }
}

/** Who changes states in a transaction, and why (recorded with each transition). */
export interface TransitionActor {
  /** Who: a user, service or worker name. */
  by: string;
  /** Why, in words. */
  reason?: string;
  /** Anything else to keep with the transitions (JSON). */
  metadata?: JsonObject;
}

/**
 * Names the actor of the current transaction's transitions (transaction-local settings the
 * history triggers read). Call it inside `db.transaction`, before the updates.
 *
 * @example
 * ```ts ignore
 * await db.transaction(async (tx) => {
 *   await setTransitionActor(tx, { by: "ops@example.com", reason: "customer asked" });
 *   await tx.query("UPDATE tasker.tasks SET state = 'cancelled' WHERE task_uuid = $1", [id]);
 * });
 * ```
 */
export async function setTransitionActor(tx: Queryable, actor: TransitionActor): Promise<void> {
  await tx.query(
    `SELECT set_config('tasker.actor', $1::text, true), set_config('tasker.reason', $2::text, true),
            set_config('tasker.transition_metadata', $3::text, true)`,
    [actor.by, actor.reason ?? "", actor.metadata ? JSON.stringify(actor.metadata) : ""],
  );
}

/** One recorded state change of a task (no `step_name`) or of one of its steps. */
export interface Transition {
  /** The step's name; absent for a transition of the task itself. */
  step_name?: string;
  /** The state left; null when the task was created. */
  from_state: string | null;
  /** The state entered. */
  to_state: string;
  /** Who: the operator, the worker that held the step, `engine`, or the task's initiator. */
  actor: string;
  /** Why, when someone said. */
  reason: string | null;
  /** Extra data recorded with it. */
  metadata: JsonObject | null;
  /** When, RFC 3339. */
  at: string;
}

/**
 * A task's transitions (its own and its steps'), oldest first.
 *
 * @example
 * ```ts ignore
 * for (const t of await transitionHistory(db, taskUuid)) console.log(t.to_state, t.actor);
 * ```
 */
export async function transitionHistory(
  db: Queryable,
  taskUuid: string,
): Promise<Transition[]> {
  const rows = await db.query<
    Omit<Transition, "step_name" | "at"> & { step_name: string | null; at: string }
  >(
    `SELECT step_name, from_state, to_state, actor, reason, metadata,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM tasker.transitions WHERE task_uuid = $1::uuid ORDER BY transition_id`,
    [taskUuid],
  );
  return rows.map(({ step_name, ...rest }) => step_name === null ? rest : { step_name, ...rest });
}
