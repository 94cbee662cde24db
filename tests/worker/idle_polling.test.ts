// An idle worker that LISTENs polls seldom (`listeningPollIntervalMs`): its idle cost does not
// come from reading empty queues every 50 ms. What no notification announces is still picked up:
// a retry this worker scheduled wakes its claim loop when due, not at its next (long) poll.
import assert from "node:assert/strict";
import { failure, success } from "../../src/worker/step_handler.ts";
import { resolveWorkerConfig } from "../../src/worker/worker_config.ts";
import { WorkerConfigError } from "../../src/worker/worker_errors.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import type { Database } from "../../src/durable/db/database.ts";
import { ClaimLoop } from "../../src/worker/claim_loop.ts";
import type { StepClaimer } from "../../src/worker/step_claimer.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "./_engine.ts";

const HOUR_MS = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TEMPLATE = `
name: flaky
namespace_name: placeholder
version: 1.0.0
steps:
  - name: call
    handler: { callable: idle.flaky }
    retry: { max_attempts: 3, backoff: exponential, backoff_base_ms: 200, max_backoff_ms: 200 }
`;

/** Worker options with only what resolving reads (a stand-in database: resolving reads its kind). */
const base = {
  db: { kind: "pglite" } as unknown as Database,
  templates: new TemplateRegistry(),
  handlers: new HandlerRegistry(),
  namespaces: ["demo"],
};

Deno.test("the listening poll interval defaults to 1 s, or to pollIntervalMs set alone", () => {
  const defaults = resolveWorkerConfig(base);
  assert.equal(defaults.pollIntervalMs, 50);
  assert.equal(defaults.listeningPollIntervalMs, 1000);
  const pollOnly = resolveWorkerConfig({ ...base, pollIntervalMs: 10 });
  assert.equal(pollOnly.listeningPollIntervalMs, 10);
  const both = resolveWorkerConfig({ ...base, pollIntervalMs: 10, listeningPollIntervalMs: 500 });
  assert.equal(both.pollIntervalMs, 10);
  assert.equal(both.listeningPollIntervalMs, 500);
});

Deno.test("a poll interval of 0, below 0 or not a number is refused, naming the option", () => {
  for (const bad of [0, -5, Number.NaN, Infinity]) {
    assert.throws(
      () => resolveWorkerConfig({ ...base, pollIntervalMs: bad }),
      (error: unknown) =>
        error instanceof WorkerConfigError && /^pollIntervalMs must be/.test(error.message) &&
        error.message.includes(String(bad)),
    );
    assert.throws(
      () => resolveWorkerConfig({ ...base, listeningPollIntervalMs: bad }),
      (error: unknown) =>
        error instanceof WorkerConfigError &&
        /^listeningPollIntervalMs must be/.test(error.message),
    );
  }
});

dbTest("an idle listening worker reads its queues seldom, not every poll interval", async (db) => {
  const template = parseTemplateIn(TEMPLATE, uniqueName("idle"));
  await using tasker = await openTasker(db, [template], {
    handlers: new HandlerRegistry().register("idle.flaky", () => success({})),
    pollIntervalMs: 10,
    listeningPollIntervalMs: HOUR_MS,
  });
  const before = tasker.stats().queue_reads;
  await sleep(2000);
  const reads = tasker.stats().queue_reads - before;
  // Backing off from 5 ms by doubling, 2 s hold about nine reads; a 10 ms poll would be ~200.
  assert.ok(reads <= 15, `${reads} reads in 2 s of idling`);
  assert.ok(reads >= 1, "the worker never read its queues");
});

dbTest("a retry the worker scheduled wakes it when due, whatever its idle poll", async (db) => {
  const template = parseTemplateIn(TEMPLATE, uniqueName("idle"));
  let calls = 0;
  await using tasker = await openTasker(db, [template], {
    handlers: new HandlerRegistry().register(
      "idle.flaky",
      () => ++calls === 1 ? failure("not yet", { retryable: true }) : success({ calls }),
    ),
    pollIntervalMs: 10,
    listeningPollIntervalMs: HOUR_MS,
  });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: {},
  });
  // Nothing announces a retry turning visible; the one-hour poll does not hold it back.
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.equal(done.steps.call!.attempts, 2);
  assert.deepEqual(done.steps.call!.result, { calls: 2 });
});

/** Resolves when `check` holds; fails after `ms` instead of hanging. */
async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

Deno.test("wakeAfter reads the queues when due, long before the backed-off idle poll", async () => {
  const empty = { claim: () => Promise.resolve({ read: 0, batches: [], filled: false }) };
  const loop = new ClaimLoop({
    db: {} as unknown as Database,
    claimer: empty as unknown as StepClaimer,
    workerId: "w",
    concurrency: 2,
    pollIntervalMs: HOUR_MS,
    listeningPollIntervalMs: HOUR_MS,
    listening: () => true,
    recordStepTransitions: false,
    start: () => {},
  });
  loop.start();
  try {
    // Ten empty reads (sleeps doubling from 5 ms, ~2.6 s): the next one is 2.56 s away.
    await until("ten idle reads", 20_000, () => loop.reads >= 10);
    const reads = loop.reads;
    // A later time asked first does not hold back an earlier one; it stays pending until stop()
    // clears it (the sanitizers fail the test on a timer left running).
    loop.wakeAfter(HOUR_MS);
    loop.wakeAfter(20);
    await until("the read wakeAfter asked for", 1_500, () => loop.reads > reads);
  } finally {
    await loop.stop();
  }
});
