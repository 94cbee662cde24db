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
import type { CompletedStepRecord } from "../events/wire.ts";
import type { JsonObject } from "../events/types.ts";
import type { CheckpointRecord } from "./checkpoints.ts";
import type { StepTaskInfo } from "./types.ts";

/** Step states as stored. */
export type StepState =
  | "pending"
  | "enqueued"
  | "in_progress"
  | "complete"
  | "waiting_for_retry"
  | "error"
  // Set by operators (src/worker/task_actions.ts): both end the step; resolved_manually
  // satisfies its dependants like complete, cancelled never runs.
  | "cancelled"
  | "resolved_manually";

/**
 * Task states as stored. `cancelled` and `resolved_manually` are set by operators
 * (src/worker/task_actions.ts); both are final, like `complete`.
 */
export type TaskState =
  | "pending"
  | "in_progress"
  | "complete"
  | "error"
  | "cancelled"
  | "resolved_manually";

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
  /** Every completed step of the task with its id and timing, by name (for `dependency_results`). */
  completed_steps?: Record<string, CompletedStepRecord>;
  /**
   * Set when the step must be settled, not run: its attempts are used up (the last attempt's
   * worker stopped without recording an outcome), or no worker has had its template for the
   * configured time. The worker records it as a failure saying so.
   */
  settle?: "exhausted" | "orphaned";
  /**
   * The task's template content hash (null for tasks created before hashes were recorded; unset
   * on claims built by hand, in tests).
   */
  template_hash?: string | null;
  /** The template step this row runs when its name differs (a batch worker); else null. */
  template_step?: string | null;
  /** The step's own input (a batch worker's cursor); null when it has none. */
  inputs?: Record<string, unknown> | null;
  /** The last checkpoint the step saved (see `checkpoints.ts`); null when none. */
  checkpoint?: CheckpointRecord | null;
  /** The batchable step that created this batch worker; null for other steps. */
  batch_of?: string | null;
  /** Completed steps made from another template step (batch workers), name → template step. */
  completed_templates?: Record<string, string>;
}

/** A claimable step this worker cannot run: it lacks the template of the step's task. */
export interface ForeignStep {
  /** The message that delivered it (left in the queue for a worker that has the template). */
  source: QueuedStep;
  /** The task's template as `namespace/name@version`. */
  template: string;
  /** The content hash the task was created from. */
  template_hash: string;
}

/** What one claim round produced. */
export interface ClaimBatch {
  /** Steps now held by this worker. */
  claimed: ClaimedStep[];
  /** Messages whose steps are finished or unknown: delete them. */
  stale: QueuedStep[];
  /** Messages whose steps another worker holds: leave them to reappear. */
  busy: QueuedStep[];
  /** Messages whose steps need a template this worker lacks: left for a worker that has it. */
  foreign: ForeignStep[];
}

/** What a worker can run, for {@link claimSteps}. */
export interface ClaimScope {
  /** Content hashes of the templates this worker has. */
  templateHashes: readonly string[];
  /**
   * After how many seconds a step that no worker could run (all lacked its template) is
   * settled as a failure by the next worker that sees it.
   */
  foreignTimeoutSeconds: number;
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
  settle: "exhausted" | "orphaned" | null;
  template_hash: string | null;
  completed_steps: Record<string, CompletedStepRecord> | null;
  worker_id: string;
  initiator: string | null;
  source_system: string | null;
  reason: string | null;
  tags: unknown;
  priority: number;
  parent_correlation_id: string | null;
  requested_at: string;
  task_created_at: string;
  task_updated_at: string;
  step_created_at: string;
  last_attempted_at: string;
  template_step: string | null;
  inputs: Record<string, unknown> | null;
  checkpoint: CheckpointRecord | null;
  batch_of: string | null;
  completed_templates: Record<string, string> | null;
}

// Timestamps as Tasker's wire format wants them (see src/events/wire_types.ts): the task and
// step rows without an offset (Rust's NaiveDateTime), the ancestors' results with `Z`.
const NAIVE_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US'`;
const UTC_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * Claims the steps of `messages` for `workerId` with a lease of `leaseSeconds`, in one statement
 * (plus one look-up when some could not be claimed). Only steps whose task's template this
 * worker has (by content hash) are claimed, and a claim never starts an attempt past
 * `max_attempts`: such a step is claimed to be settled (`settle: "exhausted"`), attempts
 * unchanged.
 *
 * @example
 * ```ts ignore
 * const { claimed, stale } = await claimSteps(db, messages, "worker-1", 30, scope);
 * ```
 */
