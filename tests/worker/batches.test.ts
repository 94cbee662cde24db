// Batch processing: the helpers' JSON and cursor math, the outcome check, tasker-core's batch
// fixtures end to end on both databases (large dataset: 5000 / 50 / 1500 items; the diamond
// decision over batches), parallelism enforced, one failing batch retried alone, each
// failure_strategy, no_batches without a worker template, and a step after a batch
// convergence (which tasker-core runs first, before its batches).
import assert from "node:assert/strict";
import { parseTemplate } from "../../src/template/load.ts";
import {
  batchSuccess,
  createCursorConfigs,
  noBatchesResult,
  readBatchOutcome,
} from "../../src/worker/batches.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { registerBatchExample, registerDiamond } from "../fixtures/dynamic_handlers.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";

/** The parts of a wire-format event these tests read. */
interface Wire {
  event_name: string;
  payload: {
    task_sequence_step: {
      workflow_step: Record<string, unknown>;
      dependency_results: Record<string, unknown>;
    };
  };
}
import { fixtureTemplate, openWith, stepNames } from "./_dynamic.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

Deno.test("cursor configs: ceil(total / count) each, ids 001…", () => {
  assert.deepEqual(createCursorConfigs(1000, 3).map((c) => c.batch_size), [334, 334, 332]);
  assert.deepEqual(createCursorConfigs(2000, 2), [
    { batch_id: "001", start_cursor: 0, end_cursor: 1000, batch_size: 1000 },
    { batch_id: "002", start_cursor: 1000, end_cursor: 2000, batch_size: 1000 },
  ]);
  assert.deepEqual(createCursorConfigs(0, 3), []);
});

Deno.test("batch helpers: Tasker's JSON", () => {
  assert.deepEqual(batchSuccess("process_batch", createCursorConfigs(2000, 2)).result, {
    batch_processing_outcome: {
      type: "create_batches",
      worker_template_name: "process_batch",
      worker_count: 2,
      cursor_configs: createCursorConfigs(2000, 2),
      total_items: 2000,
    },
    worker_count: 2,
  });
  assert.deepEqual(noBatchesResult("dataset_too_small", { dataset_size: 50 }).result, {
    batch_processing_outcome: { type: "no_batches" },
    reason: "dataset_too_small",
    dataset_size: 50,
  });
});

const SIMPLE = (namespace: string, strategy = "fail_fast", parallelism = 10, extra = "") =>
  parseTemplate(`name: batched
namespace_name: ${namespace}
version: 1.0.0
steps:
  - name: scan
    type: batchable
    handler: { callable: b.scan, initialization: { worker_template_name: work } }
  - name: work
    type: batch_worker
    dependencies: [scan]
    handler: { callable: b.work }
    retry: { max_attempts: 3, backoff: none }
    publishes_events:
      - { name: batch.done, condition: success }
    batch_config:
      batch_size: 10
      parallelism: ${parallelism}
      cursor_field: id
      worker_template: work
      failure_strategy: ${strategy}
  - name: sum
    type: deferred_convergence
    dependencies: [work]
    handler: { callable: b.sum }
${extra}`);

