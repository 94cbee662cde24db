// The task engine end to end on both databases: exact results of the example workflows,
// input validation, retries with backoff, timeouts, and which domain events fire on each path.
import assert from "node:assert/strict";
import { TaskContextError } from "../../src/worker/submit.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "./_engine.ts";

dbTest("linear workflow: 6 → 36 → 46 → 138 → 69", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "lin");
  await using tasker = await openTasker(db, [template]);
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: { even_number: 6 },
  });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(
    Object.fromEntries(Object.entries(done.steps).map(([name, s]) => [name, s.result])),
    { linear_step_1: 36, linear_step_2: 46, linear_step_3: 138, linear_step_4: 69 },
  );
  assert.ok(Object.values(done.steps).every((s) => s.attempts === 1));
});

dbTest("diamond, tree and mixed DAG give exact results", async (db) => {
  const diamond = await exampleTemplate("diamond_workflow/parallel_computation.yaml", "dia");
  const tree = await exampleTemplate("tree_workflow/hierarchical_tree.yaml", "tree");
  const dag = await exampleTemplate("mixed_dag_workflow/complex_dag.yaml", "dag");
  await using tasker = await openTasker(db, [diamond, tree, dag]);
  const run = async (t: typeof diamond) => {
    const task = await tasker.submit({
      namespace: t.namespace_name,
      name: t.name,
      context: { even_number: 6 },
    });
    return await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  };
  const [d, tr, dg] = await Promise.all([run(diamond), run(tree), run(dag)]);
  assert.equal(d.status, "complete");
  assert.equal(d.steps.diamond_end!.result, 66.5);
  const sixTo64 = (6n ** 64n).toString();
  assert.equal(tr.steps.tree_final_convergence!.result, sixTo64);
  assert.equal(tr.steps.tree_leaf_d!.result, 6 ** 8);
  assert.equal(dg.steps.dag_finalize!.result, sixTo64);
  assert.equal(dg.steps.dag_validate!.result, 6 ** 16);
});

dbTest("order fulfillment: exact money, and a total over 50,000 fails permanently", async (db) => {
  const template = await exampleTemplate("order_fulfillment/business_workflow.yaml", "ord");
  await using tasker = await openTasker(db, [template]);
  const order = (price: number) => ({
    customer: { id: "C1", name: "Ada", email: "ada@example.com" },
    items: [{ sku: "A", quantity: 2, price: 29.99 }, { sku: "B", quantity: 1, price }],
    payment: { method: "credit_card", token: "tok_visa" },
    shipping: { method: "standard", address: "1 Main St" },
  });
  const ok = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: order(149.99),
  });
  const big = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: order(60_000),
  });
  const okDone = await tasker.waitFor(ok.task_uuid, { timeoutMs: 20_000 });
  const bigDone = await tasker.waitFor(big.task_uuid, { timeoutMs: 20_000 });
  assert.equal(okDone.status, "complete");
  assert.equal(
    (okDone.steps.validate_order!.result as { order_total: number }).order_total,
    209.97,
  );
  assert.equal(bigDone.status, "error");
  assert.equal(bigDone.steps.validate_order!.state, "error");
  assert.equal(bigDone.steps.validate_order!.attempts, 1, "a permanent failure is not retried");
  assert.equal(bigDone.steps.reserve_inventory!.state, "pending");
});

dbTest("a context failing input_schema is rejected before anything is written", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "lin");
  await using tasker = await openTasker(db, [template]);
  await assert.rejects(
    tasker.submit({
      namespace: template.namespace_name,
      name: template.name,
      context: { even_number: 7 },
    }),
    (error: unknown) => {
      assert.ok(error instanceof TaskContextError);
      assert.deepEqual(error.failures.map((f) => f.pointer), ["/even_number"]);
      assert.match(error.message, /\/even_number must be multiple of 2/);
      return true;
    },
  );
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.tasks WHERE namespace = $1",
    [template.namespace_name],
  );
  assert.equal(rows[0]!.n, 0);
});
