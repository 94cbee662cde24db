/**
 * The step life cycle in the database: claiming a step atomically, and recording its outcome in
 * ONE transaction that also schedules a retry, enqueues successors, finishes the task, deletes
 * the step's queue message, and stores the domain events the step fired (their ids fixed here).
 *
 * A claim is a lease: `claimed_by` plus `claim_expires_at`. A step is claimable when it is
 * enqueued or waiting for a retry, or when a previous claim's lease has expired (its worker
 * died). The outcome is recorded only while the claim is still ours, so a step never runs twice
 * at once and a late worker cannot overwrite a newer attempt.
 *
 * @module
 */

import type { Database, Queryable } from "../durable/database.ts";
import type { StepEventStep } from "../events/context.ts";
import type { JsonObject } from "../events/types.ts";
import { domainEventsQueue } from "../names.ts";
import type { StepTemplate } from "../template/types.ts";
import type { PreparedEvent } from "./event_router.ts";
import type { StepResult, StepTaskInfo } from "./types.ts";

/** Step states as stored. */
export type StepState =
  | "pending"
  | "enqueued"
  | "in_progress"
  | "complete"
  | "waiting_for_retry"
  | "error";

/** Task states as stored. */
export type TaskState = "pending" | "in_progress" | "complete" | "error";

/** The body of a step-queue message. */
export interface StepMessage {
  /** The task. */
  task_uuid: string;
  /** The step to run. */
  step_uuid: string;
}

/** A step this worker now holds, with what its handler needs. */
export interface ClaimedStep {
  /** The task. */
  task: StepTaskInfo;
  /** The task's state when claimed. */
  task_state: TaskState;
  /** The step row after the claim: `attempts` counts this attempt. */
  step: StepEventStep;
  /** Results of every completed step of the task, by name. */
  completed_results: Record<string, unknown>;
}

/** Why a message did not yield a claim. */
export type ClaimRefusal =
  /** The step is finished, unknown, or not runnable: its message can be deleted. */
  | "stale"
  /** Another worker holds a live lease: leave the message, it becomes visible again later. */
  | "busy";

/**
 * Claims a step for `workerId` with a lease of `leaseSeconds`.
 *
 * @example
 * ```ts ignore
 * const claim = await claimStep(db, message, "worker-1", 30);
 * if (typeof claim !== "string") console.log(claim.step.attempts);
 * ```
 */
export async function claimStep(
  db: Queryable,
  message: StepMessage,
  workerId: string,
  leaseSeconds: number,
): Promise<ClaimedStep | ClaimRefusal> {
  const rows = await db.query<ClaimRow>(
    `WITH claimed AS (
       UPDATE tasker.steps s
          SET state = 'in_progress', attempts = s.attempts + 1, claimed_by = $2,
              claim_expires_at = now() + make_interval(secs => $3::double precision),
              started_at = now(), updated_at = now()
        WHERE s.step_uuid = $1::uuid
          AND (s.state IN ('enqueued', 'waiting_for_retry')
               OR (s.state = 'in_progress' AND s.claim_expires_at < now()))
        RETURNING s.step_uuid, s.task_uuid, s.name, s.attempts, s.max_attempts, s.retryable,
                  s.handler_callable
     )
     SELECT c.step_uuid::text AS step_uuid, c.name, c.attempts, c.max_attempts, c.retryable,
            c.handler_callable, t.task_uuid::text AS task_uuid, t.namespace,
            t.name AS task_name, t.version, t.context, t.correlation_id, t.state AS task_state,
            (SELECT coalesce(jsonb_object_agg(d.name, d.result), '{}'::jsonb)
               FROM tasker.steps d
              WHERE d.task_uuid = c.task_uuid AND d.state = 'complete') AS completed_results
       FROM claimed c JOIN tasker.tasks t ON t.task_uuid = c.task_uuid`,
    [message.step_uuid, workerId, leaseSeconds],
  );
  const row = rows[0];
  if (!row) {
    const current = await db.query<{ state: StepState }>(
      "SELECT state FROM tasker.steps WHERE step_uuid = $1::uuid",
      [message.step_uuid],
    );
    return current[0]?.state === "in_progress" ? "busy" : "stale";
  }
  return {
    task: {
      task_uuid: row.task_uuid,
      namespace: row.namespace,
      name: row.task_name,
      version: row.version,
      context: row.context,
      correlation_id: row.correlation_id,
    },
    task_state: row.task_state,
    step: {
      step_uuid: row.step_uuid,
      name: row.name,
      attempts: row.attempts,
      max_attempts: row.max_attempts,
      retryable: row.retryable,
      handler_callable: row.handler_callable,
    },
    completed_results: row.completed_results ?? {},
  };
}

