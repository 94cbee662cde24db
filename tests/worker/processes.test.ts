// Worker processes on a real PostgreSQL server (DATABASE_URL): two processes sharing 200 tasks
// with no step run twice, and a worker killed with SIGKILL mid-run then restarted: every task
// completes and every durable event a committed step owed ends up in its queue.
// Embedded PGlite is one process by design, so these run only against a server.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openPostgres } from "../../src/durable/db/postgres.ts";
import { migrate } from "../../src/durable/db/migrate.ts";
import type { Database } from "../../src/durable/db/database.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { submitTask } from "../../src/worker/submit.ts";
import { taskerMigrations } from "../../src/worker/engine_migrations.ts";
import { postgresUrl, uniqueName } from "../_db.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const url = postgresUrl();

/** Writes `template` (a path under templates/) into a temp dir under a fresh namespace. */
async function isolatedTemplates(path: string, prefix: string) {
  const namespace = uniqueName(prefix);
  const dir = await Deno.makeTempDir({ prefix: "tasker-proc-" });
  const text = await Deno.readTextFile(`${repo}templates/${path}`);
  await Deno.writeTextFile(
    `${dir}/template.yaml`,
    text.replace(/^namespace_name: .*$/m, `namespace_name: ${namespace}`),
  );
  return { namespace, dir, registry: await TemplateRegistry.fromDir(dir) };
}

