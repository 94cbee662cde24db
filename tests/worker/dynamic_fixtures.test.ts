// Every tasker-core fixture that uses decision points, batches or checkpoint/yield, in every
// language, end to end on both databases with handlers of our own, giving the results the fact
// sheet lists: conditional approval (with the TypeScript boundary cases), the CSV inventory
// (1000 products → 5 workers; an empty file → zero workers, or the no-op placeholder when the
// analyzer names its worker template), checkpoint/yield, and batch resumption (resumed from 50).
import assert from "node:assert/strict";
import type { TaskTemplate } from "../../src/template/types.ts";
import type { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { registerApproval, registerCheckpoint, registerCsv } from "../fixtures/dynamic_handlers.ts";
import { dbTest } from "../_db.ts";
import { fixtureTemplate, openWith, stepNames } from "./_dynamic.ts";

async function runEach(
  db: import("../../src/durable/db/database.ts").Database,
  paths: string[],
  register: (h: HandlerRegistry, t: TaskTemplate) => void,
  check: (
    t: TaskTemplate,
    run: (context: Record<string, unknown>) => Promise<
      import("../../src/worker/task_status.ts").TaskStatus
    >,
  ) => Promise<void>,
): Promise<void> {
  for (const path of paths) {
    const t = await fixtureTemplate(path, "fx");
    await using tasker = await openWith(db, [t], (h) => register(h, t));
    await check(t, async (context) => {
      const task = await tasker.submit({ namespace: t.namespace_name, name: t.name, context });
      return await tasker.waitFor(task.task_uuid, { timeoutMs: 40_000 });
    });
  }
}

const APPROVALS = [
  "rust/conditional_approval_rust.yaml",
  "typescript/conditional_approval_handler_ts.yaml",
  "typescript/conditional_approval_handler_dsl_ts.yaml",
  "python/conditional_approval_handler_py.yaml",
  "python/conditional_approval_handler_dsl_py.yaml",
  "ruby/conditional_approval_handler.yaml",
  "ruby/conditional_approval_handler_dsl.yaml",
];

dbTest("every conditional-approval fixture routes as tasker-core's e2e tests say", async (db) => {
  await runEach(db, APPROVALS, registerApproval, async (t, run) => {
    const suffix = t.steps.find((s) => s.type === "decision")!.name.slice(
      "routing_decision".length,
    );
    const cases: [number, string[], string][] = [
      [500, ["auto_approve"], "auto"],
      [1000, ["manager_approval"], "manager_only"],
      [5000, ["finance_review", "manager_approval"], "dual_approval"],
    ];
    for (const [amount, branches, path] of cases) {
      const done = await run({
        amount,
        requester: "john.doe",
        purpose: "Office supplies purchase",
      });
      assert.equal(done.status, "complete", `${t.name} ${amount}`);
      assert.deepEqual(
        stepNames(done),
        ["finalize_approval", "routing_decision", "validate_request", ...branches]
          .map((n) => `${n}${suffix}`).sort(),
        `${t.name} ${amount}`,
      );
      const final = done.steps[`finalize_approval${suffix}`]!.result as Record<string, unknown>;
      assert.equal(final.approval_path, path);
    }
  });
});

const CSVS = [
  "rust/batch_processing_products_csv.yaml",
  "typescript/batch_processing_ts.yaml",
  "typescript/batch_processing_dsl_ts.yaml",
  "python/batch_processing_py.yaml",
  "python/batch_processing_dsl_py.yaml",
  "ruby/batch_processing_products_csv.yaml",
  "ruby/batch_processing_products_csv_dsl.yaml",
];

dbTest("every CSV inventory fixture: 1000 products in 5 batches; an empty file", async (db) => {
  await runEach(db, CSVS, registerCsv, async (t, run) => {
    const analyzer = t.steps.find((s) => s.type === "batchable")!;
    const worker = t.steps.find((s) => s.type === "batch_worker")!.name;
    const aggregator = t.steps.find((s) => s.type === "deferred_convergence")!.name;
    const done = await run({ csv_file_path: "generated.csv", csv_rows: 1000 });
    assert.equal(done.status, "complete", `${t.name}: ${JSON.stringify(done.steps)}`);
    const workers = stepNames(done).filter((n) => n.startsWith(`${worker}_`));
    assert.deepEqual(workers, [1, 2, 3, 4, 5].map((i) => `${worker}_00${i}`), t.name);
    const result = done.steps[aggregator]!.result as Record<string, unknown>;
    assert.equal(result.total_processed, 1000);
    assert.equal(result.worker_count, 5);
    assert.ok((result.total_inventory_value as number) > 0);
    assert.ok((result.max_price as number) > 0);
    assert.ok((result.overall_average_rating as number) > 0);
    assert.ok(String(result.max_price_product).length > 0);
    assert.equal(typeof result.category_counts, "object");
    const empty = await run({ csv_file_path: "empty.csv", csv_rows: 0 });
    assert.equal(empty.status, "complete", t.name);
    if (analyzer.handler.initialization.worker_template_name === undefined) {
      // tasker-core's Ruby empty-file e2e: zero workers, no convergence.
      assert.deepEqual(stepNames(empty), [analyzer.name], t.name);
    } else {
      assert.deepEqual(stepNames(empty), [aggregator, analyzer.name, `${worker}_000`].sort());
      assert.equal(empty.steps[aggregator]!.state, "complete");
    }
  });
});

const CHECKPOINTS = [
  "typescript/checkpoint_yield_test_ts.yaml",
  "typescript/checkpoint_yield_test_dsl_ts.yaml",
  "python/checkpoint_yield_test.yaml",
  "python/checkpoint_yield_test_dsl.yaml",
  "ruby/checkpoint_yield_test.yaml",
  "ruby/checkpoint_yield_test_dsl.yaml",
];

dbTest("every checkpoint/yield fixture: 100 items, yields, one attempt", async (db) => {
  await runEach(db, CHECKPOINTS, registerCheckpoint, async (t, run) => {
    const worker = `${t.steps.find((s) => s.type === "batch_worker")!.name}_001`;
    const aggregator = t.steps.find((s) => s.type === "deferred_convergence")!.name;
    const done = await run({ total_items: 100, items_per_checkpoint: 25 });
    assert.equal(done.status, "complete", t.name);
    assert.equal(done.steps[worker]!.attempts, 1);
    assert.ok(done.steps[worker]!.checkpoint!.history.length >= 3);
    const result = done.steps[aggregator]!.result as Record<string, unknown>;
    assert.equal(result.total_processed, 100);
    assert.equal(result.test_passed, true);
  });
});

dbTest("batch resumption (tasker-core fixture): the retry resumes from 50", async (db) => {
  await runEach(db, ["rust/batch_resumption_test.yaml"], registerCheckpoint, async (t, run) => {
    const worker = `${t.steps.find((s) => s.type === "batch_worker")!.name}_001`;
    const done = await run({ dataset_size: 100 });
    assert.equal(done.status, "complete", JSON.stringify(done.steps));
    assert.equal(done.steps[worker]!.attempts, 2);
    const result = done.steps[worker]!.result as Record<string, unknown>;
    assert.equal(result.resumed_from, 50);
    assert.equal(result.items_processed, 100);
  });
});
