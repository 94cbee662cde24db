// Template drift and unknown steps get an answer, not a stall: a worker without a task's
// template (another version, or the same version with other content) leaves its steps for a
// worker that has it, consuming no attempt and saying so once; when no worker takes them for the
// configured time, the task fails with a clear error.
import assert from "node:assert/strict";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { captureConsole } from "../_console.ts";
import { openTasker, parseTemplateIn } from "../worker/_engine.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const pair = (namespace: string, version: string, second = "second") =>
  parseTemplateIn(
    `
name: pair
namespace_name: x
version: ${version}
steps:
  - name: first
    handler: { callable: test.step }
  - name: ${second}
    handler: { callable: test.step }
    dependencies: [first]
`,
    namespace,
  );

const handlers = () => new HandlerRegistry().register("test.step", (ctx) => success(ctx.step.name));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stepRows(db: Parameters<Parameters<typeof dbTest>[1]>[0], task: string) {
  return await db.query<{ name: string; state: string; attempts: number }>(
    "SELECT name, state, attempts FROM tasker.steps WHERE task_uuid = $1::uuid ORDER BY position",
    [task],
  );
}

dbTest("a template changed without a version bump is refused; the original runs it", async (db) => {
  const namespace = uniqueName("drift");
  const original = pair(namespace, "1.0.0");
  const edited = pair(namespace, "1.0.0", "inserted"); // same name and version, other steps
  const submitter = await openTasker(db, [original], { handlers: handlers(), startWorker: false });
  await taskerEngine(submitter).worker.close();
  const task = await submitter.submit({ namespace, name: "pair", context: {} });
  await submitter.close();

  const logged = await captureConsole("error", async () => {
    // Lease 1 s: the message it reads and leaves is visible again a second later.
    await using drifted = await openTasker(db, [edited], { handlers: handlers(), leaseSeconds: 1 });
    while (drifted.stats().foreign_templates.length === 0) await sleep(20);
    await sleep(200); // several more polls: still only one message, still nothing run
    assert.deepEqual(drifted.stats().foreign_templates, [
      `template ${namespace}/pair@1.0.0 changed without a version bump: its tasks were created from content ${
        drifted.stats().foreign_templates[0]!.match(/content (\w+)/)![1]
      }, this worker loaded other content; their steps are left for a worker with the original`,
    ]);
    assert.deepEqual(await stepRows(db, task.task_uuid), [
      { name: "first", state: "enqueued", attempts: 0 },
      { name: "second", state: "pending", attempts: 0 },
    ]);
  });
  const said = logged.map((args) => args.join(" "));
  assert.equal(said.filter((l) => l.includes("changed without a version bump")).length, 1);
  // The task's message was only hidden by the read, not consumed: a worker with the original runs it.
  await using right = await openTasker(db, [original], { handlers: handlers(), leaseSeconds: 1 });
  const done = await right.waitFor(task.task_uuid, { timeoutMs: 30_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(
    Object.values(done.steps).map((s) => s.attempts),
    [1, 1],
  );
});

dbTest("a step no worker has the template for fails after foreignTimeoutSeconds", async (db) => {
  const namespace = uniqueName("orphan");
  const v1 = pair(namespace, "1.0.0");
  const v2 = pair(namespace, "2.0.0");
  const submitter = await openTasker(db, [v1], { handlers: handlers(), startWorker: false });
  await taskerEngine(submitter).worker.close();
  const task = await submitter.submit({ namespace, name: "pair", version: "1.0.0", context: {} });
  await submitter.close();

  const logged = await captureConsole("error", async () => {
    // Lease 1 s: the worker sees the message again each second; after 1 s without a taker it
    // settles the step.
    await using other = await openTasker(db, [v2], {
      handlers: handlers(),
      leaseSeconds: 1,
      foreignTimeoutSeconds: 1,
    });
    const done = await other.waitFor(task.task_uuid, { timeoutMs: 30_000 });
    assert.equal(done.status, "error");
    const first = done.steps.first!;
    assert.equal(first.attempts, 0, "no attempt was consumed");
    assert.equal(first.error?.error_type, "TemplateUnavailable");
    assert.match(
      String(first.error?.message),
      new RegExp(`lacks template ${namespace}/pair@1\\.0\\.0`),
    );
    assert.equal(done.steps.second!.state, "pending");
  });
  const said = logged.map((args) => args.join(" "));
  assert.ok(said.some((l) => l.includes(`no template ${namespace}/pair@1.0.0`)));
});