export async function claimSteps(
  db: Queryable,
  messages: readonly QueuedStep[],
  workerId: string,
  leaseSeconds: number,
  scope: ClaimScope,
): Promise<ClaimBatch> {
  const batch: ClaimBatch = { claimed: [], stale: [], busy: [], foreign: [] };
  if (messages.length === 0) return batch;
  const rows = await claimRows(
    db,
    `SELECT s.step_uuid, CASE WHEN s.attempts >= s.max_attempts THEN 'exhausted' END AS settle
       FROM tasker.steps s
       JOIN tasker.tasks t ON t.task_uuid = s.task_uuid
      WHERE s.step_uuid = ANY($1::uuid[])
        AND (s.state IN ('enqueued', 'waiting_for_retry')
             OR (s.state = 'in_progress' AND s.claim_expires_at < now()))
        AND (t.template_hash IS NULL OR t.template_hash = ANY($4::text[]))
        FOR UPDATE OF s SKIP LOCKED`,
    [messages.map((m) => m.message.step_uuid), workerId, leaseSeconds, scope.templateHashes],
  );
  const byStep = new Map(rows.map((row) => [row.step_uuid, row]));
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
    await classifyUnclaimed(db, unclaimed, batch, workerId, leaseSeconds, scope);
  }
  return batch;
}

/**
 * Claims the steps `candidates` selects (`step_uuid`, `settle`; parameters `$1` step uuids, `$2`
 * worker, `$3` lease seconds, then the query's own) and returns them with their tasks.
 */
function claimRows(db: Queryable, candidates: string, params: unknown[]): Promise<ClaimRow[]> {
  return db.query<ClaimRow>(
    `WITH candidates AS (${candidates}
     ), claimed AS (
       UPDATE tasker.steps s
          SET state = 'in_progress',
              attempts = CASE WHEN c.settle IS NULL THEN s.attempts + 1 ELSE s.attempts END,
              claimed_by = $2,
              claim_expires_at = now() + make_interval(secs => $3::double precision),
              started_at = now(), updated_at = now(), foreign_since = NULL
         FROM candidates c
        WHERE s.step_uuid = c.step_uuid
        RETURNING s.step_uuid, s.task_uuid, s.name, s.attempts, s.max_attempts, s.retryable,
                  s.handler_callable, c.settle, s.template_step, s.inputs, s.checkpoint,
                  s.batch_of
     ), results AS (
       SELECT d.task_uuid, jsonb_object_agg(d.name, d.result) AS completed_results,
              jsonb_object_agg(d.name, jsonb_build_object(
                'step_uuid', d.step_uuid, 'result', d.result,
                'started_at', to_char(d.started_at AT TIME ZONE 'UTC', ${UTC_FORMAT}),
                'completed_at', to_char(d.completed_at AT TIME ZONE 'UTC', ${UTC_FORMAT})
              )) AS completed_steps,
              jsonb_object_agg(d.name, d.template_step) FILTER (WHERE d.template_step IS NOT NULL)
                AS completed_templates
         FROM tasker.steps d
        WHERE d.task_uuid IN (SELECT task_uuid FROM claimed) AND d.state = 'complete'
        GROUP BY d.task_uuid
     )
     SELECT c.step_uuid::text AS step_uuid, c.name, c.attempts, c.max_attempts, c.retryable,
            c.handler_callable, c.settle, t.task_uuid::text AS task_uuid, t.namespace,
            t.name AS task_name, t.version, t.context, t.correlation_id, t.state AS task_state,
            t.template_hash, r.completed_results, r.completed_steps,
            $2::text AS worker_id, t.initiator, t.source_system, t.reason, t.tags, t.priority,
            t.parent_correlation_id::text AS parent_correlation_id,
            to_char(t.requested_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS requested_at,
            to_char(t.created_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS task_created_at,
            to_char(t.updated_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS task_updated_at,
            to_char(ws.created_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS step_created_at,
            to_char(now() AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS last_attempted_at,
            c.template_step, c.inputs, c.checkpoint, c.batch_of::text AS batch_of,
            r.completed_templates
       FROM claimed c
       JOIN tasker.tasks t ON t.task_uuid = c.task_uuid
       JOIN tasker.steps ws ON ws.step_uuid = c.step_uuid
       LEFT JOIN results r ON r.task_uuid = c.task_uuid`,
    params,
  );
}

interface UnclaimedRow {
  step_uuid: string;
  state: StepState;
  claimable: boolean;
  template: string;
  template_hash: string | null;
}

