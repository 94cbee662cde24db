// Retries with backoff, handler timeouts, claim leases, two workers on one database, and owed
// durable events recovered after a crash, on both databases.
import assert from "node:assert/strict";
import { PublisherRegistry } from "../../src/events/publisher_registry.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { OwedEvents } from "../../src/worker/owed_events.ts";
import { claimSteps } from "../../src/worker/step_claims.ts";
import { recordOutcomes } from "../../src/worker/step_outcomes.ts";
import type { ClaimedStep } from "../../src/worker/step_store.ts";
import { templateHash } from "../../src/worker/template_hash.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "./_engine.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const flaky = (namespace: string, backoff: string) =>
  parseTemplateIn(
    `
name: flaky
namespace_name: x
version: 1.0.0
steps:
  - name: wobble
    handler: { callable: test.wobble }
    retry: { max_attempts: 3, backoff: ${backoff}, backoff_base_ms: 200, max_backoff_ms: 1000 }
  - name: after
    handler: { callable: test.after }
    dependencies: [wobble]
`,
    namespace,
  );

dbTest("a failing step is retried with backoff until it succeeds", async (db) => {
  const template = flaky(uniqueName("retry"), "linear");
  const handlers = new HandlerRegistry();
  const seen: { attempts: number; isRetry: boolean; isLast: boolean }[] = [];
  handlers.register("test.wobble", (ctx) => {
    seen.push({
      attempts: ctx.step.attempts,
      isRetry: ctx.isRetry,
      isLast: ctx.isLastAttempt,
    });
    return ctx.step.attempts < 3 ? failure("not yet", { errorCode: "BUSY" }) : success("steady");
  });
  handlers.register("test.after", (ctx) => success(`after ${ctx.dependency("wobble")}`));
  await using tasker = await openTasker(db, [template], { handlers, random: () => 0 });
  const delays: number[] = [];
  taskerEngine(tasker).worker.onOutcome((_, outcome) => {
    if (outcome.retry_delay_ms !== undefined) delays.push(outcome.retry_delay_ms);
  });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: "flaky",
    context: {},
  });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(seen.map((s) => [s.attempts, s.isRetry, s.isLast]), [
    [1, false, false],
    [2, true, false],
    [3, true, true],
  ]);
  assert.equal(done.steps.wobble!.attempts, 3);
  assert.equal(done.steps.after!.result, "after steady");
  // Linear backoff, base 200 ms, with the jitter pinned to its low end (half the delay).
  assert.deepEqual(delays, [100, 200]);
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.steps WHERE task_uuid = $1::uuid AND next_attempt_at IS NOT NULL",
    [task.task_uuid],
  );
  assert.equal(rows[0]!.n, 0, "next_attempt_at is cleared once the step completes");
});

dbTest("retries stop at max_attempts and the task fails", async (db) => {
  const template = flaky(uniqueName("exhaust"), "none");
  const handlers = new HandlerRegistry();
  handlers.register("test.wobble", () => failure("always", { errorType: "Flaky" }));
  handlers.register("test.after", () => success(null));
  await using tasker = await openTasker(db, [template], { handlers });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: "flaky",
    context: {},
  });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "error");
  assert.equal(done.steps.wobble!.state, "error");
  assert.equal(done.steps.wobble!.attempts, 3);
  assert.equal(done.steps.wobble!.error!.error_type, "Flaky");
  assert.equal(done.steps.after!.state, "pending");
});

dbTest("a handler that overruns timeout_seconds fails as a retryable timeout", async (db) => {
  const template = parseTemplateIn(
    `
name: slow
namespace_name: x
version: 1.0.0
steps:
  - name: sleepy
    handler: { callable: test.sleepy }
    timeout_seconds: 0.2
    retry: { max_attempts: 2, backoff: none }
`,
    uniqueName("timeout"),
  );
  const handlers = new HandlerRegistry();
  const errors: unknown[] = [];
  handlers.register("test.sleepy", async (ctx) => {
    if (ctx.step.attempts === 1) {
      // Ignores nothing: waits until the worker aborts it at the deadline.
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      errors.push(ctx.signal.reason);
      return success("too late");
    }
    return success("in time");
  });
  await using tasker = await openTasker(db, [template], { handlers });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: "slow",
    context: {},
  });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.equal(done.steps.sleepy!.attempts, 2);
  assert.equal(done.steps.sleepy!.result, "in time");
  assert.equal(errors.length, 1, "the first attempt's signal was aborted");
});

