// Operator actions on both databases: cancelling a task mid-run (end state asserted: tasker-core
// has no such test), resetting, resolving and completing steps by hand followed by the task
// finishing, bringing a task back from `error`, the transition history, and the typed errors.
import assert from "node:assert/strict";
import { TaskNotFoundError } from "../../src/worker/task_status.ts";
import { InvalidManualResultError } from "../../src/worker/task_actions.ts";
import {
  FINAL_TASK_STATES,
  InvalidTransitionError,
  SATISFYING_STEP_STATES,
  STEP_ACTION_FROM,
  StepNotFoundError,
  TASK_ACTION_FROM,
} from "../../src/worker/transitions.ts";
import { failure, type StepContext, success } from "../../src/worker/step_handler.ts";
import { ClaimLostError } from "../../src/worker/worker_errors.ts";
import { dbTest } from "../_db.ts";
import { deferred, inlineTemplate, operationsTasker, until, untilTask } from "./_operations.ts";

const CHAIN = `
name: chain
namespace_name: placeholder
version: 1.0.0
steps:
  - name: first
    handler: { callable: ops.first }
    retry: { max_attempts: 1 }
  - name: second
    handler: { callable: ops.second }
    dependencies: [first]
    retry: { max_attempts: 1 }
  - name: third
    handler: { callable: ops.third }
    dependencies: [second]
`;

const OPS = { by: "ops@example.com", reason: "ticket 42" };

dbTest(
  "cancel mid-run: the running handler is aborted, nothing more runs, task cancelled",
  async (db) => {
    const template = inlineTemplate(CHAIN, "cancel");
    const started = deferred();
    const aborted = deferred<unknown>();
    const ran: string[] = [];
    await using tasker = await operationsTasker(db, template, {
      "ops.first": async (ctx: StepContext) => {
        ran.push("first");
        started.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        aborted.resolve(ctx.signal.reason);
        return success("finished after the cancel");
      },
      "ops.second": () => (ran.push("second"), success(2)),
      "ops.third": () => (ran.push("third"), success(3)),
    }, { leaseSeconds: 0.6 });
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: template.name,
      context: {},
    });
    await started.promise;
    await until(
      tasker,
      task.task_uuid,
      (s) => s.steps.first?.state === "in_progress",
      "first runs",
    );

    // Retrying a running step is refused; so is an unknown step.
    await assert.rejects(
      tasker.resetStep(task.task_uuid, "first", OPS),
      (e: unknown) => e instanceof InvalidTransitionError && e.state === "in_progress",
    );
    await assert.rejects(tasker.resetStep(task.task_uuid, "nope", OPS), StepNotFoundError);

    const cancelled = await tasker.cancel(task.task_uuid, OPS);
    assert.equal(cancelled.task_state, "cancelled");
    assert.deepEqual(cancelled.cancelled, ["first", "second", "third"]);
    // The worker's next lease renewal finds the claim gone and aborts the handler.
    assert.ok((await aborted.promise) instanceof ClaimLostError);
    await until(
      tasker,
      task.task_uuid,
      () => tasker.stats().lost_claims === 1,
      "lost claim",
    );

    const status = await tasker.status(task.task_uuid);
    assert.equal(status.status, "cancelled");
    assert.deepEqual(
      Object.values(status.steps).map((s) => [s.state, s.result]),
      [["cancelled", null], ["cancelled", null], ["cancelled", null]],
    );
    assert.deepEqual(ran, ["first"]);
    assert.equal(tasker.stats().processed, 0, "the aborted attempt recorded nothing");

    const history = await tasker.transitions(task.task_uuid);
    const mine = history.filter((t) => t.actor === OPS.by);
    assert.deepEqual(
      mine.map((t) => [t.step_name ?? "(task)", t.from_state, t.to_state, t.reason]),
      [
        ["first", "in_progress", "cancelled", "ticket 42"],
        ["second", "pending", "cancelled", "ticket 42"],
        ["third", "pending", "cancelled", "ticket 42"],
        ["(task)", "in_progress", "cancelled", "ticket 42"],
      ],
    );
    // The task's own life is recorded too: created (by `submit`), cancelled (by the operator).
    assert.deepEqual(
      history.filter((t) => t.step_name === undefined).map((t) => [t.to_state, t.actor]),
      [["in_progress", "submit"], ["cancelled", OPS.by]],
    );

    // A finished task cannot be cancelled again; an unknown one is not found.
    await assert.rejects(
      tasker.cancel(task.task_uuid, OPS),
      (e: unknown) =>
        e instanceof InvalidTransitionError && e.code === "E_INVALID_TRANSITION" &&
        /cannot cancel task .*: it is cancelled/.test(e.message),
    );
    await assert.rejects(tasker.cancel(crypto.randomUUID(), OPS), TaskNotFoundError);
    await assert.rejects(tasker.cancel("not-a-uuid", OPS), TaskNotFoundError);
    await assert.rejects(tasker.cancel(task.task_uuid, { by: "" }), /needs `by`/);
  },
);

