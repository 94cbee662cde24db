// `complete_manually` on a decision or batchable step does what its handler's result would: the
// decision's branches, or the batch's workers, are created (with the steps that join them) in
// the action's transaction, so the workflow continues to the end. A result that lacks the
// outcome its step type needs is refused with a typed error naming the field.
import assert from "node:assert/strict";
import { parseTemplate } from "../../src/template/load.ts";
import { batchSuccess, createCursorConfigs } from "../../src/worker/batches.ts";
import { decisionSuccess } from "../../src/worker/decisions.ts";
import type { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { InvalidManualResultError } from "../../src/worker/task_actions.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { batchedTemplate } from "./_batch_fixtures.ts";
import { openWith, stepNames } from "./_dynamic.ts";

const approval = (namespace: string) =>
  parseTemplate(`name: approval
namespace_name: ${namespace}
version: 1.0.0
steps:
  - name: intake
    handler: { callable: m.intake }
  - name: route
    type: decision
    dependencies: [intake]
    handler: { callable: m.route }
    retry: { max_attempts: 1 }
  - name: auto_approve
    dependencies: [route]
    handler: { callable: m.auto }
  - name: manager_approval
    dependencies: [route]
    handler: { callable: m.manager }
  - name: finalize
    type: deferred_convergence
    dependencies: [auto_approve, manager_approval]
    handler: { callable: m.finalize }
`);

const decisionHandlers = (h: HandlerRegistry) =>
  h.register("m.intake", () => success({ amount: 3000 }))
    .register("m.route", () => failure("routing service down", { retryable: false }))
    .register("m.auto", () => success({ approved_by: "auto" }))
    .register("m.manager", () => success({ approved_by: "manager" }))
    .register("m.finalize", (ctx) => success(ctx.dependencyResults));

const batched = (namespace: string) =>
  batchedTemplate(namespace, { callables: "m", singleAttempt: "scan", report: true });

const batchHandlers = (h: HandlerRegistry) =>
  h.register("m.scan", () => failure("inventory API down", { retryable: false }))
    .register("m.work", (ctx) => success({ items: ctx.batchCursor()!.batch_size }))
    .register("m.sum", (ctx) => {
      const results = ctx.batchResults("work") as Record<string, { items: number }>;
      return success({
        batches: Object.keys(results).sort(),
        items: Object.values(results).reduce((n, r) => n + r.items, 0),
      });
    })
    .register("m.report", () => success({ reported: true }));

dbTest("a decision step completed by hand creates the branches its result names", async (db) => {
  const t = approval(uniqueName("mdec"));
  await using tasker = await openWith(db, [t], decisionHandlers);
  const task = await tasker.submit({ namespace: t.namespace_name, name: "approval", context: {} });
  const failed = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(failed.status, "error");
  assert.deepEqual(stepNames(failed), ["intake", "route"], "no branch before the decision");
  const done = await tasker.completeStep(
    task.task_uuid,
    "route",
    decisionSuccess(["manager_approval"]).result,
    { by: "ops", reason: "routed by hand" },
  );
  assert.equal(done.task_state, "in_progress");
  assert.deepEqual(done.enqueued, ["manager_approval"]);
  const end = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(end.status, "complete");
  assert.deepEqual(stepNames(end), ["finalize", "intake", "manager_approval", "route"]);
  assert.deepEqual(end.steps.finalize!.result, {
    intake: { amount: 3000 },
    manager_approval: { approved_by: "manager" },
    route: decisionSuccess(["manager_approval"]).result,
  });
});

dbTest("a batchable step completed by hand creates its batch workers", async (db) => {
  const t = batched(uniqueName("mbat"));
  await using tasker = await openWith(db, [t], batchHandlers);
  const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
  assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "error");
  const done = await tasker.completeStep(
    task.task_uuid,
    "scan",
    batchSuccess("work", createCursorConfigs(25, 3)).result,
    { by: "ops" },
  );
  assert.deepEqual(done.enqueued, ["work_001"], "parallelism 1: one worker at a time");
  const end = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(end.status, "complete");
  assert.deepEqual(stepNames(end), ["report", "scan", "sum", "work_001", "work_002", "work_003"]);
  assert.deepEqual(end.steps.sum!.result, {
    batches: ["work_001", "work_002", "work_003"],
    items: 25,
  });
  assert.equal(end.steps.report!.state, "complete");
});

dbTest(
  "a decision or batchable result without its outcome is refused, naming the field",
  async (db) => {
    const d = approval(uniqueName("mbad"));
    const b = batched(uniqueName("mbad"));
    await using tasker = await openWith(db, [d, b], (h) => {
      decisionHandlers(h);
      batchHandlers(h);
    });
    const cases = [
      { t: d, step: "route", result: { approved: true }, field: "result.decision_point_outcome" },
      {
        t: d,
        step: "route",
        result: decisionSuccess(["finalize"]).result,
        field: "result.decision_point_outcome",
        says: /not a branch of decision route/,
      },
      { t: b, step: "scan", result: { items: 3 }, field: "result.batch_processing_outcome" },
    ];
    for (const c of cases) {
      const task = await tasker.submit({
        namespace: c.t.namespace_name,
        name: c.t.name,
        context: {},
      });
      await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
      await assert.rejects(
        tasker.completeStep(task.task_uuid, c.step, c.result, { by: "ops" }),
        (error: unknown) => {
          assert.ok(error instanceof InvalidManualResultError);
          assert.equal(error.code, "E_MANUAL_RESULT_INVALID");
          assert.equal(error.field, c.field);
          assert.match(error.message, new RegExp(c.field.replace("result.", "")));
          if (c.says) assert.match(error.message, c.says);
          return true;
        },
      );
      const after = await tasker.status(task.task_uuid);
      assert.equal(after.steps[c.step]!.state, "error", "nothing was recorded");
      assert.equal(after.status, "error");
    }
  },
);