Deno.test("batch outcome: a missing outcome, a wrong worker and bad cursors are clear failures", () => {
  const t = SIMPLE("n");
  const scan = t.steps[0]!;
  const check = (result: unknown) => {
    const read = readBatchOutcome(t, scan, success(result));
    assert.ok("failure" in read, `expected a failure for ${JSON.stringify(result)}`);
    assert.equal(read.failure.error.error_type, "InvalidBatchOutcome");
    assert.equal(read.failure.error.retryable, false);
    return read.failure.error.message;
  };
  assert.match(check({ count: 1 }), /no batch_processing_outcome object/);
  const outcome = (o: Record<string, unknown>) => ({
    batch_processing_outcome: { type: "create_batches", worker_template_name: "work", ...o },
  });
  assert.match(
    check(outcome({ worker_template_name: "sum", cursor_configs: createCursorConfigs(10, 1) })),
    /"sum" is not a batch_worker step/,
  );
  assert.match(check(outcome({ cursor_configs: [] })), /non-empty array/);
  assert.match(
    check(
      outcome({ cursor_configs: [...createCursorConfigs(10, 1), ...createCursorConfigs(10, 1)] }),
    ),
    /batch_id "001" appears twice/,
  );
  assert.match(
    check(
      outcome({
        cursor_configs: [{ batch_id: "../x", start_cursor: 0, end_cursor: 1, batch_size: 1 }],
      }),
    ),
    /must be 1-64 letters/,
  );
  const ok = readBatchOutcome(t, scan, batchSuccess("work", createCursorConfigs(20, 2)));
  assert.ok("plan" in ok && ok.plan);
  assert.deepEqual(ok.plan.inputs[1], {
    cursor: { batch_id: "002", start_cursor: 10, end_cursor: 20, batch_size: 10 },
    batch_metadata: { cursor_field: "id", failure_strategy: "fail_fast" },
    is_no_op: false,
    __template_step_name: "work",
  });
});

const worker = (n: number) => `work_${String(n).padStart(3, "0")}`;

dbTest(
  "large dataset (tasker-core fixture): 5000 items → 5 workers, 50 → a no-op placeholder",
  async (db) => {
    const t = await fixtureTemplate("rust/batch_processing_example.yaml", "big");
    await using tasker = await openWith(db, [t], registerBatchExample);
    const run = async (size: number) => {
      const task = await tasker.submit({
        namespace: t.namespace_name,
        name: "large_dataset_processor",
        context: { dataset_size: size },
      });
      assert.equal(task.step_count, 1, "1 step at init");
      return await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
    };
    const big = await run(5000);
    assert.equal(big.status, "complete", JSON.stringify(big.steps));
    assert.deepEqual(stepNames(big), [
      "aggregate_results",
      "analyze_dataset",
      ...[1, 2, 3, 4, 5].map((i) => `process_batch_00${i}`),
    ]);
    for (const step of Object.values(big.steps)) assert.equal(step.state, "complete");
    assert.deepEqual(big.steps.process_batch_003!.result, {
      batch_id: "003",
      processed_count: 1000,
      checkpoints: 10,
    });
    assert.deepEqual(big.steps.aggregate_results!.result, {
      total_processed: 5000,
      worker_count: 5,
      total_checkpoints: 50,
      aggregation_type: "sum",
      validation_passed: true,
    });
    const small = await run(50);
    assert.equal(small.status, "complete");
    assert.deepEqual(stepNames(small), [
      "aggregate_results",
      "analyze_dataset",
      "process_batch_000",
    ]);
    assert.deepEqual(small.steps.process_batch_000!.result, {
      batch_id: "000",
      no_op: true,
      processed_count: 0,
    });
    const aggregate = small.steps.aggregate_results!.result as Record<string, unknown>;
    assert.equal(aggregate.total_processed, 50);
    assert.equal(aggregate.worker_count, 0);
    assert.equal(aggregate.total_checkpoints, 0);
  },
);

dbTest("large dataset: right after submit only the batchable step exists", async (db) => {
  const t = await fixtureTemplate("rust/batch_processing_example.yaml", "big");
  await using tasker = await openWith(db, [t], registerBatchExample, { startWorker: false });
  const task = await tasker.submit({
    namespace: t.namespace_name,
    name: "large_dataset_processor",
    context: { dataset_size: 1500 },
  });
  assert.deepEqual(stepNames(await tasker.status(task.task_uuid)), ["analyze_dataset"]);
});