interface ClaimRow {
  step_uuid: string;
  name: string;
  attempts: number;
  max_attempts: number;
  retryable: boolean;
  handler_callable: string;
  task_uuid: string;
  namespace: string;
  task_name: string;
  version: string;
  context: JsonObject;
  correlation_id: string;
  task_state: TaskState;
  completed_results: Record<string, unknown> | null;
}

/** Everything needed to record one attempt's outcome. */
export interface StepOutcomeRecord {
  /** The claim this worker holds. */
  claim: ClaimedStep;
  /** The step's template (retry policy, successors are derived from `successors`). */
  template: StepTemplate;
  /** Names of the steps that depend directly on this one. */
  successors: readonly string[];
  /** The step-queue the message came from. */
  queue: string;
  /** The message to delete. */
  msg_id: number;
  /** The handler's outcome. */
  result: StepResult;
  /** The worker holding the claim. */
  workerId: string;
  /** Delay before the next attempt, when this outcome turns out to be retryable. */
  retryDelayMs: (attempts: number) => number;
  /**
   * Prepares the events this outcome fires, given the step row as written (pure, no I/O): runs
   * inside the transaction so the events the step owes commit with it.
   */
  prepareEvents: (step: StepEventStep) => PreparedEvent[];
}

/** The recorded outcome. */
export interface RecordedOutcome {
  /** The step's new state. */
  state: StepState;
  /** The task's state after this outcome. */
  task_state: TaskState;
  /** Successor steps sent to the queue. */
  enqueued: string[];
  /** When a retry was scheduled, its delay. */
  retry_delay_ms?: number;
  /** Events fired, in declaration order, to route now that they are committed. */
  events: PreparedEvent[];
}

/**
 * Records an attempt's outcome in one transaction. Resolves to `null` when the claim was lost
 * (the lease expired and another worker took the step): nothing is written then.
 *
 * @example
 * ```ts ignore
 * const outcome = await recordOutcome(db, record);
 * if (outcome) for (const event of outcome.events) router.route(event);
 * ```
 */
export function recordOutcome(
  db: Database,
  record: StepOutcomeRecord,
): Promise<RecordedOutcome | null> {
  const { claim, result } = record;
  const step = claim.step;
  const retryable = step.retryable && (result.success || result.error.retryable);
  const state: StepState = result.success
    ? "complete"
    : retryable && step.attempts < step.max_attempts
    ? "waiting_for_retry"
    : "error";
  const retryDelay = state === "waiting_for_retry" ? record.retryDelayMs(step.attempts) : undefined;
  const written: StepEventStep = { ...step, retryable };
  return db.transaction(async (tx) => {
    const updated = await tx.query(
      `UPDATE tasker.steps
          SET state = $3, result = $4::jsonb, error = $5::jsonb, retryable = $6,
              next_attempt_at = CASE WHEN $7::double precision IS NULL THEN NULL
                ELSE now() + make_interval(secs => $7::double precision) END,
              completed_at = CASE WHEN $3 IN ('complete', 'error') THEN now() END,
              claimed_by = NULL, claim_expires_at = NULL, updated_at = now()
        WHERE step_uuid = $1::uuid AND claimed_by = $2 AND state = 'in_progress'
        RETURNING step_uuid`,
      [
        step.step_uuid,
        record.workerId,
        state,
        result.success ? JSON.stringify(result.result ?? null) : null,
        result.success ? null : JSON.stringify({ ...result.error, metadata: result.metadata }),
        retryable,
        retryDelay === undefined ? null : retryDelay / 1000,
      ],
    );
    if (updated.length === 0) return null;

    const message = JSON.stringify({ task_uuid: claim.task.task_uuid, step_uuid: step.step_uuid });
    let enqueued: string[] = [];
    let taskState: TaskState = claim.task_state;
    if (state === "complete") {
      enqueued = await releaseSuccessors(tx, claim.task.task_uuid, record.successors, record.queue);
      taskState = await countCompletion(tx, claim.task.task_uuid);
    } else if (state === "waiting_for_retry") {
      await tx.query(
        `SELECT pgmq.send($1::text, $2::jsonb, NULL::jsonb,
                          clock_timestamp() + make_interval(secs => $3::double precision))`,
        [record.queue, message, retryDelay! / 1000],
      );
    } else {
      const rows = await tx.query<{ state: TaskState }>(
        `UPDATE tasker.tasks SET state = 'error', completed_at = now(), updated_at = now()
          WHERE task_uuid = $1::uuid RETURNING state`,
        [claim.task.task_uuid],
      );
      taskState = rows[0]?.state ?? "error";
    }
    await tx.query("SELECT pgmq.delete($1::text, $2::bigint)", [record.queue, record.msg_id]);

    const events = record.prepareEvents(written);
    if (events.length > 0) await storeEvents(tx, claim, events);
    const outcome: RecordedOutcome = { state, task_state: taskState, enqueued, events };
    if (retryDelay !== undefined) outcome.retry_delay_ms = retryDelay;
    return outcome;
  });
}

