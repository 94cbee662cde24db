/**
 * Checkpoint / yield: a long step returns {@link checkpointYield} to save its progress; the
 * worker stores the checkpoint (with its history) and extends the step's lease in ONE statement,
 * then runs the handler again at once with the checkpoint in `ctx.checkpoint` — same claim, same
 * attempt. Only a real success or failure ends the step. A later attempt (a retry, or a re-claim
 * after a crash) reads the last stored checkpoint, so it resumes from there.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { setVtCall } from "../durable/pgmq/statements.ts";
import type { HeldClaim } from "./claim_leases.ts";
import type { StepResult, StepSuccess } from "./step_handler.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";

export type { CheckpointHistoryEntry, CheckpointRecord } from "./checkpoint_record.ts";

/**
 * A result that saves a checkpoint and yields (Tasker's `checkpointYield`): the worker stores
 * it, extends the lease and runs the handler again with `ctx.checkpoint` set; the attempt is
 * not counted.
 *
 * @param cursor where to resume
 * @param itemsProcessed items processed so far, cumulative
 * @param accumulatedResults what to carry across yields (omitted when undefined)
 *
 * @example
 * ```ts
 * import { checkpointYield } from "@deno-tasker/tasker";
 * const result = checkpointYield(25, 25, { running_total: 325 });
 * ```
 */
export function checkpointYield(
  cursor: unknown,
  itemsProcessed: number,
  accumulatedResults?: Record<string, unknown>,
): StepSuccess {
  const result: Record<string, unknown> = {
    type: "checkpoint_yield",
    cursor,
    items_processed: itemsProcessed,
  };
  if (accumulatedResults !== undefined) result.accumulated_results = accumulatedResults;
  return { success: true, result, metadata: { checkpoint_yield: true, batch_worker: true } };
}

/** The yield `result` carries, when it is one (`metadata.checkpoint_yield === true`). */
export function yieldOf(
  result: StepResult,
): { cursor: unknown; items_processed: number; accumulated_results: unknown } | undefined {
  if (!result.success || result.metadata?.checkpoint_yield !== true) return undefined;
  const body =
    (typeof result.result === "object" && result.result !== null ? result.result : {}) as Record<
      string,
      unknown
    >;
  const items = Number(body.items_processed ?? 0);
  return {
    cursor: body.cursor ?? null,
    items_processed: Number.isFinite(items) ? items : 0,
    accumulated_results: body.accumulated_results ?? null,
  };
}

/**
 * Stores a yield as the step's checkpoint (appending it to the history) and extends the claim's
 * lease and its message's visibility to `leaseSeconds` from now, in one statement.
 *
 * @returns the stored checkpoint, or undefined when the claim is no longer this worker's
 *
 * @example
 * ```ts ignore
 * const saved = await saveCheckpoint(db, held, "worker-1", 30, yieldOf(result)!);
 * ```
 */
export async function saveCheckpoint(
  db: Queryable,
  claim: HeldClaim,
  workerId: string,
  leaseSeconds: number,
  saved: { cursor: unknown; items_processed: number; accumulated_results: unknown },
): Promise<CheckpointRecord | undefined> {
  const rows = await db.query<{ checkpoint: CheckpointRecord }>(
    `WITH stamp AS (
       SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts
     ), saved AS (
       UPDATE tasker.steps s
          SET checkpoint = jsonb_build_object(
                'cursor', $4::jsonb, 'items_processed', $5::double precision,
                'timestamp', stamp.ts, 'accumulated_results', $6::jsonb,
                'history', coalesce(s.checkpoint->'history', '[]'::jsonb)
                  || jsonb_build_array(jsonb_build_object('cursor', $4::jsonb, 'timestamp', stamp.ts))),
              claim_expires_at = now() + make_interval(secs => $3::double precision),
              updated_at = now()
         FROM stamp
        WHERE s.step_uuid = $1::uuid AND s.claimed_by = $2 AND s.state = 'in_progress'
        RETURNING s.checkpoint
     ), hidden AS (
       SELECT v.msg_id FROM saved,
              LATERAL ${setVtCall("$7::text", "$8::bigint", "ceil($3::double precision)::int")} v
     )
     SELECT checkpoint FROM saved WHERE (SELECT count(*) FROM hidden) >= 0`,
    [
      claim.step_uuid,
      workerId,
      leaseSeconds,
      JSON.stringify(saved.cursor ?? null),
      saved.items_processed,
      JSON.stringify(saved.accumulated_results ?? null),
      claim.source.queue,
      claim.source.msg_id,
    ],
  );
  return rows[0]?.checkpoint;
}
