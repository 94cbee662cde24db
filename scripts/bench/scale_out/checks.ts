/**
 * The scale-out benchmark's correctness checks, per run: from the workers' handler logs, that no
 * step ran twice at the same time (and which ran twice at all); from the database, that every
 * step's one durable event is in PGMQ exactly once.
 *
 * @module
 */

import type { Database } from "../../../src/durable/mod.ts";
import type { HandlerRun, WorkerLog } from "./child.ts";
import { EVENTS_TABLE, SCALE_NAMESPACE } from "./workload.ts";

/** What the handler logs of one run show. */
export interface RunCheck {
  /** Handler calls over all processes. */
  calls: number;
  /** Steps in the database that no handler call ran. */
  neverRun: number;
  /** Handler calls for steps the database does not have. */
  unknown: number;
  /** Steps whose handler ran more than once. */
  rerunSteps: number;
  /** Pairs of calls of one step whose [start, end] windows overlap. */
  overlapping: number;
  /** The first few steps that ran more than once, in words (process, attempt, times). */
  details: string[];
}

const MAX_DETAILS = 10;

function describeRuns(step: string, runs: { process: number; run: HandlerRun }[], t0: number) {
  const parts = runs.map(({ process, run }) =>
    `process ${process} attempt ${run[1]} ${(run[2] - t0).toFixed(3)}–${
      (run[3] - t0).toFixed(3)
    } ms`
  );
  return `step ${step}: ${parts.join("; ")}`;
}

/**
 * Checks the handler logs of one run against the steps the database holds.
 *
 * @example
 * ```ts
 * const log: WorkerLog = {
 *   process: 1,
 *   pid: 1,
 *   stats: {},
 *   runs: [["a", 1, 0, 1], ["a", 1, 0.5, 2]],
 * };
 * const check = checkRuns([log], ["a"], 0);
 * console.log(check.overlapping); // 1
 * ```
 */
export function checkRuns(logs: WorkerLog[], steps: Iterable<string>, t0: number): RunCheck {
  const byStep = new Map<string, { process: number; run: HandlerRun }[]>();
  let calls = 0;
  for (const log of logs) {
    for (const run of log.runs) {
      calls++;
      const list = byStep.get(run[0]);
      if (list) list.push({ process: log.process, run });
      else byStep.set(run[0], [{ process: log.process, run }]);
    }
  }
  let neverRun = 0;
  let known = 0;
  for (const step of steps) {
    if (byStep.has(step)) known++;
    else neverRun++;
  }
  let rerunSteps = 0;
  let overlapping = 0;
  const details: string[] = [];
  for (const [step, runs] of byStep) {
    if (runs.length < 2) continue;
    rerunSteps++;
    runs.sort((a, b) => a.run[2] - b.run[2]);
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length; j++) {
        // Sorted by start: j overlaps i when it starts before i ends.
        if (runs[j]!.run[2] < runs[i]!.run[3]) overlapping++;
      }
    }
    if (details.length < MAX_DETAILS) details.push(describeRuns(step, runs, t0));
  }
  return { calls, neverRun, unknown: byStep.size - known, rerunSteps, overlapping, details };
}

/** What PGMQ's events queue and the step table of one run show. */
export interface EventCheck {
  /** Steps in the database. */
  steps: number;
  /** Messages in the `scale_domain_events` queue table. */
  messages: number;
  /** Distinct `event_id`s among them. */
  distinctIds: number;
  /** Steps without their event (same task, same step, the step's event name). */
  lost: number;
  /** Events beyond the first for a step. */
  duplicated: number;
  /** Messages that match no step. */
  stray: number;
  /** Steps not `complete`, or recorded with more than one attempt. */
  incompleteSteps: number;
  retriedSteps: number;
  /** A few steps whose event is missing or doubled, for the report. */
  details: string[];
}

const EVENT_SQL = `WITH ev AS (
  SELECT message->>'event_id' AS event_id, message->>'event_name' AS event_name,
         message->'metadata'->>'task_uuid' AS task_uuid,
         message->'metadata'->>'step_uuid' AS step_uuid
    FROM ${EVENTS_TABLE}),
matched AS (
  SELECT s.step_uuid, s.name, s.claimed_by, count(ev.step_uuid) AS n
    FROM tasker.steps s
    LEFT JOIN ev ON ev.step_uuid = s.step_uuid::text AND ev.task_uuid = s.task_uuid::text
                AND ev.event_name = $1::text || '.' || s.name || '_done'
   GROUP BY s.step_uuid, s.name, s.claimed_by)
SELECT (SELECT count(*) FROM matched)::int AS steps,
       (SELECT count(*) FROM ev)::int AS messages,
       (SELECT count(DISTINCT event_id) FROM ev)::int AS distinct_ids,
       (SELECT count(*) FROM matched WHERE n = 0)::int AS lost,
       (SELECT coalesce(sum(n - 1), 0) FROM matched WHERE n > 1)::int AS duplicated,
       ((SELECT count(*) FROM ev) - (SELECT coalesce(sum(n), 0) FROM matched))::int AS stray,
       (SELECT count(*) FROM tasker.steps WHERE state <> 'complete')::int AS incomplete,
       (SELECT count(*) FROM tasker.steps WHERE attempts > 1)::int AS retried,
       (SELECT coalesce(json_agg(d), '[]'::json) FROM (
          SELECT step_uuid || ' (' || name || ', claimed by ' || coalesce(claimed_by, '-') ||
                 '): ' || n || ' events' AS d
            FROM matched WHERE n <> 1 ORDER BY step_uuid LIMIT ${MAX_DETAILS}) x) AS details`;

/**
 * Reads the events queue and the steps of one run (no worker running) and compares them.
 *
 * @example
 * ```ts ignore
 * const check = await checkEvents(db);
 * console.log(check.lost, check.duplicated);
 * ```
 */
export async function checkEvents(db: Database): Promise<EventCheck> {
  const rows = await db.query<{
    steps: number;
    messages: number;
    distinct_ids: number;
    lost: number;
    duplicated: number;
    stray: number;
    incomplete: number;
    retried: number;
    details: string[] | string;
  }>(EVENT_SQL, [SCALE_NAMESPACE]);
  const row = rows[0]!;
  const details = typeof row.details === "string" ? JSON.parse(row.details) : row.details;
  return {
    steps: row.steps,
    messages: row.messages,
    distinctIds: row.distinct_ids,
    lost: row.lost,
    duplicated: row.duplicated,
    stray: row.stray,
    incompleteSteps: row.incomplete,
    retriedSteps: row.retried,
    details,
  };
}

/** Whether the events of a run are all there exactly once: `expected` messages, ids distinct. */
export function eventsOk(check: EventCheck, expected: number): boolean {
  return check.messages === expected && check.distinctIds === expected && check.lost === 0 &&
    check.duplicated === 0 && check.stray === 0;
}