async function releaseSuccessors(
  tx: Queryable,
  taskUuid: string,
  successors: readonly string[],
  queue: string,
): Promise<string[]> {
  if (successors.length === 0) return [];
  const released = await tx.query<{ step_uuid: string; name: string; state: StepState }>(
    `UPDATE tasker.steps
        SET pending_dependencies = pending_dependencies - 1,
            state = CASE WHEN pending_dependencies = 1 THEN 'enqueued' ELSE state END,
            updated_at = now()
      WHERE task_uuid = $1::uuid AND name = ANY($2::text[]) AND state = 'pending'
      RETURNING step_uuid::text AS step_uuid, name, state`,
    [taskUuid, successors],
  );
  const ready = released.filter((row) => row.state === "enqueued");
  if (ready.length === 0) return [];
  await tx.query("SELECT pgmq.send_batch($1::text, $2::jsonb[], clock_timestamp())", [
    queue,
    ready.map((row) => JSON.stringify({ task_uuid: taskUuid, step_uuid: row.step_uuid })),
  ]);
  return ready.map((row) => row.name);
}

async function countCompletion(tx: Queryable, taskUuid: string): Promise<TaskState> {
  const rows = await tx.query<{ state: TaskState }>(
    `UPDATE tasker.tasks
        SET steps_complete = steps_complete + 1,
            state = CASE WHEN state = 'error' THEN 'error'
                         WHEN steps_complete + 1 >= step_count THEN 'complete'
                         ELSE 'in_progress' END,
            completed_at = CASE WHEN state <> 'error' AND steps_complete + 1 >= step_count
                                THEN now() ELSE completed_at END,
            updated_at = now()
      WHERE task_uuid = $1::uuid
      RETURNING state`,
    [taskUuid],
  );
  return rows[0]?.state ?? "in_progress";
}

async function storeEvents(
  tx: Queryable,
  claim: ClaimedStep,
  events: readonly PreparedEvent[],
): Promise<void> {
  const queue = domainEventsQueue(claim.task.namespace);
  await tx.query(
    `INSERT INTO tasker.step_events
       (event_id, task_uuid, step_uuid, event_name, delivery_mode, queue, envelope, sent_at)
     SELECT e.event_id, $1::uuid, $2::uuid, e.event_name, e.delivery_mode,
            CASE WHEN e.delivery_mode = 'fast' THEN NULL ELSE $3 END, e.envelope,
            CASE WHEN e.delivery_mode = 'fast' THEN now() END
       FROM unnest($4::uuid[], $5::text[], $6::text[], $7::jsonb[])
         AS e(event_id, event_name, delivery_mode, envelope)`,
    [
      claim.task.task_uuid,
      claim.step.step_uuid,
      queue,
      events.map((e) => e.event.event_id),
      events.map((e) => e.event.event_name),
      events.map((e) => e.delivery_mode),
      events.map((e) => JSON.stringify(e.event)),
    ],
  );
}
