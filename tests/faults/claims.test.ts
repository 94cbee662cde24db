// A claim never outlives its rights: attempts never exceed max_attempts (a step whose last
// attempt's worker died is settled, not run again), leases are renewed while a handler runs
// longer than its lease (so it runs once), and a worker that loses a claim aborts the handler
// and records nothing.
import assert from "node:assert/strict";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { claimSteps } from "../../src/worker/step_claims.ts";
import { templateHash } from "../../src/worker/template_hash.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "../worker/_engine.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const slow = (namespace: string, maxAttempts: number) =>
  parseTemplateIn(
    `
name: slow
namespace_name: x
version: 1.0.0
steps:
  - name: long
    handler: { callable: test.long }
    retry: { max_attempts: ${maxAttempts}, backoff: none }
    publishes_events:
      - name: long.failed
        condition: permanent_failure
        delivery_mode: fast
`,
    namespace,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

dbTest(
  "a step whose last attempt's worker died is settled as failed, not run again",
  async (db) => {
    const template = slow(uniqueName("exhaust"), 1);
    let runs = 0;
    const handlers = new HandlerRegistry().register("test.long", () => (runs++, success(1)));
    await using tasker = await openTasker(db, [template], { handlers, startWorker: false });
    await taskerEngine(tasker).worker.close();
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: "slow",
      context: {},
    });
    // A worker claims the step with a lease that ends at once, and dies.
    const queue = `worker_${template.namespace_name}_queue`;
    const messages =
      (await db.query<{ msg_id: number; message: { task_uuid: string; step_uuid: string } }>(
        "SELECT msg_id, message FROM pgmq.read($1::text, 0, 1)",
        [queue],
      )).map((m) => ({ queue, msg_id: Number(m.msg_id), message: m.message }));
    const scope = { templateHashes: [await templateHash(template)], foreignTimeoutSeconds: 600 };
    const dead = await claimSteps(db, messages, "dead-worker", 0, scope);
    assert.equal(dead.claimed[0]!.step.attempts, 1);
    await sleep(20);

    await using next = await openTasker(db, [template], { handlers, recovery: false });
    const done = await next.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "error");
    assert.equal(runs, 0, "no attempt past max_attempts");
    const step = done.steps.long!;
    assert.equal(step.attempts, 1);
    assert.equal(step.error?.error_type, "AttemptsExhausted");
    assert.match(String(step.error?.message), /attempt 1 of 1 did not finish/);
    assert.deepEqual(done.events.map((e) => e.event_name), ["long.failed"]);
  },
);

dbTest(
  "a handler that runs past its lease keeps its claim: two workers, each step runs once",
  async (db) => {
    const template = slow(uniqueName("lease"), 1);
    const runs = new Map<string, number>();
    const handlers = () =>
      new HandlerRegistry().register("test.long", async (ctx) => {
        runs.set(ctx.step.step_uuid, (runs.get(ctx.step.step_uuid) ?? 0) + 1);
        await sleep(3_500);
        return success(ctx.step.attempts);
      });
    // Lease 1 s, handlers 3.5 s: without renewal each step is claimed again after 1 s.
    const options = { leaseSeconds: 1, concurrency: 5, recovery: false as const };
    await using a = await openTasker(db, [template], { ...options, handlers: handlers() });
    await using b = await openTasker(db, [template], { ...options, handlers: handlers() });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        (await a.submit({ namespace: template.namespace_name, name: "slow", context: {} }))
          .task_uuid,
      );
    }
    taskerEngine(b).worker.wake();
    const done = await Promise.all(ids.map((id) => a.waitFor(id, { timeoutMs: 60_000 })));
    assert.deepEqual(done.map((t) => t.status), ["complete", "complete", "complete", "complete"]);
    assert.deepEqual(done.map((t) => t.steps.long!.attempts), [1, 1, 1, 1]);
    assert.deepEqual([...runs.values()], [1, 1, 1, 1], "each handler ran exactly once");
    assert.equal(a.stats().lost_claims + b.stats().lost_claims, 0);
  },
);

dbTest("a worker whose claim is taken away aborts the handler and records nothing", async (db) => {
  const template = slow(uniqueName("lost"), 3);
  let aborted: unknown;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const handlers = new HandlerRegistry().register("test.long", async (ctx) => {
    started();
    await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    aborted = ctx.signal.reason;
    return success("too late");
  });
  await using tasker = await openTasker(db, [template], {
    handlers,
    leaseSeconds: 1,
    recovery: false,
  });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: "slow",
    context: {},
  });
  await running;
  // Another worker (here: an operator's UPDATE) now holds the claim.
  await db.query(
    "UPDATE tasker.steps SET claimed_by = 'other-worker' WHERE task_uuid = $1::uuid",
    [task.task_uuid],
  );
  while (tasker.stats().lost_claims === 0) await sleep(20);
  assert.equal((aborted as Error).name, "ClaimLostError");
  const status = await tasker.status(task.task_uuid);
  assert.equal(status.steps.long!.state, "in_progress");
  assert.equal(status.steps.long!.result, null, "the lost attempt's result was not recorded");
});
