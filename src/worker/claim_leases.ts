/**
 * The two statements that keep a claim honest while its handler runs: renewing the leases of
 * every step a worker holds (one statement per interval, whatever the number of steps), and
 * releasing claims a worker gives up without an outcome (shutdown, a lost database) so the steps
 * run again at once elsewhere, their attempts not consumed.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { setVtCall } from "../durable/pgmq/statements.ts";
import type { QueuedStep } from "./step_store.ts";

/** A claim this worker holds: its step and the message that delivered it. */
export interface HeldClaim {
  /** The claimed step. */
  step_uuid: string;
  /** The message, kept invisible for as long as the claim is held. */
  source: QueuedStep;
}

/**
 * Extends the leases of `claims` held by `workerId` to `leaseSeconds` from now, and the
 * visibility of their messages with them, in one statement.
 *
 * @returns the steps whose claims are still this worker's; any other was lost (taken over after
 *   its lease expired, or settled by an operator) and its handler must not record an outcome
 *
 * @example
 * ```ts ignore
 * const kept = await renewClaims(db, held, "worker-1", 30);
 * ```
 */
export async function renewClaims(
  db: Queryable,
  claims: readonly HeldClaim[],
  workerId: string,
  leaseSeconds: number,
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const rows = await db.query<{ step_uuid: string }>(
    withMessages(
      `UPDATE tasker.steps
          SET claim_expires_at = now() + make_interval(secs => $5::double precision)
        WHERE step_uuid = ANY($1::uuid[]) AND claimed_by = $2 AND state = 'in_progress'`,
      "ceil($5::double precision)::int",
      "SELECT step_uuid::text AS step_uuid FROM changed",
    ),
    [...claimParams(claims, workerId), leaseSeconds],
  );
  return new Set(rows.map((row) => row.step_uuid));
}

/**
 * Gives up claims of `workerId` without recording an outcome: each step becomes claimable again
 * with the attempt it was claimed for handed back, and its message visible at once.
 *
 * @returns how many claims were still this worker's and were released
 *
 * @example
 * ```ts ignore
 * await releaseClaims(db, interrupted, "worker-1");
 * ```
 */
export async function releaseClaims(
  db: Queryable,
  claims: readonly HeldClaim[],
  workerId: string,
): Promise<number> {
  if (claims.length === 0) return 0;
  const rows = await db.query<{ released: number }>(
    withMessages(
      `UPDATE tasker.steps
          SET state = 'enqueued', attempts = GREATEST(attempts - 1, 0), claimed_by = NULL,
              claim_expires_at = NULL, started_at = NULL, updated_at = now()
        WHERE step_uuid = ANY($1::uuid[]) AND claimed_by = $2 AND state = 'in_progress'`,
      "0",
      "SELECT count(*)::int AS released FROM changed",
    ),
    claimParams(claims, workerId),
  );
  return rows[0]?.released ?? 0;
}

/** `$1` steps, `$2` worker, `$3`/`$4` each claim's queue and message id. */
function claimParams(claims: readonly HeldClaim[], workerId: string): unknown[] {
  return [
    claims.map((c) => c.step_uuid),
    workerId,
    claims.map((c) => c.source.queue),
    claims.map((c) => c.source.msg_id),
  ];
}

/**
 * One statement: `update` (of the claimed steps, parameters as {@link claimParams}), then the
 * messages of the steps it changed get visibility timeout `vt` (seconds from now), per queue,
 * then `select` reads the changed steps (CTE `changed`).
 */
function withMessages(update: string, vt: string, select: string): string {
  // `moved` is referenced so that it runs: a CTE without data-modifying SQL of its own is
  // evaluated only when read, and PGMQ's set_vt updates inside a function.
  return `WITH changed AS (${update}
        RETURNING step_uuid
     ), messages AS (
       SELECT m.queue, array_agg(m.msg_id) AS ids
         FROM unnest($3::text[], $4::bigint[], $1::uuid[]) AS m(queue, msg_id, step_uuid)
        WHERE m.step_uuid IN (SELECT step_uuid FROM changed)
        GROUP BY m.queue
     ), moved AS (
       SELECT v.msg_id FROM messages, LATERAL ${setVtCall("messages.queue", "messages.ids", vt)} v
     )
     ${select} WHERE (SELECT count(*) FROM moved) >= 0`;
}
