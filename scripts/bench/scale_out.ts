/**
 * Scale-out check: do 1, 2 and 4 deno-tasker worker PROCESSES sharing one PostgreSQL database
 * go faster together, and do they stay correct? In a throwaway database on the server named by
 * `DATABASE_URL` (created here, dropped at the end), each run submits 2,000 workflows of a 4-step
 * linear chain of trivial handlers, each step declaring one `durable` event, then starts N worker
 * processes (`scale_out/child.ts`, each its own `deno run`, `Tasker.open({ database: { url },
 * concurrency })`) that open first and start their workers together. A run starts at the first
 * handler call in any process and ends when the driver, polling every 10 ms, sees every task
 * complete and every event in PGMQ.
 *
 * Every run is then checked: each handler call was logged (step, attempt, process, start and
 * end) and no step may have run twice with overlapping calls; the `scale_domain_events` queue
 * table must hold exactly one event per step, with distinct `event_id`s. A failed check prints
 * FAIL with the steps concerned and makes the process exit non-zero.
 *
 *   deno task bench scale [--quick] [--tasks 2000] [--rounds 3] [--concurrency 100]
 *                         [--processes 1,2,4]
 *
 * @module
 */

import { type Database, openDatabase } from "../../src/durable/mod.ts";
import { checkEvents, checkRuns } from "./scale_out/checks.ts";
import { busyShare, type CpuTicks } from "./scale_out/cpu.ts";
import type { WorkerLog } from "./scale_out/child.ts";
import { ScaleProcess } from "./scale_out/process.ts";
import {
  formatScale,
  percent,
  runOk,
  type ScaleResults,
  type ScaleRun,
} from "./scale_out/report.ts";
import { epochMs, EVENTS_TABLE, SCALE_STEPS } from "./scale_out/workload.ts";

/** Options of {@link run}. */
export interface ScaleOptions {
  /** Workflows per run. Default 2,000. */
  tasks?: number;
  /** Interleaved rounds (1, 2, 4 processes, then again). Default 3. */
  rounds?: number;
  /** Steps in flight per worker process. Default 100. */
  concurrency?: number;
  /** Worker process counts. Default 1, 2, 4. */
  processes?: number[];
}

const POLL_MS = 10;
const RUN_DEADLINE_MS = 300_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Set by Ctrl-C: no new run starts, the database is dropped. */
let interrupted = false;

function checkInterrupted(): void {
  if (interrupted) throw new Error("scale: interrupted");
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

const CLEAN_SQL = [
  "TRUNCATE tasker.tasks, tasker.steps, tasker.step_events CASCADE",
  `DO $$ DECLARE q record; BEGIN
    FOR q IN SELECT queue_name FROM pgmq.list_queues() LOOP
      EXECUTE format('TRUNCATE pgmq.%I, pgmq.%I', 'q_' || q.queue_name, 'a_' || q.queue_name);
    END LOOP; END $$`,
];

const REMAINING_SQL = `SELECT ((SELECT count(*) FROM tasker.tasks WHERE state <> 'complete') +
  greatest(0, $1::int - (SELECT count(*) FROM ${EVENTS_TABLE})))::int AS n`;

async function child(role: string, args: Record<string, unknown>, url: string, ms: number) {
  checkInterrupted();
  const process = new ScaleProcess(role, args, url);
  await process.finished(ms);
  return process;
}

/** One run: `processes` workers share `tasks` freshly submitted workflows; then the checks. */
async function measure(
  db: Database,
  url: string,
  logDir: string,
  sampler: ScaleProcess,
  options: { tasks: number; processes: number; concurrency: number; round: number },
): Promise<ScaleRun> {
  const { tasks, processes, concurrency, round } = options;
  const steps = tasks * SCALE_STEPS;
  for (const sql of CLEAN_SQL) await db.query(sql);
  await child("submit", { count: tasks }, url, 300_000);
  const logPaths = Array.from(
    { length: processes },
    (_, i) => `${logDir}/r${round}_n${processes}_p${i + 1}.json`,
  );
  const workers = logPaths.map((logPath, i) =>
    new ScaleProcess("worker", { process: i + 1, concurrency, logPath }, url, `worker ${i + 1}`)
  );
  let ended = 0;
  let finished = false;
  let cpuBefore: CpuTicks | undefined;
  let cpuAfter: CpuTicks | undefined;
  let workerCpuMs = 0;
  let wentAt = 0;
  const sample = async () =>
    (await sampler.request("sample", "ticks", 10_000) ?? undefined) as CpuTicks | undefined;
  try {
    await Promise.all(workers.map((worker) => worker.waitFor("ready", 120_000)));
    cpuBefore = await sample();
    wentAt = epochMs();
    await Promise.all(workers.map((worker) => worker.send("go")));
    const deadline = performance.now() + RUN_DEADLINE_MS;
    for (;;) {
      const rows = await db.query<{ n: number }>(REMAINING_SQL, [steps]);
      if (rows[0]!.n === 0) {
        ended = epochMs();
        const [ticks, ...cpu] = await Promise.all([
          sample(),
          ...workers.map((worker) => worker.request("cpu", "cpu_ms", 10_000)),
        ]);
        cpuAfter = ticks as CpuTicks | undefined;
        workerCpuMs = cpu.reduce((total: number, ms) => total + Number(ms), 0);
        finished = true;
        break;
      }
      for (const worker of workers) worker.assertRunning();
      checkInterrupted();
      // A run that never completes is a finding (a lost step or event): stop and check it.
      if (performance.now() > deadline) break;
      await sleep(POLL_MS);
    }
    await Promise.all(workers.map((worker) => worker.stop()));
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.kill()));
    throw error;
  }
  const firsts = workers.map((worker) => worker.message("first")).filter((v) => v !== undefined);
  // No handler call at all (a run that never started) times its check details from "go".
  const first = firsts.length > 0 ? Math.min(...firsts.map(Number)) : wentAt;
  const logs = await Promise.all(
    logPaths.map(async (path) => JSON.parse(await Deno.readTextFile(path)) as WorkerLog),
  );
  const stepRows = await db.query<{ step_uuid: string }>(
    "SELECT step_uuid::text AS step_uuid FROM tasker.steps",
  );
  const stat = (key: string) => logs.reduce((total, log) => total + Number(log.stats[key] ?? 0), 0);
  return {
    round,
    processes,
    stepsPerSecond: finished ? Math.round(steps / ((ended - first) / 1000)) : 0,
    finished,
    callsPerProcess: logs.map((log) => log.runs.length),
    meanGroup: stat("commit_groups") > 0 ? stat("processed") / stat("commit_groups") : 0,
    lostClaims: stat("lost_claims"),
    cpuBusy: busyShare(cpuBefore, cpuAfter),
    workerCores: finished ? workerCpuMs / (ended - wentAt) : undefined,
    runs: checkRuns(logs, stepRows.map((row) => row.step_uuid), first),
    events: await checkEvents(db),
  };
}