dbTest("diamond decision over batches (tasker-core fixture): the even path only", async (db) => {
  const t = await fixtureTemplate("rust/diamond_decision_batch.yaml", "ddb");
  await using tasker = await openWith(db, [t], registerDiamond);
  const task = await tasker.submit({
    namespace: t.namespace_name,
    name: "diamond_decision_batch_processor",
    context: { numbers: [2, 4, 6, 8, 10, 12] },
  });
  assert.equal(task.step_count, 4);
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
  assert.equal(done.status, "complete", JSON.stringify(done.steps));
  assert.deepEqual(stepNames(done), [
    "aggregate_even_results",
    "branch_evens",
    "branch_odds",
    "ddb_diamond_start",
    "ddb_routing_decision",
    "even_batch_analyzer",
    "process_even_batch_001",
    "process_even_batch_002",
    "process_even_batch_003",
  ]);
  assert.deepEqual(done.steps.aggregate_even_results!.result, { total: 42, worker_count: 3 });
});

/** Handlers for SIMPLE: `count` items in batches of `per`; `fail(batch, attempt)` decides. */
function simpleHandlers(
  count: number,
  per: number,
  fail: (batch: string, attempt: number) => "retry" | "fatal" | undefined = () => undefined,
  onRun: (batch: string) => Promise<void> | void = () => {},
) {
  return (h: import("../../src/worker/handler_registry.ts").HandlerRegistry) =>
    h.register("b.scan", () => batchSuccess("work", createCursorConfigs(count, count / per)))
      .register("b.work", async (ctx) => {
        const cursor = ctx.batchCursor()!;
        await onRun(cursor.batch_id);
        const verdict = fail(cursor.batch_id, ctx.step.attempts);
        if (verdict) {
          return failure(`batch ${cursor.batch_id} failed`, { retryable: verdict === "retry" });
        }
        return success({ batch: cursor.batch_id, items: cursor.batch_size });
      })
      .register("b.sum", (ctx) => {
        const results = ctx.batchResults<{ items: number }>("work");
        return success({
          batches: Object.keys(results),
          items: Object.values(results).reduce((a, r) => a + r.items, 0),
        });
      })
      .register("b.report", (ctx) => success({ reported: ctx.dependency("sum", "items") }));
}

