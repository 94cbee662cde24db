// Resetting a failed batch worker respects its batch's `parallelism`: the reset worker waits its
// turn like the batch's other pending workers instead of being queued beside the ones running.
import assert from "node:assert/strict";
import { TemplateRegistry } from "../../src/template/registry.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import { batchSuccess, createCursorConfigs } from "../../src/worker/batches.ts";
import type { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { resetStep } from "../../src/worker/task_actions.ts";
import type { Tasker } from "../../src/tasker.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { batchedTemplate } from "./_batch_fixtures.ts";
import { openWith } from "./_dynamic.ts";
import { deferred, until } from "./_operations.ts";

const batched = (namespace: string, parallelism: number) =>
  batchedTemplate(namespace, { parallelism, failureStrategy: "continue_on_failure" });

/**
 * Handlers whose batch 001 fails on its first run and whose batch 002 runs until `release`;
 * `running` tracks how many workers run at once, `peak` the most seen.
 */
function handlers(workers: number) {
  const gate = deferred();
  const seen = { running: 0, peak: 0, failed: false };
  const register = (h: HandlerRegistry) =>
    h.register("b.scan", () => batchSuccess("work", createCursorConfigs(workers * 10, workers)))
      .register("b.work", async (ctx) => {
        const cursor = ctx.batchCursor()!;
        seen.running++;
        seen.peak = Math.max(seen.peak, seen.running);
        try {
          if (cursor.batch_id === "001" && !seen.failed) {
            seen.failed = true;
            return failure("batch 001 failed", { retryable: false });
          }
          if (cursor.batch_id === "002") await gate.promise;
          return success({ items: cursor.batch_size });
        } finally {
          seen.running--;
        }
      })
      .register("b.sum", (ctx) => success(Object.keys(ctx.batchResults("work")).sort()));
  return { register, seen, release: () => gate.resolve() };
}

async function failedWhile002Runs(tasker: Tasker, t: TaskTemplate): Promise<string> {
  const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
  await until(
    tasker,
    task.task_uuid,
    (s) => s.steps.work_001?.state === "error" && s.steps.work_002?.state === "in_progress",
    "batch 001 failed and 002 running",
  );
  return task.task_uuid;
}

dbTest("a reset batch worker waits for a free slot of its batch (parallelism 1)", async (db) => {
  const t = batched(uniqueName("brst"), 1);
  const h = handlers(3);
  await using tasker = await openWith(db, [t], h.register);
  const taskUuid = await failedWhile002Runs(tasker, t);
  const reset = await tasker.resetStep(taskUuid, "work_001", { by: "test" });
  assert.equal(reset.step?.state, "pending", "batch 002 holds the only slot");
  assert.deepEqual(reset.enqueued, []);
  assert.equal(reset.task_state, "in_progress", "no step is in error any more");
  h.release();
  const done = await tasker.waitFor(taskUuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.equal(done.steps.work_001!.state, "complete");
  assert.equal(done.steps.work_001!.attempts, 1, "a fresh attempt");
  assert.deepEqual(done.steps.sum!.result, ["work_001", "work_002", "work_003"]);
  assert.equal(h.seen.peak, 1, "never two workers of the batch at once");
});

dbTest(
  "with the template at hand, a reset batch worker runs at once when its batch has room",
  async (db) => {
    const t = batched(uniqueName("brst"), 2);
    const h = handlers(2);
    await using tasker = await openWith(db, [t], h.register);
    const taskUuid = await failedWhile002Runs(tasker, t);
    const reset = await resetStep(
      db,
      taskUuid,
      "work_001",
      { by: "test" },
      TemplateRegistry.fromTemplates([t]),
    );
    assert.equal(reset.step?.state, "enqueued", "one of two slots is free");
    assert.deepEqual(reset.enqueued, ["work_001"]);
    await until(tasker, taskUuid, (s) => s.steps.work_001?.state === "complete", "001 done");
    h.release();
    const done = await tasker.waitFor(taskUuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    assert.equal(h.seen.peak, 2);
  },
);
