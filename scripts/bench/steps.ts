/**
 * Step throughput: 500 concurrent linear tasks (2,000 steps) submitted up front, then completed
 * by one worker process. Measured on embedded PGlite, and on the PostgreSQL server named by
 * `DATABASE_URL` when set. The baseline in the same run is the same engine with concurrency 1,
 * where every step is claimed and recorded in a transaction of its own (no batching);
 * Tasker (tasker-core) aims at 1,000 steps/s.
 *
 *   deno run -A scripts/bench/steps.ts [--tasks 500] [--concurrency 200]
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { Tasker } from "../../src/tasker.ts";
import { registerExamples } from "../../templates/mod.ts";

const templatesDir = fileURLToPath(new URL("../../templates", import.meta.url));

/** One measured configuration. */
export interface StepsRow {
  /** `pglite` or `postgres`. */
  database: string;
  /** The worker's concurrency. */
  concurrency: number;
  /** Steps completed. */
  steps: number;
  /** Steps completed per second. */
  steps_per_s: number;
  /** Share of the run spent inside recording transactions. */
  transaction_share: number;
  /** Mean outcomes per recording transaction. */
  mean_group: number;
}

async function measure(
  database: "pglite" | "postgres",
  tasks: number,
  concurrency: number,
): Promise<StepsRow> {
  await using tasker = await Tasker.open({
    templates: templatesDir,
    database: database === "pglite" ? { embedded: true } : {},
    startWorker: false,
    concurrency,
    namespaces: ["linear_workflow"],
  });
  registerExamples(tasker.handlers, tasker.publishers);
  const ids: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const task = await tasker.submit({
      namespace: "linear_workflow",
      name: "mathematical_sequence",
      context: { even_number: 6 },
    });
    ids.push(task.task_uuid);
  }
  const started = performance.now();
  await tasker.start();
  for (;;) {
    const rows = await tasker.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasker.tasks WHERE task_uuid = ANY($1::uuid[]) AND state <> 'complete'",
      [ids],
    );
    if (rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsed = performance.now() - started;
  const stats = tasker.stats();
  return {
    database,
    concurrency,
    steps: stats.succeeded,
    steps_per_s: Math.round(stats.succeeded / (elapsed / 1000)),
    transaction_share: stats.commit_ms_total / elapsed,
    mean_group: stats.commit_groups === 0 ? 0 : stats.succeeded / stats.commit_groups,
  };
}

/** Runs the benchmark and prints a markdown table; returns the rows. */
export async function run(
  options: { tasks?: number; concurrency?: number } = {},
): Promise<StepsRow[]> {
  const tasks = options.tasks ?? 500;
  const concurrency = options.concurrency ?? 200;
  const databases: ("pglite" | "postgres")[] = ["pglite"];
  if (Deno.env.get("DATABASE_URL")) databases.push("postgres");
  else {console.log(
      "(DATABASE_URL not set: embedded PGlite only; start a server with scripts/pg-up.sh)",
    );}
  const rows: StepsRow[] = [];
  for (const database of databases) {
    rows.push(await measure(database, Math.min(tasks, 100), 1));
    rows.push(await measure(database, tasks, concurrency));
  }
  console.log(
    `\n### Steps: ${tasks} concurrent linear tasks (baseline: concurrency 1, 100 tasks)\n`,
  );
  console.log(
    "| database | concurrency | steps | steps/s | vs baseline | in step transaction | mean group |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const row of rows) {
    const baseline = rows.find((r) => r.database === row.database && r.concurrency === 1)!;
    console.log(
      `| ${row.database} | ${row.concurrency} | ${row.steps} | ${row.steps_per_s} | ${
        (row.steps_per_s / baseline.steps_per_s).toFixed(1)
      }× | ${(row.transaction_share * 100).toFixed(0)}% | ${row.mean_group.toFixed(1)} |`,
    );
  }
  for (const row of rows.filter((r) => r.concurrency !== 1)) {
    const target = row.database === "postgres" ? 2000 : 1000;
    console.log(
      `${
        row.steps_per_s >= target ? "PASS" : "FAIL"
      } ${row.database}: ${row.steps_per_s} steps/s (target ≥ ${target})`,
    );
  }
  return rows;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i === -1 ? undefined : Number(Deno.args[i + 1]);
  };
  await run({ tasks: arg("tasks"), concurrency: arg("concurrency") });
}