function spawnWorker(templatesDir: string, log: string, extra: string[] = [], delayMs = 0) {
  return new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      `${repo}src/cli/main.ts`,
      "worker",
      "--templates",
      templatesDir,
      "--handlers",
      `${repo}tests/fixtures/counting_handlers.ts`,
      "--concurrency",
      "10",
      "--lease",
      "2",
      "--port",
      "0",
      ...extra,
    ],
    env: {
      DATABASE_URL: url!,
      TASKER_TEST_RUN_LOG: log,
      TASKER_TEST_STEP_DELAY_MS: String(delayMs),
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function count(db: Database, sql: string, params: unknown[]): Promise<number> {
  return (await db.query<{ n: number }>(sql, params))[0]!.n;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

function runsIn(text: string): string[] {
  return text.split("\n").filter(Boolean).map((line) => line.split(" ")[0]!);
}

Deno.test({
  name: "two worker processes share 200 tasks and never run a step twice [postgres]",
  ignore: url === undefined,
  async fn() {
    const db = await openPostgres({ url: url!, poolSize: 4 });
    const { namespace, dir, registry } = await isolatedTemplates(
      "linear_workflow/mathematical_sequence.yaml",
      "procs",
    );
    try {
      await migrate(db, taskerMigrations);
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const task = await submitTask(db, registry, {
          namespace,
          name: "mathematical_sequence",
          context: { even_number: 2 + 2 * (i % 50) },
        });
        ids.push(task.task_uuid);
      }
      const logs = [`${dir}/a.log`, `${dir}/b.log`];
      const workers = logs.map((log) => spawnWorker(dir, log, [], 2));
      try {
        await until("200 tasks", async () =>
          await count(
            db,
            "SELECT count(*)::int AS n FROM tasker.tasks WHERE task_uuid = ANY($1::uuid[]) AND state = 'complete'",
            [ids],
          ) === 200);
      } finally {
        for (const worker of workers) {
          const { code, stderr } = await stop(worker);
          assert.equal(code, 0, `worker exited ${code}: ${stderr}`);
        }
      }
      const [a, b] = await Promise.all(logs.map((log) => Deno.readTextFile(log).catch(() => "")));
      const runs = [...runsIn(a!), ...runsIn(b!)];
      assert.equal(runs.length, 800, "4 steps × 200 tasks, each run once");
      assert.equal(new Set(runs).size, 800, "no step ran twice");
      assert.ok(runsIn(a!).length > 0 && runsIn(b!).length > 0, "both processes did work");
      const results = await db.query<{ result: number; even: number }>(
        `SELECT s.result::int AS result, (t.context->>'even_number')::int AS even
           FROM tasker.steps s JOIN tasker.tasks t USING (task_uuid)
          WHERE t.task_uuid = ANY($1::uuid[]) AND s.name = 'linear_step_4'`,
        [ids],
      );
      for (const { result, even } of results) assert.equal(result, ((even * even + 10) * 3) / 2);
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a worker killed with SIGKILL mid-run is replaced and nothing owed is lost [postgres]",
  ignore: url === undefined,
  async fn() {
    const db = await openPostgres({ url: url!, poolSize: 4 });
    const { namespace, dir, registry } = await isolatedTemplates(
      "domain_events/domain_event_publishing.yaml",
      "kill",
    );
    try {
      await migrate(db, taskerMigrations);
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const task = await submitTask(db, registry, {
          namespace,
          name: "domain_event_publishing",
          context: { order_id: `ORD-${i}`, customer_id: "C-1", amount: 10 + i },
        });
        ids.push(task.task_uuid);
      }
      const doneSteps = () =>
        count(
          db,
          "SELECT count(*)::int AS n FROM tasker.steps WHERE task_uuid = ANY($1::uuid[]) AND state = 'complete'",
          [ids],
        );
      const first = spawnWorker(dir, `${dir}/first.log`, ["--recovery-ms", "500"], 20);
      await until("the first worker to make progress", async () => (await doneSteps()) >= 40);
      first.kill("SIGKILL");
      const killed = await first.output();
      assert.notEqual(killed.code, 0);
      const before = await doneSteps();
      assert.ok(before < 240, "killed mid-run");

      const second = spawnWorker(dir, `${dir}/second.log`, ["--recovery-ms", "500"]);
      try {
        await until("every task", async () =>
          await count(
            db,
            "SELECT count(*)::int AS n FROM tasker.tasks WHERE task_uuid = ANY($1::uuid[]) AND state = 'complete'",
            [ids],
          ) === 60);
        await until("no owed events", async () =>
          await count(
            db,
            "SELECT count(*)::int AS n FROM tasker.step_events WHERE task_uuid = ANY($1::uuid[]) AND sent_at IS NULL",
            [ids],
          ) === 0);
      } finally {
        const { code, stderr } = await stop(second);
        assert.equal(code, 0, `replacement worker exited ${code}: ${stderr}`);
      }
      const missing = await count(
        db,
        `SELECT count(*)::int AS n FROM tasker.step_events e
          WHERE e.task_uuid = ANY($1::uuid[]) AND e.delivery_mode <> 'fast'
            AND NOT EXISTS (SELECT 1 FROM pgmq."q_${namespace}_domain_events" q
                             WHERE q.message->>'event_id' = e.event_id::text)`,
        [ids],
      );
      assert.equal(missing, 0, "every durable event a committed step owed is in its queue");
      const owed = await count(
        db,
        "SELECT count(*)::int AS n FROM tasker.step_events WHERE task_uuid = ANY($1::uuid[]) AND delivery_mode <> 'fast'",
        [ids],
      );
      assert.equal(
        owed,
        60 * 3,
        "payment.processed, inventory.updated, notification.sent per task",
      );
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two worker processes with a 2 s lease and 7 s steps run every step exactly once [postgres]",
  ignore: url === undefined,
  async fn() {
    const db = await openPostgres({ url: url!, poolSize: 4 });
    const { namespace, dir, registry } = await isolatedTemplates(
      "linear_workflow/mathematical_sequence.yaml",
      "leases",
    );
    try {
      await migrate(db, taskerMigrations);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const task = await submitTask(db, registry, {
          namespace,
          name: "mathematical_sequence",
          context: { even_number: 2 + 2 * i },
        });
        ids.push(task.task_uuid);
      }
      // --lease 2 (spawnWorker's), each step 7 s: a step outlives its lease three times over.
      const logs = [`${dir}/a.log`, `${dir}/b.log`];
      const workers = logs.map((log) => spawnWorker(dir, log, [], 7_000));
      try {
        await until("6 tasks of four 7 s steps", async () =>
          await count(
            db,
            "SELECT count(*)::int AS n FROM tasker.tasks WHERE task_uuid = ANY($1::uuid[]) AND state = 'complete'",
            [ids],
          ) === 6, 120_000);
      } finally {
        for (const worker of workers) {
          const { code, stderr } = await stop(worker);
          assert.equal(code, 0, `worker exited ${code}: ${stderr}`);
        }
      }
      const [a, b] = await Promise.all(logs.map((log) => Deno.readTextFile(log).catch(() => "")));
      const runs = [...runsIn(a!), ...runsIn(b!)];
      assert.equal(runs.length, 24, "4 steps × 6 tasks, each handler run exactly once");
      assert.equal(new Set(runs).size, 24);
      const attempts = await db.query<{ attempts: number }>(
        "SELECT attempts FROM tasker.steps WHERE task_uuid = ANY($1::uuid[])",
        [ids],
      );
      assert.deepEqual(attempts.map((r) => r.attempts), attempts.map(() => 1));
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