dbTest(
  "reset_for_retry brings a task back from error with fresh attempts; it then completes",
  async (db) => {
    const template = inlineTemplate(CHAIN, "reset");
    let firstRuns = 0;
    await using tasker = await operationsTasker(db, template, {
      "ops.first": () =>
        ++firstRuns === 1
          ? failure("upstream down", { retryable: false, errorType: "Upstream" })
          : success(1),
      "ops.second": (ctx) => success(ctx.dependency<number>("first")! + 1),
      "ops.third": (ctx) => success(ctx.dependency<number>("second")! + 1),
    });
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: template.name,
      context: {},
    });
    const failed = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(failed.status, "error");
    assert.equal(failed.steps.first!.state, "error");
    assert.equal(failed.steps.first!.attempts, 1);

    // Only a step in error can be reset.
    await assert.rejects(
      tasker.resetStep(task.task_uuid, "second", OPS),
      (e: unknown) => e instanceof InvalidTransitionError && e.state === "pending",
    );
    const reset = await tasker.resetStep(task.task_uuid, "first", OPS);
    assert.deepEqual(reset.step, { name: "first", state: "enqueued" });
    assert.equal(reset.task_state, "in_progress");
    assert.deepEqual(reset.enqueued, ["first"]);

    const done = await untilTask(tasker, task.task_uuid, "complete");
    assert.equal(done.steps.third!.result, 3);
    assert.equal(done.steps.first!.attempts, 1, "attempts started again from 0");
    assert.equal(firstRuns, 2);
    const taskStates = (await tasker.transitions(task.task_uuid))
      .filter((t) => t.step_name === undefined).map((t) => t.to_state);
    assert.deepEqual(taskStates, ["in_progress", "error", "in_progress", "complete"]);
  },
);

dbTest(
  "complete_manually: the successor sees the given result and the task finishes",
  async (db) => {
    const template = inlineTemplate(CHAIN, "complete");
    await using tasker = await operationsTasker(db, template, {
      "ops.first": () => failure("no data", { retryable: false }),
      "ops.second": (ctx) => success(ctx.dependency<number>("first", "value")! * 2),
      "ops.third": (ctx) => success(ctx.dependency<number>("second")! + 1),
    });
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: template.name,
      context: {},
    });
    assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "error");
    await assert.rejects(
      tasker.completeStep(task.task_uuid, "first", { bad: "\uD800" }, OPS),
      InvalidManualResultError,
    );
    const completed = await tasker.completeStep(task.task_uuid, "first", { value: 21 }, OPS);
    assert.deepEqual(completed.step, { name: "first", state: "complete" });
    assert.deepEqual(completed.enqueued, ["second"]);
    assert.equal(completed.task_state, "in_progress");
    const done = await untilTask(tasker, task.task_uuid, "complete");
    assert.deepEqual(done.steps.first!.result, { value: 21 });
    assert.equal(done.steps.second!.result, 42);
    assert.equal(done.steps.third!.result, 43);
    // A complete step cannot be settled again.
    await assert.rejects(
      tasker.completeStep(task.task_uuid, "first", 1, OPS),
      (e: unknown) => e instanceof InvalidTransitionError && e.subject === "task",
    );
  },
);

dbTest(
  "resolve_manually satisfies dependants without a result; a pending step can be completed",
  async (db) => {
    const template = inlineTemplate(CHAIN, "resolve");
    const seen: unknown[] = [];
    await using tasker = await operationsTasker(db, template, {
      "ops.first": () => failure("broken", { retryable: false }),
      "ops.second": () => success("never runs"),
      "ops.third": (ctx) => {
        seen.push(ctx.dependency("first"), ctx.dependency("second"));
        return success("done");
      },
    });
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: template.name,
      context: {},
    });
    assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "error");
    // Completing the pending `second` releases `third` even while `first` is in error; the task
    // stays in error until no step is.
    const second = await tasker.completeStep(task.task_uuid, "second", "by hand", OPS);
    assert.equal(second.task_state, "error");
    assert.deepEqual(second.enqueued, ["third"]);
    await until(tasker, task.task_uuid, (s) => s.steps.third?.state === "complete", "third runs");
    const resolved = await tasker.resolveStep(task.task_uuid, "first", OPS);
    assert.deepEqual(resolved.step, { name: "first", state: "resolved_manually" });
    assert.equal(resolved.task_state, "complete", "nothing is left to run");
    const done = await tasker.status(task.task_uuid);
    assert.equal(done.status, "complete");
    assert.equal(done.steps.first!.state, "resolved_manually");
    assert.deepEqual(seen, [undefined, "by hand"]);
  },
);

dbTest("resolveTask settles a task in error; it cannot be resolved twice", async (db) => {
  const template = inlineTemplate(CHAIN, "resolvetask");
  await using tasker = await operationsTasker(db, template, {
    "ops.first": () => failure("broken", { retryable: false }),
    "ops.second": () => success(2),
    "ops.third": () => success(3),
  });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: {},
  });
  assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "error");
  await assert.rejects(tasker.cancel(task.task_uuid, OPS), InvalidTransitionError);
  const resolved = await tasker.resolveTask(task.task_uuid, OPS);
  assert.equal(resolved.task_state, "resolved_manually");
  assert.deepEqual(resolved.cancelled, ["first", "second", "third"]);
  assert.equal((await tasker.waitFor(task.task_uuid)).status, "resolved_manually");
  await assert.rejects(tasker.resolveTask(task.task_uuid, OPS), InvalidTransitionError);
});

Deno.test("Tasker's guards: cancel from every running task state, never from a final one", () => {
  assert.deepEqual(TASK_ACTION_FROM.cancel, ["pending", "in_progress"]);
  for (const final of FINAL_TASK_STATES) {
    assert.equal(TASK_ACTION_FROM.cancel.includes(final), false, final);
  }
  assert.deepEqual(STEP_ACTION_FROM.reset_for_retry, ["error"]);
  for (const done of ["complete", "cancelled", "resolved_manually"] as const) {
    assert.equal(STEP_ACTION_FROM.complete_manually.includes(done), false, done);
    assert.equal(STEP_ACTION_FROM.resolve_manually.includes(done), false, done);
  }
  assert.deepEqual(SATISFYING_STEP_STATES, ["complete", "resolved_manually"]);
});
