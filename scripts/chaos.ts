/**
 * `deno task chaos`: the domain-events example under faults, on PostgreSQL, measured.
 *
 *   export $(bash scripts/pg-up.sh)      # DATABASE_URL of a server with PGMQ
 *   deno task chaos [--tasks N] [--only a,b,c,d] [--keep-logs]
 *
 * Scenarios, each on a database of its own (a throwaway `CREATE DATABASE` on the server, or for
 * (b) a cluster the script starts itself), with real `tasker worker` processes:
 *   (a) SIGKILL of a worker at random moments, three times, each replaced at once;
 *   (b) `pg_ctl stop -m immediate` of the script's own cluster, then a restart, twice;
 *   (c) SIGTERM mid-run while long steps (3 s) run, with a 1 s `--deadline`, twice;
 *   (d) two workers with a lease (2 s) shorter than their steps (5 s).
 * Then it prints one table: tasks complete, steps whose handler ran twice at the same time,
 * durable events missing from PGMQ or written twice, steps past `max_attempts`, and the time from
 * the last fault until every task was final. Every count that must be zero says so (✓ or ✗),
 * and the exit code is 1 when one is not. It is not part of `deno task test`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Database } from "../src/durable/db/database.ts";
import { openPostgres } from "../src/durable/db/postgres.ts";
import { Tasker } from "../src/tasker.ts";
import { startOwnCluster } from "./chaos/cluster.ts";
import { RUNS_TABLE } from "./chaos/handlers.ts";
import { measure, owedEvents, type ScenarioCounts, taskStates } from "./chaos/measure.ts";
import { WorkerPool, type WorkerSettings } from "./chaos/workers.ts";

const TEMPLATES = new URL("../templates/domain_events/", import.meta.url);

interface Scenario {
  key: string;
  title: string;
  tasks: number;
  workers: number;
  settings: Pick<WorkerSettings, "stepMs" | "leaseSeconds" | "deadlineMs" | "concurrency">;
  ownCluster?: boolean;
  /** Injects the faults; returns when the last one happened (undefined: none). */
  faults(run: FaultContext): Promise<number | undefined>;
}

/** What a scenario's faults act on. */
interface FaultContext {
  pool: WorkerPool;
  cluster: { crash(): Promise<void>; start(): Promise<void> } | undefined;
  /** Resolves once this fraction of the tasks is final, so every fault lands mid-run. */
  progress(fraction: number): Promise<void>;
}

interface Outcome {
  scenario: Scenario;
  counts: ScenarioCounts;
  /** From the last fault (or, with none, the start) until every task was final. */
  recoverSeconds: number | null;
  /** Whether the scenario injected a fault (else the time is the whole run's). */
  faulted: boolean;
  finished: boolean;
  unexpectedExits: number[];
  crashes: number;
  terminations: { code: number; ms: number }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

function scenarios(tasks: number): Scenario[] {
  return [
    {
      key: "a",
      title: "SIGKILL",
      tasks,
      workers: 1,
      settings: { stepMs: 100, leaseSeconds: 5, deadlineMs: 5_000, concurrency: 10 },
      async faults({ pool, progress }) {
        let last = 0;
        for (const at of [0.2, 0.45, 0.7]) {
          await progress(between(at - 0.05, at + 0.05));
          await pool.kill(pool.any());
          last = performance.now();
        }
        return last;
      },
    },
    {
      key: "b",
      title: "pg crash",
      tasks,
      workers: 1,
      ownCluster: true,
      settings: { stepMs: 100, leaseSeconds: 5, deadlineMs: 5_000, concurrency: 10 },
      async faults({ cluster, progress }) {
        let last = 0;
        for (const at of [0.3, 0.65]) {
          await progress(between(at - 0.05, at + 0.05));
          await cluster!.crash();
          await sleep(2_000);
          await cluster!.start();
          last = performance.now();
        }
        return last;
      },
    },
    {
      key: "c",
      title: "SIGTERM",
      tasks: Math.max(10, Math.round(tasks / 4)),
      workers: 1,
      settings: { stepMs: 3_000, leaseSeconds: 30, deadlineMs: 1_000, concurrency: 10 },
      async faults({ pool, progress }) {
        let last = 0;
        for (const at of [0.25, 0.6]) {
          await progress(between(at - 0.05, at + 0.05));
          // Mid-step: the steps take 3 s, so some are always running.
          await sleep(between(500, 2_500));
          await pool.terminate(pool.any(), 20_000);
          last = performance.now();
        }
        return last;
      },
    },
    {
      key: "d",
      title: "short lease",
      tasks: Math.max(10, Math.round(tasks / 8)),
      workers: 2,
      settings: { stepMs: 5_000, leaseSeconds: 2, deadlineMs: 5_000, concurrency: 10 },
      faults: () => Promise.resolve(undefined),
    },
  ];
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // the database may be restarting
    }
    await sleep(250);
  }
  return false;
}

