/**
 * The scale-out benchmark's report: one markdown table (steps/s by worker processes, the ratio
 * to one process, how the processes shared the work, and the correctness checks summed over
 * every run), then one PASS/FAIL line per check. The throughput curve has no target: the
 * report states it.
 *
 * @module
 */

import { median } from "../peers/report.ts";
import { type EventCheck, eventsOk, type RunCheck } from "./checks.ts";

/** One measured run: N worker processes sharing the same submitted workflows. */
export interface ScaleRun {
  round: number;
  processes: number;
  /** Steps per second from the first handler call to all done; 0 when it did not finish. */
  stepsPerSecond: number;
  /** Whether every task completed and every event reached PGMQ before the deadline. */
  finished: boolean;
  /** Handler calls per process, in process order. */
  callsPerProcess: number[];
  /** Outcomes recorded over commit groups, summed over the processes. */
  meanGroup: number;
  /** `lost_claims` summed over the processes' worker stats. */
  lostClaims: number;
  /** Busy share of all the machine's cores during the run (`/proc/stat`), when readable. */
  cpuBusy: number | undefined;
  /** CPU time of the worker processes over the run's wall time: cores' worth of deno-tasker. */
  workerCores: number | undefined;
  runs: RunCheck;
  events: EventCheck;
}

/** Everything one benchmark run measured. */
export interface ScaleResults {
  workflows: number;
  steps: number;
  concurrency: number;
  rounds: number;
  /** The server's version and durability settings (`SHOW fsync` among them). */
  server: string;
  /** Logical CPUs of the machine. */
  cores: number;
  loadBefore: string;
  loadAfter: string;
  runs: ScaleRun[];
}

const whole = (n: number) => Math.round(n).toLocaleString("en-US");

/** Whether a run passed every correctness check. */
export function runOk(run: ScaleRun, expectedSteps: number): boolean {
  return run.finished && run.runs.overlapping === 0 && run.runs.neverRun === 0 &&
    run.runs.unknown === 0 && eventsOk(run.events, expectedSteps);
}

/** A share (0..1) as a whole percentage; "—" when unknown. */
export const percent = (share: number | undefined): string =>
  share === undefined ? "—" : `${Math.round(share * 100)}%`;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The median run of a process count (by steps/s), for its share-of-work column. */
function medianRun(runs: ScaleRun[]): ScaleRun {
  const sorted = [...runs].sort((a, b) => a.stepsPerSecond - b.stepsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The report as markdown; the PASS/FAIL lines last. */
export function formatScale(results: ScaleResults): string {
  const counts = [...new Set(results.runs.map((run) => run.processes))].sort((a, b) => a - b);
  const byCount = new Map(counts.map((n) => [n, results.runs.filter((r) => r.processes === n)]));
  const figure = (n: number) => {
    const finished = byCount.get(n)!.filter((run) => run.finished);
    return finished.length > 0 ? median(finished.map((run) => run.stepsPerSecond)) : undefined;
  };
  const base = figure(1);
  const lines: string[] = [
    `\n### Scale-out: ${whole(results.workflows)} workflows of 4 steps (${
      whole(results.steps)
    } steps, one durable event each), concurrency ${results.concurrency} per process, median of ${results.rounds} interleaved round(s)\n`,
    "| worker processes | steps/s | vs 1 process | handler calls per process (median run) | mean group | machine CPU busy | workers' CPU, cores | overlapping double runs | steps run twice | events in PGMQ | lost events | duplicated events |",
    "| ---------------: | ------: | -----------: | -------------------------------------: | ---------: | ---------------: | ------------------: | ----------------------: | --------------: | -------------: | ----------: | ----------------: |",
  ];
  for (const n of counts) {
    const runs = byCount.get(n)!;
    const value = figure(n);
    const ratio = value !== undefined && base !== undefined && base > 0 ? value / base : undefined;
    const events = runs.map((run) => run.events);
    lines.push(
      `| ${n} | ${value === undefined ? "—" : whole(value)} | ${
        ratio === undefined ? "—" : `${ratio.toFixed(2)}×`
      } | ${medianRun(runs).callsPerProcess.map(whole).join(" / ")} | ${
        medianRun(runs).meanGroup.toFixed(1)
      } | ${percent(medianRun(runs).cpuBusy)} | ${
        medianRun(runs).workerCores?.toFixed(2) ?? "—"
      } | ${sum(runs.map((r) => r.runs.overlapping))} | ${
        sum(runs.map((r) => r.runs.rerunSteps))
      } | ${whole(sum(events.map((e) => e.messages)))} of ${whole(results.steps * runs.length)} | ${
        sum(events.map((e) => e.lost))
      } | ${sum(events.map((e) => e.duplicated))} |`,
    );
  }
  lines.push("");
  lines.push(
    `${results.server}; load average ${results.loadBefore} before, ${results.loadAfter} after ` +
      `(1/5/15 min), ${results.cores} cores. Calls per process, mean group (outcomes per recording ` +
      `transaction), machine CPU busy (all cores, everything running: PostgreSQL, the workers, ` +
      `other work) and the workers' own CPU time over the run's wall time are from the median ` +
      `run; the check columns sum ` +
      `every round of that process count. ` +
      `No target: the curve is reported as measured.`,
  );
  lines.push("");
  const all = results.runs;
  const overlapping = sum(all.map((r) => r.runs.overlapping));
  const reruns = sum(all.map((r) => r.runs.rerunSteps));
  const calls = sum(all.map((r) => r.runs.calls));
  const neverRun = sum(all.map((r) => r.runs.neverRun + r.runs.unknown));
  const retried = sum(all.map((r) => r.events.retriedSteps));
  const lostClaims = sum(all.map((r) => r.lostClaims));
  lines.push(
    `- ${overlapping === 0 && neverRun === 0 ? "PASS" : "FAIL"}: ${overlapping} overlapping ` +
      `double runs in ${all.length} runs (${whole(calls)} handler calls for ${
        whole(results.steps * all.length)
      } steps; ${reruns} steps ran more than once, ${retried} recorded with more than one attempt, ` +
      `${neverRun} never ran or were unknown; the workers counted ${lostClaims} lost claims).`,
  );
  const badEvents = all.filter((run) => !eventsOk(run.events, results.steps));
  const lost = sum(all.map((r) => r.events.lost));
  const duplicated = sum(all.map((r) => r.events.duplicated));
  const duplicateIds = sum(all.map((r) => r.events.messages - r.events.distinctIds));
  const stray = sum(all.map((r) => r.events.stray));
  lines.push(
    `- ${badEvents.length === 0 ? "PASS" : "FAIL"}: ${lost} lost and ${duplicated} duplicated ` +
      `events in ${all.length} runs (${duplicateIds} repeated event_ids, ${stray} matching no ` +
      `step; ${all.length - badEvents.length} runs with exactly ${
        whole(results.steps)
      } messages, all event_ids distinct, every (task, step) with its event).`,
  );
  const unfinished = all.filter((run) => !run.finished).length;
  lines.push(
    `- ${unfinished === 0 ? "PASS" : "FAIL"}: ${all.length - unfinished} of ${all.length} runs ` +
      `completed every workflow with every event in PGMQ before the deadline.`,
  );
  for (const run of all.filter((r) => !runOk(r, results.steps) || r.runs.rerunSteps > 0)) {
    lines.push(`\nRound ${run.round}, ${run.processes} process(es):`);
    for (const detail of [...run.runs.details, ...run.events.details]) lines.push(`  ${detail}`);
  }
  return lines.join("\n");
}
