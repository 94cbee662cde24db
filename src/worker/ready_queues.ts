/**
 * Which of a worker's step queues have a visible message, in one statement. An idle worker asks
 * this once per poll instead of reading every queue, so its cost stays one transaction per poll
 * whether it serves one namespace or hundreds (each probe is an index look-up on the queue's
 * `vt` column).
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { queueTable } from "../durable/pgmq/queues.ts";

const probes = new Map<string, string>();

/**
 * The queues among `queues` that have a message visible now, in the order given.
 *
 * @param db the task engine's database
 * @param queues step queue names (validated: they become table names)
 *
 * @example
 * ```ts ignore
 * const ready = await readyQueues(db, ["worker_a_queue", "worker_b_queue"]);
 * ```
 */
export async function readyQueues(db: Queryable, queues: readonly string[]): Promise<string[]> {
  if (queues.length === 0) return [];
  const key = queues.join(",");
  let sql = probes.get(key);
  if (sql === undefined) {
    // Table names cannot be parameters: each is a validated queue name (PGMQ's `q_` tables).
    sql = queues.map((queue, i) => {
      return `SELECT ${i} AS i WHERE EXISTS (SELECT 1 FROM ${queueTable(queue)} ` +
        `WHERE vt <= clock_timestamp())`;
    }).join(" UNION ALL ");
    probes.set(key, sql);
  }
  const rows = await db.query<{ i: number }>(sql);
  return rows.map((row) => row.i).sort((a, b) => a - b).map((i) => queues[i]!);
}