async function submitAll(url: string, count: number): Promise<void> {
  await using submitter = await Tasker.open({
    templates: decodeURIComponent(TEMPLATES.pathname),
    database: { url, poolSize: 2, writerPoolSize: 1 },
    startWorker: false,
  });
  for (let i = 0; i < count; i++) {
    await submitter.submit({
      namespace: "domain_events",
      name: "domain_event_publishing",
      context: { order_id: `ORD-${i}`, customer_id: `CUST-${i % 17}`, amount: 10 + i },
    });
  }
}

async function runScenario(
  scenario: Scenario,
  admin: Database,
  serverUrl: string,
  runsUrl: string,
  runs: Database,
  logDir: string,
): Promise<Outcome> {
  const cluster = scenario.ownCluster ? await startOwnCluster() : undefined;
  const dbName = `chaos_${crypto.randomUUID().slice(0, 8)}_${scenario.key}`;
  let engineUrl: string;
  if (cluster) {
    engineUrl = cluster.url;
  } else {
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    engineUrl = url.href;
  }
  try {
    await submitAll(engineUrl, scenario.tasks);
    const pool = new WorkerPool({
      ...scenario.settings,
      engineUrl,
      runsUrl,
      scenario: `${dbName}`,
      recoveryMs: 2_000,
      logDir,
    }, scenario.workers);
    const started = performance.now();
    const engine = await openPostgres({ url: engineUrl, poolSize: 1 });
    try {
      const progress = async (fraction: number) => {
        await waitUntil(async () => {
          const states = await taskStates(engine);
          return pool.broken || states.total - states.open >= fraction * states.total;
        }, 180_000);
      };
      const lastFault = await scenario.faults({ pool, cluster, progress });
      const finished = await waitUntil(
        async () => pool.broken || (await taskStates(engine)).open === 0,
        180_000,
      ) && !pool.broken;
      const doneAt = performance.now();
      await waitUntil(async () => (await owedEvents(engine)) === 0, 30_000);
      await pool.stop(20_000);
      const counts = await measure(engine, runs, dbName, pool.ends);
      return {
        scenario,
        counts,
        finished,
        recoverSeconds: finished ? Math.round((doneAt - (lastFault ?? started)) / 100) / 10 : null,
        faulted: lastFault !== undefined,
        unexpectedExits: pool.unexpectedExits,
        crashes: await pool.crashes(),
        terminations: pool.terminations,
      };
    } finally {
      await pool.stop(20_000);
      await engine.close();
    }
  } finally {
    if (cluster) await cluster.destroy();
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

function zero(n: number): string {
  return n === 0 ? "0 ✓" : `${n} ✗`;
}

function table(outcomes: readonly Outcome[]): { text: string; ok: boolean } {
  let ok = true;
  const check = (n: number) => {
    if (n !== 0) ok = false;
    return zero(n);
  };
  const rows: [string, string, (o: Outcome) => string][] = [
    ["tasks complete", "all", (o) => {
      const all = o.counts.complete === o.counts.tasks;
      if (!all) ok = false;
      return `${o.counts.complete}/${o.counts.tasks} ${all ? "✓" : "✗"}`;
    }],
    ["steps run twice at the same time", "0", (o) => check(o.counts.concurrentRuns)],
    [
      "durable events missing",
      "0",
      (o) => `${check(o.counts.eventsMissing)} of ${o.counts.eventsFired}`,
    ],
    ["durable events duplicated", "0", (o) => check(o.counts.eventsDuplicated)],
    ["attempts over max", "0", (o) => check(o.counts.attemptsOverMax)],
    [
      "time to recover (s)",
      "",
      (o) => {
        if (o.recoverSeconds === null) {
          ok = false;
          return "not recovered ✗";
        }
        return o.faulted ? String(o.recoverSeconds) : `${o.recoverSeconds} (whole run)`;
      },
    ],
    ["steps re-run (not at once)", "", (o) => String(o.counts.rerunSteps)],
    ["tasks in error", "", (o) => String(o.counts.error)],
    [
      "SIGTERM exit codes (ms)",
      "",
      (o) => o.terminations.map((t) => `${t.code} (${t.ms})`).join(", ") || "-",
    ],
    [
      "worker exits replaced (codes)",
      "",
      (o) => o.unexpectedExits.length === 0 ? "0" : o.unexpectedExits.join(", "),
    ],
    ["workers crashed (uncaught error)", "0", (o) => check(o.crashes)],
  ];
  const header = ["", "must be", ...outcomes.map((o) => `(${o.scenario.key}) ${o.scenario.title}`)];
  const body = rows.map(([name, must, cell]) => [name, must, ...outcomes.map(cell)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => [...r[i]!].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c + " ".repeat(widths[i]! - [...c].length)).join(" | ")} |`;
  const text = [
    line(header),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...body.map(line),
  ].join("\n");
  return { text, ok };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      tasks: { type: "string", default: "120" },
      only: { type: "string", default: "a,b,c,d" },
      "keep-logs": { type: "boolean", default: false },
    },
  });
  const serverUrl = Deno.env.get("DATABASE_URL");
  if (!serverUrl) {
    console.error("chaos: set DATABASE_URL to a PostgreSQL server with PGMQ (scripts/pg-up.sh)");
    return 2;
  }
  const tasks = Number(values.tasks);
  if (!Number.isSafeInteger(tasks) || tasks < 1) {
    console.error(`chaos: --tasks must be a positive integer, got ${values.tasks}`);
    return 2;
  }
  const only = new Set(values.only.split(",").map((s) => s.trim()));
  const chosen = scenarios(tasks).filter((s) => only.has(s.key));
  const logDir = await Deno.makeTempDir({ prefix: "tasker-chaos-logs-" });
  const admin = await openPostgres({ url: serverUrl, poolSize: 1 });
  const runsName = `chaos_${crypto.randomUUID().slice(0, 8)}_runs`;
  await admin.query(`CREATE DATABASE ${runsName}`);
  const runsUrl = new URL(serverUrl);
  runsUrl.pathname = `/${runsName}`;
  const runs = await openPostgres({ url: runsUrl.href, poolSize: 2 });
  const outcomes: Outcome[] = [];
  try {
    await runs.query(RUNS_TABLE);
    for (const scenario of chosen) {
      console.error(`chaos: (${scenario.key}) ${scenario.title}: ${scenario.tasks} tasks ...`);
      outcomes.push(await runScenario(scenario, admin, serverUrl, runsUrl.href, runs, logDir));
    }
  } finally {
    await runs.close();
    await admin.query(`DROP DATABASE IF EXISTS ${runsName} WITH (FORCE)`);
    await admin.close();
  }
  const { text, ok } = table(outcomes);
  console.log(text);
  if (values["keep-logs"] || !ok) console.error(`chaos: worker logs in ${logDir}`);
  else await Deno.remove(logDir, { recursive: true });
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