dbTest(
  "parallelism: at most batch_config.parallelism workers of a batch run at once",
  async (db) => {
    const t = SIMPLE(uniqueName("par"), "fail_fast", 2);
    let running = 0;
    let most = 0;
    const ran: string[] = [];
    await using tasker = await openWith(
      db,
      [t],
      simpleHandlers(60, 10, undefined, async (batch) => {
        running++;
        most = Math.max(most, running);
        ran.push(batch);
        // Hold each worker until a second one runs (or a while passes), so that a missing limit
        // would show as more than two at once.
        for (let i = 0; i < 200 && running < 2 && ran.length < 6; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
      }),
      { concurrency: 10 },
    );
    const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
    const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
    assert.equal(done.status, "complete");
    assert.equal(ran.length, 6, "every batch ran once");
    assert.equal(most, 2, "two at once, never more");
    assert.deepEqual(done.steps.sum!.result, {
      batches: [1, 2, 3, 4, 5, 6].map(worker),
      items: 60,
    });
  },
);

dbTest("one failing batch is retried alone; the convergence sees every batch", async (db) => {
  const t = SIMPLE(uniqueName("retry"));
  const runs = new Map<string, number>();
  await using tasker = await openWith(
    db,
    [t],
    simpleHandlers(
      30,
      10,
      (batch, attempt) => (batch === "002" && attempt === 1 ? "retry" : undefined),
      (b) => {
        runs.set(b, (runs.get(b) ?? 0) + 1);
      },
    ),
  );
  const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(Object.fromEntries(runs), { "001": 1, "002": 2, "003": 1 });
  assert.equal(done.steps.work_002!.attempts, 2);
  assert.equal(done.steps.work_001!.attempts, 1);
  assert.deepEqual(done.steps.sum!.result, { batches: [1, 2, 3].map(worker), items: 30 });
  // Every worker fired its own success event.
  assert.deepEqual(
    done.events.filter((e) => e.event_name === "batch.done").map((e) => e.step_name).sort(),
    [1, 2, 3].map(worker),
  );
  // In Tasker's wire shape: the worker's own name, its template step, its cursor as inputs.
  // As the event's consumers read it: from the namespace's PGMQ queue.
  const queued = await new DurableEventCapture(db).events(t.namespace_name);
  const wire = queued.map((m) => m.event as unknown as Wire).map((event) => ({
    step: event.payload.task_sequence_step.workflow_step,
  })).find((e) => e.step.name === "work_002");
  assert.equal(wire!.step.name, "work_002");
  assert.equal(wire!.step.template_step_name, "work");
  assert.equal(wire!.step.attempts, 2);
  assert.deepEqual((wire!.step.inputs as Record<string, unknown>).cursor, {
    batch_id: "002",
    start_cursor: 10,
    end_cursor: 20,
    batch_size: 10,
  });
});

for (
  const [strategy, later, sum] of [
    ["fail_fast", "pending", "pending"],
    ["continue_on_failure", "complete", "pending"],
    ["isolate", "complete", "complete"],
  ] as const
) {
  dbTest(
    `failure_strategy ${strategy}: what a batch failing for good does to the rest`,
    async (db) => {
      const t = SIMPLE(uniqueName("strat"), strategy, 1);
      await using tasker = await openWith(
        db,
        [t],
        simpleHandlers(30, 10, (batch) => (batch === "001" ? "fatal" : undefined)),
      );
      const task = await tasker.submit({
        namespace: t.namespace_name,
        name: "batched",
        context: {},
      });
      const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
      assert.equal(done.status, "error");
      assert.equal(done.steps.work_001!.state, "error");
      if (later !== "pending") {
        // The other batches run after the failure: wait for them.
        const deadline = Date.now() + 20_000;
        let status = done;
        while (
          (status.steps.work_003?.state !== later ||
            (sum === "complete" && status.steps.sum?.state !== "complete")) && Date.now() < deadline
        ) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          status = await tasker.status(task.task_uuid);
        }
        assert.equal(status.steps.work_002!.state, later);
        assert.equal(status.steps.work_003!.state, later);
        assert.equal(status.steps.sum!.state, sum);
        if (sum === "complete") {
          assert.deepEqual(status.steps.sum!.result, { batches: [2, 3].map(worker), items: 20 });
        }
      } else {
        // Give a wrongly released worker time to run before checking it did not.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const status = await tasker.status(task.task_uuid);
        assert.equal(status.steps.work_002!.state, "pending");
        assert.equal(status.steps.work_003!.state, "pending");
        assert.equal(status.steps.work_002!.attempts, 0);
        assert.equal(status.steps.sum!.state, sum);
      }
    },
  );
}

dbTest(
  "no_batches and no worker_template_name: the task completes after the batchable step",
  async (db) => {
    const namespace = uniqueName("none");
    const t = parseTemplate(`name: batched
namespace_name: ${namespace}
version: 1.0.0
steps:
  - { name: scan, type: batchable, handler: { callable: b.scan } }
  - name: work
    type: batch_worker
    dependencies: [scan]
    handler: { callable: b.work }
    batch_config: { batch_size: 10, parallelism: 2, cursor_field: id, worker_template: work, failure_strategy: fail_fast }
  - { name: sum, type: deferred_convergence, dependencies: [work], handler: { callable: b.sum } }
`);
    await using tasker = await openWith(
      db,
      [t],
      (h) =>
        h.register("b.scan", () => noBatchesResult("empty file"))
          .register("b.work", () => success(null))
          .register("b.sum", () => success(null)),
    );
    const task = await tasker.submit({ namespace, name: "batched", context: {} });
    const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    assert.deepEqual(stepNames(done), ["scan"]);
  },
);

