/**
 * What `deno task chaos` counts after a scenario, from the task engine's database and the run
 * records of `handlers.ts`: tasks by state, steps whose handler ran on two processes at the same
 * time, durable events missing from or duplicated in PGMQ, steps whose attempts exceed their
 * maximum.
 *
 * @module
 */

import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { domainEventsQueue } from "../../src/names.ts";

/** When each worker process ended (a run it left open ended then, at the latest). */
export interface ProcessEnd {
  /** The worker's pid. */
  pid: number;
  /** When it exited or was killed. */
  at: Date;
}

/** One scenario's counts. */
export interface ScenarioCounts {
  /** Tasks submitted. */
  tasks: number;
  /** Tasks complete. */
  complete: number;
  /** Tasks in error. */
  error: number;
  /** Steps whose handler ran on two processes (or twice in one) at overlapping times. */
  concurrentRuns: number;
  /** Steps whose handler ran more than once in all (re-runs after a crash included). */
  rerunSteps: number;
  /** Durable and broadcast events the engine recorded as fired. */
  eventsFired: number;
  /** Of those, not in their PGMQ queue. */
  eventsMissing: number;
  /** Event ids in the queue more than once. */
  eventsDuplicated: number;
  /** Steps with `attempts > max_attempts`. */
  attemptsOverMax: number;
}

/** Tasks by final state, and how many are not final yet. */
export async function taskStates(
  engine: Queryable,
): Promise<{ total: number; complete: number; error: number; open: number }> {
  const [row] = await engine.query<{ total: number; complete: number; error: number }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE state = 'complete')::int AS complete,
            count(*) FILTER (WHERE state = 'error')::int AS error
       FROM tasker.tasks`,
  );
  const { total, complete, error } = row!;
  return { total, complete, error, open: total - complete - error };
}

/** Owed durable events not yet marked sent. */
export async function owedEvents(engine: Queryable): Promise<number> {
  const [row] = await engine.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.step_events WHERE sent_at IS NULL AND delivery_mode <> 'fast'",
  );
  return row!.n;
}

/**
 * Counts everything for `scenario`.
 *
 * @param engine the scenario's task-engine database
 * @param runs the run records' database
 * @param scenario the scenario's key in the run records
 * @param ends when each worker process ended
 */
export async function measure(
  engine: Database,
  runs: Database,
  scenario: string,
  ends: readonly ProcessEnd[],
): Promise<ScenarioCounts> {
  const states = await taskStates(engine);
  const [overlap] = await runs.query<{ concurrent: number; rerun: number }>(
    `WITH ends AS (
       SELECT * FROM unnest($2::integer[], $3::timestamptz[]) AS e(pid, at)
     ), spans AS (
       SELECT r.step_uuid, r.id, r.started_at,
              coalesce(r.ended_at, e.at, clock_timestamp()) AS ended_at
         FROM chaos_runs r LEFT JOIN ends e ON e.pid = r.pid
        WHERE r.scenario = $1::text
     )
     SELECT (SELECT count(DISTINCT a.step_uuid)::int FROM spans a JOIN spans b
               ON a.step_uuid = b.step_uuid AND a.id < b.id
              WHERE b.started_at < a.ended_at AND a.started_at < b.ended_at) AS concurrent,
            (SELECT count(*)::int FROM (SELECT step_uuid FROM spans GROUP BY step_uuid
                                         HAVING count(*) > 1) x) AS rerun`,
    [scenario, ends.map((e) => e.pid), ends.map((e) => e.at.toISOString())],
  );
  const queue = domainEventsQueue("domain_events");
  const [present] = await engine.query<{ present: boolean }>(
    "SELECT to_regclass($1::text) IS NOT NULL AS present",
    [`pgmq.q_${queue}`],
  );
  const written = present!.present
    ? `SELECT message->>'event_id' AS id, count(*) AS n FROM pgmq."q_${queue}" GROUP BY 1`
    : "SELECT NULL::text AS id, 0::bigint AS n WHERE false";
  const [events] = await engine.query<{ fired: number; missing: number; duplicated: number }>(
    `WITH fired AS (
       SELECT event_id::text AS id FROM tasker.step_events WHERE delivery_mode <> 'fast'
     ), written AS (${written})
     SELECT (SELECT count(*)::int FROM fired) AS fired,
            (SELECT count(*)::int FROM fired f
              WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = f.id)) AS missing,
            (SELECT count(*)::int FROM written WHERE n > 1) AS duplicated`,
  );
  const [attempts] = await engine.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.steps WHERE attempts > max_attempts",
  );
  return {
    tasks: states.total,
    complete: states.complete,
    error: states.error,
    concurrentRuns: overlap!.concurrent,
    rerunSteps: overlap!.rerun,
    eventsFired: events!.fired,
    eventsMissing: events!.missing,
    eventsDuplicated: events!.duplicated,
    attemptsOverMax: attempts!.n,
  };
}
