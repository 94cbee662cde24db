/**
 * The common case of recording a group of outcomes as ONE statement: write the steps (only
 * while the claim is ours), delete their queue messages, release their successors and send the
 * ready ones, and settle their tasks — five operations that were five round trips. Data-modifying
 * CTEs all run against the statement's snapshot, which is safe here because they touch
 * different rows: the claimed steps (`written`), their pending successors (`released`), their
 * messages and their tasks. `step_outcomes.ts` takes this path when no outcome of the group
 * creates steps (decisions and batches change a task's step count, so its settling must wait for
 * them) and keeps its statement-per-operation path for those.
 *
 * Queue names become table names (one DELETE and one INSERT per queue): each was validated by
 * `queueTable`. Messages are inserted as `pgmq.send_batch` inserts them (`vt` now, no headers),
 * so the step queues' insert triggers fire as usual.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { queueTable } from "../durable/pgmq/queues.ts";
import type { StepState, TaskState } from "./step_store.ts";

/** One outcome to write. */
export interface OutcomeRow {
  /** The step. */
  step_uuid: string;
  /** Its task. */
  task_uuid: string;
  /** The step's name (successors may wait for it by name). */
  step_name: string;
  /** The queue of the message that delivered it; its successors go to the same queue. */
  queue: string;
  /** That message. */
  msg_id: number;
  /** The new state. */
  state: StepState;
  /** The result as JSON text, or null. */
  result: string | null;
  /** The error as JSON text, or null. */
  error: string | null;
  /** Whether the step stays retryable (as persisted). */
  retryable: boolean;
  /** Seconds until the next attempt (a retry), or null. */
  delay_s: number | null;
  /** The successors this outcome releases once written (none unless it lets them run). */
  releases: readonly string[];
}

/** What the statement did. */
export interface OutcomeWrite {
  /** Steps whose outcome was written (the claim was still ours). */
  written: Set<string>;
  /** Successor rows whose pending count fell, with their state after it ("enqueued": sent). */
  released: { task_uuid: string; step_uuid: string; name: string; state: StepState }[];
  /** Task states after settling. */
  taskStates: Map<string, TaskState>;
}

/**
 * Writes outcomes onto their step rows, only while the claim is still the worker's (a lost
 * claim writes nothing): an UPDATE without its RETURNING, over the parameters of
 * {@link writeStepsParams} (`$1`–`$7`).
 */
export const WRITE_STEPS = `
       UPDATE tasker.steps s
          SET state = v.state, result = v.result, error = v.error, retryable = v.retryable,
              next_attempt_at = CASE WHEN v.delay IS NULL THEN NULL
                ELSE now() + make_interval(secs => v.delay) END,
              completed_at = CASE WHEN v.state IN ('complete', 'error') THEN now() END,
              claimed_by = NULL, claim_expires_at = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[], $5::bool[],
                     $6::double precision[]) AS v(step_uuid, state, result, error, retryable, delay)
        WHERE s.step_uuid = v.step_uuid AND s.claimed_by = $7 AND s.state = 'in_progress'`;

/**
 * The parameters of {@link WRITE_STEPS}.
 *
 * @example
 * ```ts ignore
 * await tx.query(`${WRITE_STEPS} RETURNING s.step_uuid`, writeStepsParams(rows, "worker-1"));
 * ```
 */
export function writeStepsParams(rows: readonly OutcomeRow[], workerId: string): unknown[] {
  return [
    rows.map((r) => r.step_uuid),
    rows.map((r) => r.state),
    rows.map((r) => r.result),
    rows.map((r) => r.error),
    rows.map((r) => r.retryable),
    rows.map((r) => r.delay_s),
    workerId,
  ];
}

/**
 * How a group's outcomes settle their task, as the SET list of an `UPDATE tasker.tasks t` over
 * rows `v(task_uuid, completed, failed)`: steps completed counted, the task complete when all its
 * steps are, failed when one failed for good (an `error` task stays so).
 */
export const SETTLE_TASK = `steps_complete = t.steps_complete + v.completed,
              state = CASE WHEN t.state = 'error' OR v.failed THEN 'error'
                           WHEN t.steps_complete + v.completed >= t.step_count THEN 'complete'
                           ELSE 'in_progress' END,
              completed_at = CASE
                WHEN t.state = 'error' THEN t.completed_at
                WHEN v.failed OR t.steps_complete + v.completed >= t.step_count THEN now()
                ELSE t.completed_at END,
              updated_at = now()`;

interface ResultRow {
  kind: "w" | "r" | "t";
  task_uuid: string;
  step_uuid: string | null;
  name: string | null;
  state: string;
}

/**
 * Writes `rows` for `workerId` in one statement.
 *
 * @example
 * ```ts ignore
 * const { written, released, taskStates } = await writeOutcomes(tx, rows, "worker-1");
 * ```
 */