dbTest("a step after a batch convergence runs last, with the convergence's result", async (db) => {
  const t = SIMPLE(
    uniqueName("after"),
    "fail_fast",
    10,
    "  - { name: report, dependencies: [sum], handler: { callable: b.report } }\n",
  );
  await using tasker = await openWith(db, [t], simpleHandlers(40, 10));
  const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
  assert.equal(task.step_count, 1);
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(done.steps.report!.result, { reported: 40 });
  assert.equal(stepNames(done).length, 1 + 4 + 2);
});

dbTest("an invalid batch outcome fails the batchable step for good", async (db) => {
  const t = SIMPLE(uniqueName("badb"));
  await using tasker = await openWith(
    db,
    [t],
    (h) =>
      h.register("b.scan", () => batchSuccess("sum", createCursorConfigs(10, 1)))
        .register("b.work", () => success(null))
        .register("b.sum", () => success(null)),
  );
  const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "error");
  assert.equal(done.steps.scan!.error?.error_type, "InvalidBatchOutcome");
  assert.deepEqual(stepNames(done), ["scan"]);
});

dbTest("a convergence's events carry every batch worker in dependency_results", async (db) => {
  const namespace = uniqueName("deps");
  const t = parseTemplate(`name: batched
namespace_name: ${namespace}
version: 1.0.0
steps:
  - { name: scan, type: batchable, handler: { callable: b.scan } }
  - name: work
    type: batch_worker
    dependencies: [scan]
    handler: { callable: b.work }
    batch_config: { batch_size: 10, parallelism: 5, cursor_field: id, worker_template: work, failure_strategy: fail_fast }
  - name: sum
    type: deferred_convergence
    dependencies: [work]
    handler: { callable: b.sum }
    publishes_events:
      - { name: sum.done, condition: success }
`);
  await using tasker = await openWith(db, [t], simpleHandlers(20, 10));
  const task = await tasker.submit({ namespace, name: "batched", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
  assert.equal(done.status, "complete");
  const queued = await new DurableEventCapture(db).events(t.namespace_name);
  const sum = queued.map((m) => m.event as unknown as Wire).find((e) =>
    e.event_name === "sum.done"
  )!;
  assert.deepEqual(Object.keys(sum.payload.task_sequence_step.dependency_results).sort(), [
    "scan",
    "work_001",
    "work_002",
  ]);
});

dbTest(
  "fail_fast: a batch that failed for good starts no worker when another completes",
  async (db) => {
    const t = SIMPLE(uniqueName("ff"), "fail_fast", 2);
    let failed!: () => void;
    const failedRecorded = new Promise<void>((resolve) => (failed = resolve));
    await using tasker = await openWith(
      db,
      [t],
      simpleHandlers(40, 10, (batch) => (batch === "001" ? "fatal" : undefined), async (batch) => {
        // Batch 002 completes only after batch 001's failure is recorded.
        if (batch === "002") await failedRecorded;
      }),
    );
    taskerEngine(tasker).worker.onOutcome((claim, outcome) => {
      if (claim.step.name === "work_001" && outcome.state === "error") failed();
    });
    const task = await tasker.submit({ namespace: t.namespace_name, name: "batched", context: {} });
    const deadline = Date.now() + 20_000;
    let status = await tasker.status(task.task_uuid);
    while (status.steps.work_002?.state !== "complete" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await tasker.status(task.task_uuid);
    }
    assert.equal(status.steps.work_002?.state, "complete");
    // Give a wrongly released worker time to run before checking it did not.
    await new Promise((resolve) => setTimeout(resolve, 300));
    status = await tasker.status(task.task_uuid);
    assert.equal(status.status, "error");
    assert.deepEqual(
      [status.steps.work_003!.state, status.steps.work_004!.state],
      ["pending", "pending"],
    );
  },
);
