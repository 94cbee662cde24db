// Graceful shutdown never fails a healthy step, and always ends: past the deadline a step whose
// handler gives up is released (claim cleared, message visible at once, attempt not consumed),
// a handler that never settles is abandoned after a short grace with its claim released, and
// `tasker worker` then exits with code 3 saying how many it abandoned.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseTemplate } from "../../src/template/load.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { Tasker } from "../../src/tasker.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { HANG_TEMPLATE } from "../fixtures/hanging_handlers.ts";
import { openTasker, parseTemplateIn } from "../worker/_engine.ts";
import { type ProcessTarget, processTest } from "../_process_targets.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

const once = (namespace: string) =>
  parseTemplateIn(
    `
name: once
namespace_name: x
version: 1.0.0
steps:
  - name: step
    handler: { callable: test.step }
    retry: { max_attempts: 1 }
`,
    namespace,
  );

/** Every step of the namespace: state, attempts and error. */
async function steps(tasker: Tasker, namespace: string) {
  return await tasker.db.query<{ state: string; attempts: number; error: unknown }>(
    `SELECT s.state, s.attempts, s.error FROM tasker.steps s
       JOIN tasker.tasks t USING (task_uuid) WHERE t.namespace = $1`,
    [namespace],
  );
}

dbTest(
  "steps interrupted by shutdown are released, not failed, and run again at once",
  async (db) => {
    const template = once(uniqueName("release"));
    const namespace = template.namespace_name;
    let running = 0;
    const cooperative = new HandlerRegistry().register("test.step", async (ctx) => {
      running++;
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      throw ctx.signal.reason; // what a handler using fetch(..., { signal }) does
    });
    // A lease far longer than the test: only a released message can run again in time.
    const first = await openTasker(db, [template], { handlers: cooperative, leaseSeconds: 600 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await first.submit({ namespace, name: "once", context: {} })).task_uuid);
    }
    while (running < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.close({ deadlineMs: 50 });
    assert.equal(first.stats().released, 5);
    assert.equal(first.stats().failed, 0);
    const left = await db.query<{ state: string; attempts: number; error: unknown }>(
      `SELECT s.state, s.attempts, s.error FROM tasker.steps s
       JOIN tasker.tasks t USING (task_uuid) WHERE t.namespace = $1`,
      [namespace],
    );
    assert.deepEqual(left, ids.map(() => ({ state: "enqueued", attempts: 0, error: null })));

    const handlers = new HandlerRegistry().register(
      "test.step",
      (ctx) => success(ctx.step.attempts),
    );
    await using second = await openTasker(db, [template], { handlers, leaseSeconds: 600 });
    for (const id of ids) {
      const done = await second.waitFor(id, { timeoutMs: 20_000 });
      assert.equal(done.status, "complete");
      assert.equal(done.steps.step!.result, 1, "the interrupted attempt was handed back");
    }
  },
);

dbTest(
  "a handler that never settles is abandoned after the grace period; close() ends",
  async (db) => {
    const template = once(uniqueName("abandon"));
    const namespace = template.namespace_name;
    let started = false;
    const hanging = new HandlerRegistry().register("test.step", () => {
      started = true;
      return new Promise(() => {});
    });
    const first = await openTasker(db, [template], {
      handlers: hanging,
      leaseSeconds: 600,
      shutdownGraceMs: 100,
    });
    const task = await first.submit({ namespace, name: "once", context: {} });
    while (!started) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.close({ deadlineMs: 50 });
    assert.equal(first.stats().abandoned, 1);
    const [left] = await db.query<{ state: string; attempts: number }>(
      "SELECT state, attempts FROM tasker.steps WHERE task_uuid = $1::uuid",
      [task.task_uuid],
    );
    assert.deepEqual(left, { state: "enqueued", attempts: 0 });
    const handlers = new HandlerRegistry().register("test.step", () => success("ran"));
    await using second = await openTasker(db, [template], { handlers, leaseSeconds: 600 });
    assert.equal((await second.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
  },
);

async function abandonScenario(target: ProcessTarget): Promise<void> {
  const namespace = uniqueName("hang");
  const yaml = HANG_TEMPLATE.replace("NAMESPACE", namespace);
  const templates = TemplateRegistry.fromTemplates([parseTemplate(yaml)]);
  const dir = await Deno.makeTempDir({ prefix: "tasker-hang-" });
  try {
    await Deno.writeTextFile(`${dir}/hang.yaml`, yaml);
    const open = () => Tasker.open({ templates, database: target.database, startWorker: false });
    const submitter = await open();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        ids.push((await submitter.submit({ namespace, name: "hang", context: {} })).task_uuid);
      }
    } finally {
      await submitter.close();
    }
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1,localhost",
        "src/cli/main.ts",
        "worker",
        "--templates",
        dir,
        "--handlers",
        "tests/fixtures/hanging_handlers.ts",
        "--lease",
        "600",
        "--deadline",
        "200",
        "--no-http",
      ],
      cwd: root,
      env: target.env,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let log = "";
    const reading = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log += chunk;
    })();
    while ((log.match(/hang-fixture start/g) ?? []).length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGTERM");
    const status = await child.status;
    await reading;
    assert.equal(status.code, 3, `expected exit 3:\n${log}`);
    assert.match(log, /abandoned 2 step handler\(s\)/);

    const tasker = await open();
    try {
      const left = await steps(tasker, namespace);
      assert.deepEqual(left, [
        { state: "enqueued", attempts: 0, error: null },
        { state: "enqueued", attempts: 0, error: null },
      ]);
    } finally {
      await tasker.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

processTest("tasker worker exits 3 after abandoning handlers that never settle", abandonScenario);
