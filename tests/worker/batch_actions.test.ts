// Operator actions on batch workers keep a parallelism-limited batch moving: a worker resolved or
// completed by hand frees its slot, so the next pending worker of its batch starts — otherwise a
// batch held back by `parallelism` would wait for ever.
import assert from "node:assert/strict";
import { batchSuccess, createCursorConfigs } from "../../src/worker/batches.ts";
import type { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { batchedTemplate } from "./_batch_fixtures.ts";
import { openWith } from "./_dynamic.ts";

const ONE_AT_A_TIME = (namespace: string) => batchedTemplate(namespace);

const handlers = (h: HandlerRegistry) =>
  h.register("b.scan", () => batchSuccess("work", createCursorConfigs(30, 3)))
    .register("b.work", (ctx) => {
      const cursor = ctx.batchCursor()!;
      return cursor.batch_id === "001"
        ? failure("batch 001 failed", { retryable: false })
        : success({ items: cursor.batch_size });
    })
    .register("b.sum", (ctx) => success(Object.keys(ctx.batchResults("work")).sort()));

for (const action of ["resolve", "complete"] as const) {
  dbTest(`a batch worker ${action}d by hand frees its slot for the next worker`, async (db) => {
    const t = ONE_AT_A_TIME(uniqueName("bact"));
    await using tasker = await openWith(db, [t], handlers);
    const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
    const failed = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(failed.status, "error");
    assert.deepEqual(
      [failed.steps.work_002!.state, failed.steps.work_003!.state],
      ["pending", "pending"],
      "parallelism 1 and fail_fast hold the other workers back",
    );
    const actor = { by: "test", reason: "batch 001 checked by hand" };
    if (action === "resolve") await tasker.resolveStep(task.task_uuid, "work_001", actor);
    else await tasker.completeStep(task.task_uuid, "work_001", { items: 10 }, actor);
    const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    assert.equal(done.steps.work_002!.state, "complete");
    assert.equal(done.steps.work_003!.state, "complete");
    assert.equal(done.steps.sum!.state, "complete");
  });
}