async function serverFacts(admin: Database): Promise<string> {
  const rows = await admin.query<{ version: string; fsync: string; sync: string }>(
    "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, " +
      "current_setting('synchronous_commit') AS sync",
  );
  const row = rows[0]!;
  return `PostgreSQL ${row.version}, fsync ${row.fsync}, synchronous_commit ${row.sync}`;
}

async function loadAverage(url: string): Promise<string> {
  const process = await child("loadavg", {}, url, 60_000);
  return String(process.message("loadavg"));
}

/** Runs the benchmark, prints its report and returns the figures; a failed check sets exit 1. */
export async function run(options: ScaleOptions = {}): Promise<ScaleResults | undefined> {
  const base = Deno.env.get("DATABASE_URL");
  if (!base) {
    console.log("(DATABASE_URL not set: the scale-out benchmark needs a PostgreSQL server)");
    return undefined;
  }
  const tasks = options.tasks ?? 2000;
  const rounds = options.rounds ?? 3;
  const concurrency = options.concurrency ?? 100;
  const counts = options.processes ?? [1, 2, 4];
  await using admin = await openDatabase({ url: base, poolSize: 1, migrate: false });
  const results: ScaleResults = {
    workflows: tasks,
    steps: tasks * SCALE_STEPS,
    concurrency,
    rounds,
    server: await serverFacts(admin),
    cores: navigator.hardwareConcurrency,
    loadBefore: await loadAverage(base),
    loadAfter: "",
    runs: [],
  };
  console.error(results.server);
  const name = `scale_${crypto.randomUUID().slice(0, 8)}`;
  const logDir = await Deno.makeTempDir({ prefix: "tasker-scale-" });
  let db: Database | undefined;
  // One long-lived CPU sampler, so no process starts inside a measured window to sample.
  const sampler = new ScaleProcess("cpu", {}, base);
  let created = false;
  // Ctrl-C also stops the children (same process group); the driver stays to drop the database.
  const onInterrupt = () => interrupted = true;
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    created = true;
    console.error(`created database ${name} (dropped at the end)`);
    const url = databaseUrl(base, name);
    await child("setup", {}, url, 180_000);
    db = await openDatabase({ url, poolSize: 1, migrate: false });
    for (let round = 1; round <= rounds; round++) {
      for (const processes of counts) {
        const result = await measure(db, url, logDir, sampler, {
          tasks,
          processes,
          concurrency,
          round,
        });
        results.runs.push(result);
        console.error(
          `round ${round}, ${processes} process(es): ${result.stepsPerSecond} steps/s, calls ${
            result.callsPerProcess.join("/")
          }, CPU busy ${percent(result.cpuBusy)} (workers ${
            result.workerCores?.toFixed(2) ?? "?"
          } cores), overlapping ${result.runs.overlapping}, run twice ${result.runs.rerunSteps}, ` +
            `events ${result.events.messages} (lost ${result.events.lost}, duplicated ${result.events.duplicated})` +
            `${runOk(result, results.steps) ? "" : " — CHECK FAILED"}`,
        );
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await db?.close();
    await sampler.stop();
    if (created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await Deno.remove(logDir, { recursive: true });
    if (interrupted) console.error(`interrupted; dropped ${name}`);
  }
  results.loadAfter = await loadAverage(base);
  console.log(formatScale(results));
  if (results.runs.some((result) => !runOk(result, results.steps))) Deno.exitCode = 1;
  return results;
}

/**
 * Reads `--quick` (300 workflows, 1 round), `--tasks N`, `--rounds N`, `--concurrency N` and
 * `--processes 1,2,4`.
 */
export function parseScaleArgs(args: string[]): ScaleOptions {
  const positive = (name: string, text: string | undefined): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const number = (name: string): number | undefined => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? undefined : positive(name, args[i + 1]);
  };
  const quick = args.includes("--quick");
  const i = args.indexOf("--processes");
  const processes = i === -1
    ? undefined
    : (args[i + 1] ?? "").split(",").map((text) => positive("processes", text));
  return {
    tasks: number("tasks") ?? (quick ? 300 : undefined),
    rounds: number("rounds") ?? (quick ? 1 : undefined),
    concurrency: number("concurrency"),
    processes,
  };
}

if (import.meta.main) await run(parseScaleArgs(Deno.args));