export async function writeOutcomes(
  tx: Queryable,
  rows: readonly OutcomeRow[],
  workerId: string,
): Promise<OutcomeWrite> {
  const params = writeStepsParams(rows, workerId);
  const param = (value: unknown) => `$${params.push(value)}`;
  const queues = [...new Set(rows.map((r) => r.queue))];
  const ctes: string[] = [
    `written AS (${WRITE_STEPS}
        RETURNING s.step_uuid, s.task_uuid, v.state
     )`,
  ];
  // Only a written outcome's message is deleted: a lost claim's belongs to the step's new holder.
  queues.forEach((queue, i) => {
    const mine = rows.filter((r) => r.queue === queue);
    ctes.push(`deleted_${i} AS (
       DELETE FROM ${queueTable(queue)} q
        USING unnest(${param(mine.map((r) => r.msg_id))}::bigint[],
                     ${param(mine.map((r) => r.step_uuid))}::uuid[]) AS m(msg_id, step_uuid)
        WHERE q.msg_id = m.msg_id AND m.step_uuid IN (SELECT step_uuid FROM written)
        RETURNING q.msg_id
     )`);
  });
  const releasing = rows.flatMap((r) =>
    r.releases.map((name) => ({ task: r.task_uuid, name, by: r.step_uuid, byName: r.step_name }))
  );
  if (releasing.length > 0) {
    ctes.push(`released AS (
       UPDATE tasker.steps s
          SET pending_dependencies = s.pending_dependencies - v.done,
              state = CASE WHEN s.pending_dependencies = v.done THEN 'enqueued' ELSE s.state END,
              updated_at = now()
         FROM (SELECT u.task_uuid, u.name, count(*)::int AS done
                 FROM unnest(${param(releasing.map((r) => r.task))}::uuid[],
                             ${param(releasing.map((r) => r.name))}::text[],
                             ${param(releasing.map((r) => r.by))}::uuid[],
                             ${param(releasing.map((r) => r.byName))}::text[])
                        AS u(task_uuid, name, releaser, releaser_name)
                 JOIN tasker.steps w ON w.task_uuid = u.task_uuid AND w.name = u.name
                WHERE u.releaser IN (SELECT step_uuid FROM written)
                  -- A step created at run time waits only for the steps in its waits_for.
                  AND (w.waits_for IS NULL OR u.releaser_name = ANY(w.waits_for))
                GROUP BY u.task_uuid, u.name) v
        WHERE s.task_uuid = v.task_uuid AND s.name = v.name AND s.state = 'pending'
        RETURNING s.task_uuid, s.step_uuid, s.name, s.state
     )`);
    queues.forEach((queue, i) => {
      const tasks = [...new Set(rows.filter((r) => r.queue === queue).map((r) => r.task_uuid))];
      ctes.push(`sent_${i} AS (
       INSERT INTO ${queueTable(queue)} (vt, message)
       SELECT clock_timestamp(),
              jsonb_build_object('task_uuid', r.task_uuid, 'step_uuid', r.step_uuid)
         FROM released r
        WHERE r.state = 'enqueued' AND r.task_uuid = ANY(${param(tasks)}::uuid[])
        RETURNING msg_id
     )`);
    });
  }
  ctes.push(`settled AS (
       UPDATE tasker.tasks t
          SET ${SETTLE_TASK}
         FROM (SELECT w.task_uuid, (count(*) FILTER (WHERE w.state = 'complete'))::int AS completed,
                      bool_or(w.state <> 'complete') AS failed
                 FROM written w WHERE w.state <> 'waiting_for_retry'
                GROUP BY w.task_uuid) v
        WHERE t.task_uuid = v.task_uuid
        RETURNING t.task_uuid, t.state
     )`);
  const result = await tx.query<ResultRow>(
    `WITH ${ctes.join(", ")}
     SELECT 'w' AS kind, task_uuid::text AS task_uuid, step_uuid::text AS step_uuid,
            NULL AS name, state FROM written
     ${
      releasing.length > 0
        ? `UNION ALL SELECT 'r', task_uuid::text, step_uuid::text, name, state FROM released`
        : ""
    }
     UNION ALL SELECT 't', task_uuid::text, NULL, NULL, state FROM settled`,
    params,
  );
  const write: OutcomeWrite = { written: new Set(), released: [], taskStates: new Map() };
  for (const row of result) {
    if (row.kind === "w") write.written.add(row.step_uuid!);
    else if (row.kind === "t") write.taskStates.set(row.task_uuid, row.state as TaskState);
    else {
      write.released.push({
        task_uuid: row.task_uuid,
        step_uuid: row.step_uuid!,
        name: row.name!,
        state: row.state as StepState,
      });
    }
  }
  return write;
}
