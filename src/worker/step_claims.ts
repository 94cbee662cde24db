/**
 * Claiming steps: a claim is an atomic lease on the step row (`claimed_by`, `claim_expires_at`),
 * taken only while the step is enqueued, waiting for a retry, or held by a lease that expired.
 *
 * The hot path is {@link readAndClaimSteps}: ONE statement takes the next visible messages of a
 * step queue (exactly what `pgmq.read` does: lock with SKIP LOCKED in `msg_id` order, set `vt`
 * and `last_read_at`, count the read), claims their steps, and returns each with its task and
 * completed results. One round trip and one transaction where `pgmq.read` followed by a claim
 * took two of each. {@link claimSteps} claims messages already read (tests, tools).
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import type { CompletedStepRecord } from "../events/wire.ts";
import type { JsonObject } from "../events/types.ts";
import { queueTable } from "../durable/pgmq/queues.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";
import type {
  ClaimBatch,
  ClaimedStep,
  ClaimScope,
  ForeignStep,
  QueuedStep,
  StepMessage,
  StepState,
  TaskState,
} from "./step_store.ts";

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

/** A step is claimable when enqueued, waiting for a retry, or held by a lease that expired. */
const CLAIMABLE = `(s.state IN ('enqueued', 'waiting_for_retry')
             OR (s.state = 'in_progress' AND s.claim_expires_at < now()))`;

/** The task's template is one this worker has (tasks from before hashes were recorded: any). */
const OURS = `(t.template_hash IS NULL OR t.template_hash = ANY($4::text[]))`;

/** Canonical UUID text: a message whose `step_uuid` is not one names no step (it is stale). */
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads up to `limit` visible messages of `queue` and claims their steps for `workerId` with a
 * lease of `leaseSeconds`, in ONE statement: the messages become invisible for the lease (as
 * `pgmq.read` with that visibility timeout would make them). Messages whose steps could not be
 * claimed are sorted as {@link claimSteps} sorts them (one more look-up, only then).
 *
 * @param queue a step queue (validated: it becomes a table name)
 * @returns the claim batch and how many messages were read
 *
 * @example
 * ```ts ignore
 * const { batch, read } = await readAndClaimSteps(db, "worker_payments_queue", 10, "w1", 30, scope);
 * ```
 */
