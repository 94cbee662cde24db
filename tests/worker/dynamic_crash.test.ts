// Crash safety of dynamic steps on a real PostgreSQL server (DATABASE_URL): a worker process
// SIGKILLed right after a decision's outcome committed, before any branch it created was claimed,
// loses nothing — the branches and the convergence were created, and their first steps queued,
// in the transaction that recorded the outcome, so a fresh worker finishes the task.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openPostgres } from "../../src/durable/db/postgres.ts";
import { migrate } from "../../src/durable/db/migrate.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { submitTask } from "../../src/worker/submit.ts";
import { Tasker } from "../../src/tasker.ts";
import { taskerMigrations } from "../../src/worker/engine_migrations.ts";
import { registerApproval } from "../fixtures/dynamic_handlers.ts";
import { postgresUrl, uniqueName } from "../_db.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const url = postgresUrl();

Deno.test({
  name:
    "SIGKILL right after a decision's commit, before its branches run, loses nothing [postgres]",
  ignore: url === undefined,
  async fn() {
    const db = await openPostgres({ url: url!, poolSize: 2 });
    const namespace = uniqueName("crash");
    const dir = await Deno.makeTempDir({ prefix: "tasker-crash-" });
    try {
      const text = await Deno.readTextFile(
        `${repo}tests/fixtures/tasker_core_templates/tests/fixtures/task_templates/rust/conditional_approval_rust.yaml`,
      );
      await Deno.writeTextFile(
        `${dir}/approval.yaml`,
        text.replace(/^namespace_name: .*$/m, `namespace_name: ${namespace}`),
      );
      const templates = await TemplateRegistry.fromDir(dir);
      await migrate(db, taskerMigrations);
      const task = await submitTask(db, templates, {
        namespace,
        name: "approval_routing",
        context: { amount: 10000, requester: "a" },
      });
      const child = new Deno.Command("deno", {
        args: [
          "run",
          "--allow-read",
          "--allow-env",
          "--allow-net",
          "--allow-write",
          `${repo}tests/fixtures/decision_kill_child.ts`,
        ],
        env: { DATABASE_URL: url!, TASKER_TEST_TEMPLATES: dir },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const { code, signal } = await child.output();
      assert.notEqual(code, 0);
      assert.equal(signal, "SIGKILL", "the worker killed itself after the decision's commit");

      // What the dead worker left: the decision complete, its branches and the convergence
      // created, the branches queued — or already claimed by the dead worker, whose commit
      // claims its next steps in the same transaction (their lease then runs out first).
      const rows = await db.query<{ name: string; state: string; attempts: number }>(
        "SELECT name, state, attempts FROM tasker.steps WHERE task_uuid = $1::uuid ORDER BY name",
        [task.task_uuid],
      );
      const branch = (name: string) => {
        const row = rows.find((r) => r.name === name)!;
        assert.ok(
          (row.state === "enqueued" && row.attempts === 0) ||
            (row.state === "in_progress" && row.attempts === 1),
          `${name}: ${row.state}, attempt ${row.attempts}`,
        );
        return { name, state: "created", attempts: 0 };
      };
      assert.deepEqual(
        rows.map((r) =>
          r.name === "finance_review" || r.name === "manager_approval" ? branch(r.name) : r
        ),
        [
          { name: "finalize_approval", state: "pending", attempts: 0 },
          { name: "finance_review", state: "created", attempts: 0 },
          { name: "manager_approval", state: "created", attempts: 0 },
          { name: "routing_decision", state: "complete", attempts: 1 },
          { name: "validate_request", state: "complete", attempts: 1 },
        ],
      );
      const claimedByTheDead = rows.filter((r) => r.state === "in_progress").length;
      const [counts] = await db.query<{ step_count: number; queued: number }>(
        `SELECT t.step_count, (SELECT count(*)::int FROM pgmq."q_worker_${namespace}_queue") AS queued
           FROM tasker.tasks t WHERE t.task_uuid = $1::uuid`,
        [task.task_uuid],
      );
      assert.deepEqual(counts, { step_count: 5, queued: 2 });

      const handlers = new HandlerRegistry();
      registerApproval(handlers, templates.list()[0]!);
      await using tasker = await Tasker.open({
        templates,
        handlers,
        database: db,
        pollIntervalMs: 10,
      });
      const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
      assert.equal(done.status, "complete");
      assert.deepEqual(
        (done.steps.finalize_approval!.result as { approval_chain: string[] }).approval_chain,
        ["finance", "manager"],
      );
      // A branch the dead worker had claimed ran once, as its second attempt.
      const attempts = Object.values(done.steps).map((step) => step.attempts);
      assert.equal(attempts.filter((a) => a === 2).length, claimedByTheDead);
      assert.equal(attempts.filter((a) => a === 1).length, 5 - claimedByTheDead);
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
