/**
 * The step life cycle in the database, set-based so that its cost per step falls as load rises:
 * a batch of queue messages is claimed with one statement here, and a group of outcomes is
 * recorded in one transaction by `step_outcomes.ts` (re-exported here).
 *
 * A claim is a lease: `claimed_by` plus `claim_expires_at`. A step is claimable when it is
 * enqueued or waiting for a retry, or when a previous claim's lease has expired (its worker
 * died). An outcome is recorded only while the claim is still ours, so a step never runs twice
 * at once and a late worker cannot overwrite a newer attempt. Each recording transaction first
 * locks its tasks' rows in UUID order, so workers sharing tasks (parallel branches) serialise
 * per task instead of deadlocking.
 *
 * @module
 */

import type { Queryable } from "../durable/database.ts";
import type { StepEventStep } from "../events/context.ts";
import type { JsonObject } from "../events/types.ts";
import type { StepTaskInfo } from "./types.ts";

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

/** A message read from a step queue. */
export interface QueuedStep {
  /** The queue it came from. */
  queue: string;
  /** Its PGMQ id. */
  msg_id: number;
  /** Its body. */
  message: StepMessage;
}

/** A step this worker now holds, with what its handler needs. */
export interface ClaimedStep {
  /** The message that delivered it. */
  source: QueuedStep;
  /** The task. */
  task: StepTaskInfo;
  /** The task's state when claimed. */
  task_state: TaskState;
  /** The step row after the claim: `attempts` counts this attempt. */
  step: StepEventStep;
  /** Results of every completed step of the task, by name. */
  completed_results: Record<string, unknown>;
}

/** What one claim round produced. */
export interface ClaimBatch {
  /** Steps now held by this worker. */
  claimed: ClaimedStep[];
  /** Messages whose steps are finished or unknown: delete them. */
  stale: QueuedStep[];
  /** Messages whose steps another worker holds: leave them to reappear. */
  busy: QueuedStep[];
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

/**
 * Claims the steps of `messages` for `workerId` with a lease of `leaseSeconds`, in one statement
 * (plus one look-up when some could not be claimed).
 *
 * @example
 * ```ts ignore
 * const { claimed, stale } = await claimSteps(db, messages, "worker-1", 30);
 * ```
 */
export async function claimSteps(
  db: Queryable,
  messages: readonly QueuedStep[],
  workerId: string,
  leaseSeconds: number,
): Promise<ClaimBatch> {
  if (messages.length === 0) return { claimed: [], stale: [], busy: [] };
  const rows = await db.query<ClaimRow>(
    `WITH claimed AS (
       UPDATE tasker.steps s
          SET state = 'in_progress', attempts = s.attempts + 1, claimed_by = $2,
              claim_expires_at = now() + make_interval(secs => $3::double precision),
              started_at = now(), updated_at = now()
        WHERE s.step_uuid = ANY($1::uuid[])
          AND (s.state IN ('enqueued', 'waiting_for_retry')
               OR (s.state = 'in_progress' AND s.claim_expires_at < now()))
        RETURNING s.step_uuid, s.task_uuid, s.name, s.attempts, s.max_attempts, s.retryable,
                  s.handler_callable
     ), results AS (
       SELECT d.task_uuid, jsonb_object_agg(d.name, d.result) AS completed_results
         FROM tasker.steps d
        WHERE d.task_uuid IN (SELECT task_uuid FROM claimed) AND d.state = 'complete'
        GROUP BY d.task_uuid
     )
     SELECT c.step_uuid::text AS step_uuid, c.name, c.attempts, c.max_attempts, c.retryable,
            c.handler_callable, t.task_uuid::text AS task_uuid, t.namespace,
            t.name AS task_name, t.version, t.context, t.correlation_id, t.state AS task_state,
            r.completed_results
       FROM claimed c
       JOIN tasker.tasks t ON t.task_uuid = c.task_uuid
       LEFT JOIN results r ON r.task_uuid = c.task_uuid`,
    [messages.map((m) => m.message.step_uuid), workerId, leaseSeconds],
  );
  const byStep = new Map(rows.map((row) => [row.step_uuid, row]));
  const batch: ClaimBatch = { claimed: [], stale: [], busy: [] };
  const unclaimed: QueuedStep[] = [];
  for (const source of messages) {
    const row = byStep.get(source.message.step_uuid);
    if (!row) {
      unclaimed.push(source);
      continue;
    }
    // Two messages for one step in the same read: only the first one runs it.
    byStep.delete(source.message.step_uuid);
    batch.claimed.push(toClaim(source, row));
  }
  if (unclaimed.length > 0) {
    const states = await db.query<{ step_uuid: string; state: StepState }>(
      "SELECT step_uuid::text AS step_uuid, state FROM tasker.steps WHERE step_uuid = ANY($1::uuid[])",
      [unclaimed.map((m) => m.message.step_uuid)],
    );
    const inProgress = new Set(
      states.filter((s) => s.state === "in_progress").map((s) => s.step_uuid),
    );
    for (const source of unclaimed) {
      const claimedHere = batch.claimed.some((c) => c.step.step_uuid === source.message.step_uuid);
      if (inProgress.has(source.message.step_uuid) && !claimedHere) batch.busy.push(source);
      else batch.stale.push(source);
    }
  }
  return batch;
}

function toClaim(source: QueuedStep, row: ClaimRow): ClaimedStep {
  return {
    source,
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

export { type RecordedOutcome, recordOutcomes, type StepOutcomeRecord } from "./step_outcomes.ts";