export async function readAndClaimSteps(
  db: Queryable,
  queue: string,
  limit: number,
  workerId: string,
  leaseSeconds: number,
  scope: ClaimScope,
): Promise<{ batch: ClaimBatch; read: number }> {
  const table = queueTable(queue);
  const rows = await db.query<ClaimRow & { msg_id: string | number; message: StepMessage }>(
    claimStatement(
      // Driven by the messages read: one primary-key look-up each, whatever the planner
      // believes of the tables' sizes (a join let it scan every task and its steps instead).
      `SELECT c.step_uuid, c.settle
         FROM messages m
        CROSS JOIN LATERAL (
          SELECT s.step_uuid,
                 CASE WHEN s.attempts >= s.max_attempts THEN 'exhausted' END AS settle
            FROM tasker.steps s
            JOIN tasker.tasks t ON t.task_uuid = s.task_uuid
           WHERE s.step_uuid = m.step_uuid AND ${CLAIMABLE} AND ${OURS}
             FOR UPDATE OF s SKIP LOCKED
        ) c`,
      // pgmq.read(queue, vt => lease, qty => limit), inline: PGMQ 1.11's statement.
      `messages AS (
       UPDATE ${table} q
          SET last_read_at = clock_timestamp(),
              vt = clock_timestamp() + make_interval(secs => $3::double precision),
              read_ct = q.read_ct + 1
        WHERE q.msg_id IN (SELECT v.msg_id FROM ${table} v WHERE v.vt <= clock_timestamp()
                            ORDER BY v.msg_id LIMIT $1::int FOR UPDATE SKIP LOCKED)
        RETURNING q.msg_id, q.message,
                  CASE WHEN q.message->>'step_uuid' ~* '${UUID_TEXT.source}'
                       THEN (q.message->>'step_uuid')::uuid END AS step_uuid
     ), `,
    ),
    [limit, workerId, leaseSeconds, scope.templateHashes],
  );
  const batch: ClaimBatch = { claimed: [], stale: [], busy: [], foreign: [] };
  const unclaimed: QueuedStep[] = [];
  const seen = new Set<string>();
  // In msg_id order, so that of two messages for one step the older one runs it.
  rows.sort((a, b) => Number(a.msg_id) - Number(b.msg_id));
  for (const row of rows) {
    const source: QueuedStep = { queue, msg_id: Number(row.msg_id), message: row.message };
    if (row.step_uuid === null || seen.has(row.step_uuid)) unclaimed.push(source);
    else {
      seen.add(row.step_uuid);
      batch.claimed.push(toClaim(source, row));
    }
  }
  if (unclaimed.length > 0) {
    await classifyUnclaimed(db, unclaimed, batch, workerId, leaseSeconds, scope);
  }
  return { batch, read: rows.length };
}

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
      WHERE s.step_uuid = ANY($1::uuid[]) AND ${CLAIMABLE} AND ${OURS}
        FOR UPDATE OF s SKIP LOCKED`,
    [stepIds(messages), workerId, leaseSeconds, scope.templateHashes],
  );
  const byStep = new Map(rows.map((row) => [row.step_uuid, row]));
  const unclaimed: QueuedStep[] = [];
  for (const source of messages) {
    const row = byStep.get(source.message?.step_uuid);
    if (!row) {
      unclaimed.push(source);
      continue;
    }
    // Two messages for one step in the same read: only the first one runs it.
    byStep.delete(source.message?.step_uuid);
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
  return db.query<ClaimRow>(claimStatement(candidates), params);
}

/**
 * The claim statement around `candidates`. With `messages` (a CTE named `messages` with
 * `msg_id`, `message`, `step_uuid`, followed by a comma), every message read is returned, the
 * claim's columns null for those whose step was not claimed.
 */
function claimStatement(candidates: string, messages?: string): string {
  return `WITH ${messages ?? ""}candidates AS (${candidates}
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
                  s.batch_of, s.created_at
     )
     SELECT ${
    messages ? "m.msg_id, m.message, " : ""
  }c.step_uuid::text AS step_uuid, c.name, c.attempts, c.max_attempts, c.retryable,
            c.handler_callable, c.settle, t.task_uuid::text AS task_uuid, t.namespace,
            t.name AS task_name, t.version, t.context, t.correlation_id, t.state AS task_state,
            t.template_hash, r.completed_results, r.completed_steps,
            $2::text AS worker_id, t.initiator, t.source_system, t.reason, t.tags, t.priority,
            t.parent_correlation_id::text AS parent_correlation_id,
            to_char(t.requested_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS requested_at,
            to_char(t.created_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS task_created_at,
            to_char(t.updated_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS task_updated_at,
            to_char(c.created_at AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS step_created_at,
            to_char(now() AT TIME ZONE 'UTC', ${NAIVE_FORMAT}) AS last_attempted_at,
            c.template_step, c.inputs, c.checkpoint, c.batch_of::text AS batch_of,
            r.completed_templates
       ${
    messages
      ? `FROM messages m
       LEFT JOIN claimed c ON c.step_uuid = m.step_uuid`
      : `FROM claimed c`
  }
       -- Each claimed step's task by its primary key (a join let the planner hash every task).
       LEFT JOIN LATERAL (SELECT * FROM tasker.tasks t WHERE t.task_uuid = c.task_uuid) t ON true
       -- Per claimed step, its own task's completed steps (an index look-up each): a grouped
       -- CTE joined back was re-aggregated for every claimed row, quadratic in the batch size.
       LEFT JOIN LATERAL (
         SELECT jsonb_object_agg(d.name, d.result) AS completed_results,
                jsonb_object_agg(d.name, jsonb_build_object(
                  'step_uuid', d.step_uuid, 'result', d.result,
                  'started_at', to_char(d.started_at AT TIME ZONE 'UTC', ${UTC_FORMAT}),
                  'completed_at', to_char(d.completed_at AT TIME ZONE 'UTC', ${UTC_FORMAT})
                )) AS completed_steps,
                jsonb_object_agg(d.name, d.template_step)
                  FILTER (WHERE d.template_step IS NOT NULL) AS completed_templates
           FROM tasker.steps d
          WHERE d.task_uuid = c.task_uuid AND d.state = 'complete'
       ) r ON true`;
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
    [stepIds(unclaimed)],
  );
  const byStep = new Map(rows.map((row) => [row.step_uuid, row]));
  const known = new Set(scope.templateHashes);
  const claimedHere = new Set(batch.claimed.map((c) => c.step.step_uuid));
  const foreign: ForeignStep[] = [];
  for (const source of unclaimed) {
    const row = byStep.get(source.message?.step_uuid);
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

/** The step ids of `messages` that are UUIDs (any other names no step: the message is stale). */
function stepIds(messages: readonly QueuedStep[]): string[] {
  return messages.map((m) => m.message?.step_uuid).filter((id): id is string =>
    typeof id === "string" && UUID_TEXT.test(id)
  );
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
      ...(row.checkpoint ? { checkpoint: row.checkpoint } : {}),
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