dbTest("two workers on one database never run a step twice", async (db) => {
  const template = parseTemplateIn(
    `
name: fan
namespace_name: x
version: 1.0.0
steps:
  - name: a
    handler: { callable: test.count }
  - name: b
    handler: { callable: test.count }
    dependencies: [a]
  - name: c
    handler: { callable: test.count }
    dependencies: [a]
  - name: d
    handler: { callable: test.count }
    dependencies: [b, c]
`,
    uniqueName("two"),
  );
  const runs = new Map<string, number>();
  const makeHandlers = () => {
    const handlers = new HandlerRegistry();
    handlers.register("test.count", async (ctx) => {
      runs.set(ctx.step.step_uuid, (runs.get(ctx.step.step_uuid) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return success(ctx.step.name);
    });
    return handlers;
  };
  await using one = await openTasker(db, [template], { handlers: makeHandlers(), concurrency: 8 });
  await using two = await openTasker(db, [template], { handlers: makeHandlers(), concurrency: 8 });
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const submit = i % 2 === 0 ? one : two;
    ids.push(
      (await submit.submit({ namespace: template.namespace_name, name: "fan", context: {} }))
        .task_uuid,
    );
  }
  for (const id of ids) {
    assert.equal((await one.waitFor(id, { timeoutMs: 30_000 })).status, "complete");
  }
  assert.equal(runs.size, 30 * 4);
  assert.deepEqual([...new Set(runs.values())], [1], "every step ran exactly once");
  const both = one.stats().processed + two.stats().processed;
  assert.equal(both, 120);
});

dbTest("an outcome is not recorded once the claim's lease was taken over", async (db) => {
  const template = flaky(uniqueName("lease"), "none");
  await using tasker = await openTasker(db, [template], {
    handlers: new HandlerRegistry().register("test.wobble", () => success(1)).register(
      "test.after",
      () => success(2),
    ),
    startWorker: false,
  });
  // The Tasker's worker is running; stop it so this test drives the store by hand.
  await taskerEngine(tasker).worker.close();
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: "flaky",
    context: {},
  });
  const queue = `worker_${template.namespace_name}_queue`;
  const read = async () =>
    (await db.query<{ msg_id: number; message: { task_uuid: string; step_uuid: string } }>(
      "SELECT msg_id, message FROM pgmq.read($1::text, 0, 1)",
      [queue],
    )).map((m) => ({ queue, msg_id: Number(m.msg_id), message: m.message }));
  const scope = { templateHashes: [await templateHash(template)], foreignTimeoutSeconds: 600 };
  const first = await claimSteps(db, await read(), "worker-a", 0, scope);
  assert.equal(first.claimed.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const second = await claimSteps(db, await read(), "worker-b", 30, scope);
  assert.equal(second.claimed.length, 1, "an expired lease can be claimed by another worker");
  assert.equal(second.claimed[0]!.step.attempts, 2);
  const record = (claim: ClaimedStep | undefined) => ({
    claim: claim!,
    successors: ["after"],
    result: success("x"),
    retryDelayMs: () => 0,
    prepareEvents: () => [],
  });
  assert.deepEqual(await recordOutcomes(db, [record(first.claimed[0])], "worker-a"), [null]);
  const [won] = await recordOutcomes(db, [record(second.claimed[0])], "worker-b");
  assert.equal(won!.state, "complete");
  assert.deepEqual(won!.enqueued, ["after"]);
  const status = await tasker.status(task.task_uuid);
  assert.equal(status.steps.wobble!.state, "complete");
});

dbTest(
  "owed durable events of a crashed worker are re-sent with their original ids",
  async (db) => {
    const template = parseTemplateIn(
      `
name: owes
namespace_name: x
version: 1.0.0
steps:
  - name: emit
    handler: { callable: test.emit }
    publishes_events:
      - name: audit.recorded
        delivery_mode: durable
      - name: audit.broadcast
        delivery_mode: broadcast
`,
      uniqueName("owed"),
    );
    const handlers = new HandlerRegistry().register("test.emit", () => success({ ok: true }));
    // A "crashed" process: it commits the step, but its writer never writes (nothing attached).
    // Events written after the commit (with "with_outcome", the default, nothing is ever owed).
    const crashed = await openTasker(db, [template], {
      handlers,
      recovery: false,
      durableEventWrites: "after_commit",
    });
    const lost: string[] = [];
    taskerEngine(crashed).worker.router.attach({
      durable: { enqueue: (e) => (lost.push(e.event_id), true) },
    });
    const task = await crashed.submit({
      namespace: template.namespace_name,
      name: "owes",
      context: {},
    });
    await crashed.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    await crashed.close();
    assert.equal(lost.length, 2);
    const owed = await db.query<{ event_id: string }>(
      "SELECT event_id::text AS event_id FROM tasker.step_events WHERE task_uuid = $1::uuid AND sent_at IS NULL ORDER BY event_id",
      [task.task_uuid],
    );
    assert.deepEqual(owed.map((r) => r.event_id), [...lost].sort());

    // A recovery pass skips what its own writer still holds (here: the first event).
    const probe = new OwedEvents();
    probe.track(lost[0]!);
    const resent: string[] = [];
    await probe.recover(db, { enqueue: (e) => (resent.push(e.event_id), true) }, {
      olderThanMs: 0,
    });
    assert.deepEqual(resent, [lost[1]!]);

    // A restarted process recovers them at start-up (threshold 0 for the test).
    const restarted = await openTasker(db, [template], {
      handlers: new HandlerRegistry().register("test.emit", () => success({ ok: true })),
      publishers: new PublisherRegistry(),
      recovery: { olderThanMs: 0, intervalMs: 60_000 },
      durableEventWrites: "after_commit",
    });
    try {
      await restarted.flush();
      const capture = new DurableEventCapture(db);
      const queued = await capture.events(template.namespace_name);
      assert.deepEqual(queued.map((m) => m.event.event_id).sort(), [...lost].sort());
      assert.equal(taskerEngine(restarted).owed.recovered, 2);
      const still = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM tasker.step_events WHERE task_uuid = $1::uuid AND sent_at IS NULL",
        [task.task_uuid],
      );
      assert.equal(still[0]!.n, 0);
    } finally {
      await restarted.close();
    }
  },
);