/**
 * Sorts messages that were not claimed: finished or unknown steps are stale; steps held by a
 * live claim (or locked by a concurrent claim) are busy; claimable steps of a template this
 * worker lacks are foreign — and those that no worker has taken for `foreignTimeoutSeconds`
 * are claimed here to be settled as failures (`settle: "orphaned"`).
 */
async function classifyUnclaimed(
  db: Queryable,
  unclaimed: readonly QueuedStep[],
  batch: ClaimBatch,
  workerId: string,
  leaseSeconds: number,
  scope: ClaimScope,
): Promise<void> {
  const rows = await db.query<UnclaimedRow>(
    `SELECT s.step_uuid::text AS step_uuid, s.state,
            (s.state IN ('enqueued', 'waiting_for_retry')
             OR (s.state = 'in_progress' AND s.claim_expires_at < now())) AS claimable,
            t.namespace || '/' || t.name || '@' || t.version AS template, t.template_hash
       FROM tasker.steps s
       JOIN tasker.tasks t ON t.task_uuid = s.task_uuid
      WHERE s.step_uuid = ANY($1::uuid[])`,
    [unclaimed.map((m) => m.message.step_uuid)],
  );
  const byStep = new Map(rows.map((row) => [row.step_uuid, row]));
  const known = new Set(scope.templateHashes);
  const claimedHere = new Set(batch.claimed.map((c) => c.step.step_uuid));
  const foreign: ForeignStep[] = [];
  for (const source of unclaimed) {
    const row = byStep.get(source.message.step_uuid);
    if (!row || claimedHere.has(row.step_uuid)) batch.stale.push(source);
    else if (row.state === "in_progress" && !row.claimable) batch.busy.push(source);
    else if (!row.claimable) batch.stale.push(source);
    else if (row.template_hash !== null && !known.has(row.template_hash)) {
      foreign.push({ source, template: row.template, template_hash: row.template_hash });
    } // Claimable and ours, yet not claimed: a concurrent claim holds its row lock.
    else batch.busy.push(source);
  }
  if (foreign.length === 0) return;
  const orphans = await claimRows(
    db,
    `SELECT f.step_uuid, 'orphaned' AS settle
       FROM tasker.steps f
      WHERE f.step_uuid = ANY($1::uuid[])
        AND (f.state IN ('enqueued', 'waiting_for_retry')
             OR (f.state = 'in_progress' AND f.claim_expires_at < now()))
        AND f.foreign_since <= now() - make_interval(secs => $4::double precision)
        FOR UPDATE SKIP LOCKED`,
    [
      foreign.map((f) => f.source.message.step_uuid),
      workerId,
      leaseSeconds,
      scope.foreignTimeoutSeconds,
    ],
  );
  const orphaned = new Map(orphans.map((row) => [row.step_uuid, row]));
  const waiting: ForeignStep[] = [];
  for (const f of foreign) {
    const row = orphaned.get(f.source.message.step_uuid);
    if (row) {
      orphaned.delete(row.step_uuid);
      batch.claimed.push(toClaim(f.source, row));
    } else waiting.push(f);
  }
  batch.foreign.push(...waiting);
  if (waiting.length > 0) {
    await db.query(
      `UPDATE tasker.steps SET foreign_since = now()
        WHERE step_uuid = ANY($1::uuid[]) AND foreign_since IS NULL`,
      [waiting.map((f) => f.source.message.step_uuid)],
    );
  }
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
      initiator: row.initiator,
      source_system: row.source_system,
      reason: row.reason,
      tags: row.tags,
      priority: row.priority,
      parent_correlation_id: row.parent_correlation_id,
      requested_at: row.requested_at,
      created_at: row.task_created_at,
      updated_at: row.task_updated_at,
    },
    task_state: row.task_state,
    step: {
      step_uuid: row.step_uuid,
      name: row.name,
      attempts: row.attempts,
      max_attempts: row.max_attempts,
      retryable: row.retryable,
      handler_callable: row.handler_callable,
      created_at: row.step_created_at,
      last_attempted_at: row.last_attempted_at,
      worker_id: row.worker_id,
      ...(row.template_step ? { template_step_name: row.template_step } : {}),
      ...(row.inputs ? { inputs: row.inputs } : {}),
    },
    completed_results: row.completed_results ?? {},
    completed_steps: row.completed_steps ?? {},
    ...(row.settle ? { settle: row.settle } : {}),
    template_hash: row.template_hash,
    template_step: row.template_step,
    inputs: row.inputs,
    checkpoint: row.checkpoint,
    batch_of: row.batch_of,
    completed_templates: row.completed_templates ?? {},
  };
}

export { type RecordedOutcome, recordOutcomes, type StepOutcomeRecord } from "./step_outcomes.ts";
