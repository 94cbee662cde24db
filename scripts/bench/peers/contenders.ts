/**
 * What the peers benchmark knows about each contender without loading it: the settings it runs
 * at (from its documentation, for throughput), and the SQL the driver and the latency submitter
 * use to see how much work is left. Every contender's completion is read the same way: one
 * count from its own tables, polled at the same interval.
 *
 * @module
 */

/** The contenders, in the order every round runs them. */
export const CONTENDERS = ["tasker", "pgboss", "graphile"] as const;

/** One contender's key. */
export type ContenderKey = typeof CONTENDERS[number];

/** The one queue every peer's step events go to (deno-tasker writes `chain_domain_events`). */
export const PEER_EVENTS_QUEUE = "chain_events";

/** Namespace (deno-tasker) or queue (pg-boss) of the benchmark's chains. */
export const CHAIN_QUEUE = "chain";

/** Steps per workflow. */
export const CHAIN_STEPS = 4;

/** Names of the extra, always empty, namespaces or queues of the idle-cost measurement. */
export function idleQueueNames(count: number): string[] {
  return Array.from(
    { length: Math.max(0, count - 1) },
    (_, i) => `idle_${String(i + 1).padStart(2, "0")}`,
  );
}

/**
 * pg-boss in batch mode: `localConcurrency` fetch loops, each taking up to `batchSize` jobs, so
 * at most `c` jobs are in flight. Its docs offer `batchSize` for batch processing,
 * `localConcurrency` for parallel loops and `burstWhenBatchFull` to fetch again at once while
 * batches come back full. Measured here (500 chains, one round each, twice): one loop with
 * batches of `c` beat 2 and 4 loops of `c / loops` at both c=10 and c=100 (by 1.2× to 2×), and
 * 10 loops of single jobs cannot burst (they wait out the 0.5 s poll), so one loop runs.
 */
export function pgbossShape(concurrency: number): { localConcurrency: number; batchSize: number } {
  return { localConcurrency: 1, batchSize: concurrency };
}

/** graphile-worker's pool: its docs say `max(10, concurrentJobs + 2)`; capped for the server. */
export function graphilePoolSize(concurrency: number): number {
  return Math.min(Math.max(10, concurrency + 2), GRAPHILE_POOL_CAP);
}

/** The server allows 100 connections, shared with every other contender and user. */
export const GRAPHILE_POOL_CAP = 40;

/** graphile-worker's local queue size (its performance page). */
export const GRAPHILE_LOCAL_QUEUE = 500;

/** A contender as the driver sees it. */
export interface ContenderInfo {
  key: ContenderKey;
  /** Row label, with the version. */
  label: string;
  /** The settings it runs at, in words, for concurrency `c`. */
  settings(concurrency: number): string;
  /**
   * One row `{ n }`: work not yet complete (steps, jobs or tasks; failed ones count too, so a
   * failure never ends a run early) plus, with events, events not yet in the queue, `$1` being
   * the number expected.
   */
  remainingSql(events: boolean): string;
  /** One row `{ done }` for the workflow whose id is `$1`. */
  workflowDoneSql: string;
  /** Statements that empty its tables between runs (no worker is running then). */
  cleanSql: string[];
  /** Its events queue's table. */
  eventsTable: string;
}

const eventsMissing = (table: string) =>
  ` + greatest(0, $1::int - (SELECT count(*) FROM ${table}))`;

/** Empties every PGMQ queue and archive of the database. */
const PURGE_PGMQ = `DO $$ DECLARE q record; BEGIN
  FOR q IN SELECT queue_name FROM pgmq.list_queues() LOOP
    EXECUTE format('TRUNCATE pgmq.%I, pgmq.%I', 'q_' || q.queue_name, 'a_' || q.queue_name);
  END LOOP; END $$`;

/** The contenders by key. */
export const CONTENDER_INFO: Record<ContenderKey, ContenderInfo> = {
  tasker: {
    key: "tasker",
    label: "deno-tasker (this tree)",
    settings: (c) =>
      `Tasker.open({ database: { url }, concurrency: ${c} }), other options at their defaults ` +
      `(pool 10, writer pool 4, idle poll 1 s while it LISTENs, 50 ms when it cannot); in the ` +
      `events run each step declares one ` +
      `durable event`,
    remainingSql: (events) =>
      `SELECT ((SELECT count(*) FROM tasker.tasks WHERE state <> 'complete')${
        events ? eventsMissing("pgmq.q_chain_domain_events") : ""
      })::int AS n`,
    workflowDoneSql:
      "SELECT EXISTS (SELECT 1 FROM tasker.tasks WHERE task_uuid = $1::uuid AND state = 'complete') AS done",
    cleanSql: ["TRUNCATE tasker.tasks, tasker.steps, tasker.step_events CASCADE", PURGE_PGMQ],
    eventsTable: "pgmq.q_chain_domain_events",
  },
  pgboss: {
    key: "pgboss",
    label: "pg-boss 12 (batch, transactional handler)",
    settings: (c) => {
      const { localConcurrency, batchSize } = pgbossShape(c);
      return `work(queue, { batchSize: ${batchSize}, localConcurrency: ${localConcurrency}, ` +
        `transactional: true, burstWhenBatchFull: true }); useListenNotify with a notify: true ` +
        `queue; successors inserted with { db: tx }, events by pgmq.send_batch in the same tx`;
    },
    remainingSql: (events) =>
      `SELECT ((SELECT count(*) FROM pgboss.job WHERE state <> 'completed')${
        events ? eventsMissing(`pgmq.q_${PEER_EVENTS_QUEUE}`) : ""
      })::int AS n`,
    workflowDoneSql: `SELECT EXISTS (SELECT 1 FROM pgboss.job WHERE name = '${CHAIN_QUEUE}' AND ` +
      `data->>'wf' = $1 AND data->>'step' = '${CHAIN_STEPS}' AND state = 'completed') AS done`,
    cleanSql: ["TRUNCATE pgboss.job", PURGE_PGMQ],
    eventsTable: `pgmq.q_${PEER_EVENTS_QUEUE}`,
  },
  graphile: {
    key: "graphile",
    label: "graphile-worker 0.18",
    settings: (c) =>
      `concurrentJobs: ${c}, maxPoolSize: ${
        graphilePoolSize(c)
      }, localQueue: { size: ${GRAPHILE_LOCAL_QUEUE} }, ` +
      `completeJobBatchDelay: 0, failJobBatchDelay: 0 (its performance page); successors by ` +
      `helpers.addJob, events by pgmq.send through helpers.withPgClient`,
    remainingSql: (events) =>
      `SELECT ((SELECT count(*) FROM graphile_worker._private_jobs)${
        events ? eventsMissing(`pgmq.q_${PEER_EVENTS_QUEUE}`) : ""
      })::int AS n`,
    workflowDoneSql:
      "SELECT NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs WHERE payload->>'wf' = $1) AS done",
    cleanSql: ["TRUNCATE graphile_worker._private_jobs CASCADE", PURGE_PGMQ],
    eventsTable: `pgmq.q_${PEER_EVENTS_QUEUE}`,
  },
};
