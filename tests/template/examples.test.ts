import assert from "node:assert/strict";
import { loadTemplateFile, type TaskTemplate } from "../../src/template/mod.ts";

const load = (path: string): Promise<TaskTemplate> =>
  loadTemplateFile(new URL(`../../templates/${path}`, import.meta.url).pathname);

/** step name -> its dependencies, as the template declares them. */
const graph = (template: TaskTemplate): Record<string, string[]> =>
  Object.fromEntries(template.steps.map((step) => [step.name, step.dependencies]));

const EVEN_NUMBER_FILES = [
  "linear_workflow/mathematical_sequence.yaml",
  "diamond_workflow/parallel_computation.yaml",
  "tree_workflow/hierarchical_tree.yaml",
  "mixed_dag_workflow/complex_dag.yaml",
];

Deno.test("the arithmetic examples accept an even number in 2..100 only", async () => {
  for (const file of EVEN_NUMBER_FILES) {
    const schema = (await load(file)).input_schema!;
    assert.deepEqual(schema.validate({ even_number: 2 }), [], file);
    assert.deepEqual(schema.validate({ even_number: 100 }), [], file);
    for (const bad of [{ even_number: 3 }, { even_number: 0 }, { even_number: 102 }, {}]) {
      assert.notDeepEqual(schema.validate(bad), [], `${file} rejects ${JSON.stringify(bad)}`);
    }
  }
});

Deno.test("the workflow examples have the documented shapes", async () => {
  assert.deepEqual(graph(await load("linear_workflow/mathematical_sequence.yaml")), {
    linear_step_1: [],
    linear_step_2: ["linear_step_1"],
    linear_step_3: ["linear_step_2"],
    linear_step_4: ["linear_step_3"],
  });
  assert.deepEqual(graph(await load("diamond_workflow/parallel_computation.yaml")), {
    diamond_start: [],
    diamond_branch_b: ["diamond_start"],
    diamond_branch_c: ["diamond_start"],
    diamond_end: ["diamond_branch_b", "diamond_branch_c"],
  });
  assert.deepEqual(graph(await load("tree_workflow/hierarchical_tree.yaml")), {
    tree_root: [],
    tree_branch_left: ["tree_root"],
    tree_branch_right: ["tree_root"],
    tree_leaf_d: ["tree_branch_left"],
    tree_leaf_e: ["tree_branch_left"],
    tree_leaf_f: ["tree_branch_right"],
    tree_leaf_g: ["tree_branch_right"],
    tree_final_convergence: ["tree_leaf_d", "tree_leaf_e", "tree_leaf_f", "tree_leaf_g"],
  });
  assert.deepEqual(graph(await load("mixed_dag_workflow/complex_dag.yaml")), {
    dag_init: [],
    dag_process_left: ["dag_init"],
    dag_process_right: ["dag_init"],
    dag_validate: ["dag_process_left", "dag_process_right"],
    dag_transform: ["dag_process_left"],
    dag_analyze: ["dag_process_right"],
    dag_finalize: ["dag_validate", "dag_transform", "dag_analyze"],
  });
});

Deno.test("order_fulfillment validates its order input", async () => {
  const template = await load("order_fulfillment/business_workflow.yaml");
  assert.deepEqual(graph(template), {
    validate_order: [],
    reserve_inventory: ["validate_order"],
    process_payment: ["reserve_inventory"],
    ship_order: ["process_payment"],
  });
  assert.equal(template.steps[2]?.retry.max_attempts, 2);
  const order = {
    customer: { id: "c1", name: "Ada", email: "ada@example.com" },
    items: [{ sku: "SKU-1", quantity: 2, price: 9.5 }],
    payment: { method: "card", token: "tok_1" },
    shipping: { method: "standard", address: "1 Main St" },
  };
  const schema = template.input_schema!;
  assert.deepEqual(schema.validate(order), []);
  assert.deepEqual(
    schema.validate({ ...order, items: [] }).map((f) => f.pointer),
    ["/items"],
  );
  assert.deepEqual(
    schema.validate({ ...order, items: [{ sku: "S", quantity: 0, price: -1 }] })
      .map((f) => f.pointer),
    ["/items/0/quantity", "/items/0/price"],
  );
  assert.deepEqual(
    schema.validate({ customer: order.customer }).map((f) => f.pointer).sort(),
    ["/items", "/payment", "/shipping"],
  );
});

Deno.test("domain_events declares the seed's events", async () => {
  const template = await load("domain_events/domain_event_publishing.yaml");
  assert.deepEqual(graph(template), {
    validate_order: [],
    process_payment: ["validate_order"],
    update_inventory: ["process_payment"],
    send_notification: ["update_inventory"],
  });
  const events = template.steps.flatMap((step) =>
    step.publishes_events.map((e) =>
      [step.name, e.name, e.condition, e.delivery_mode, e.publisher ?? "-"].join(" ")
    )
  );
  assert.deepEqual(events, [
    "validate_order order.validated success fast -",
    "process_payment payment.processed success broadcast PaymentEventPublisher",
    "process_payment payment.failed.retryable retryable_failure fast -",
    "process_payment payment.failed.permanent permanent_failure durable -",
    "update_inventory inventory.updated always durable InventoryEventPublisher",
    "send_notification notification.sent success broadcast NotificationEventPublisher",
  ]);
  const payment = template.steps[1]!;
  assert.deepEqual(
    { max: payment.retry.max_attempts, backoff: payment.retry.backoff },
    { max: 3, backoff: "exponential" },
  );
  assert.equal(payment.retry.backoff_base_ms, 100);

  const schemaOf = (name: string) =>
    template.steps.flatMap((s) => s.publishes_events).find((e) => e.name === name)!.schema!;
  const ok = (name: string, payload: unknown) =>
    assert.deepEqual(schemaOf(name).validate(payload), [], name);
  ok("order.validated", { order_id: "o1", validation_timestamp: "2025-01-01T00:00:00Z" });
  ok("payment.processed", { transaction_id: "t1", amount: 10.5, currency: "USD" });
  ok("payment.failed.retryable", { error_code: "TIMEOUT", error_message: "slow", attempt: 1 });
  ok("payment.failed.permanent", { error_code: "DECLINED", error_message: "no" });
  ok("inventory.updated", { order_id: "o1", success: true, items_updated: 2 });
  ok("inventory.updated", { order_id: "o1", success: false, error_message: "out of stock" });
  ok("notification.sent", { notification_id: "n1", channel: "email" });
  assert.notDeepEqual(schemaOf("payment.processed").validate({ transaction_id: "t1" }), []);

  const input = template.input_schema!;
  assert.deepEqual(input.validate({ order_id: "o1", customer_id: "c1", amount: 0.01 }), []);
  assert.deepEqual(
    input.validate({ order_id: "o1", customer_id: "c1", amount: 5, simulate_failure: "permanent" }),
    [],
  );
  assert.deepEqual(
    input.validate({ order_id: "o1", customer_id: "c1", amount: 0 }).map((f) => f.pointer),
    ["/amount"],
  );
  assert.deepEqual(
    input.validate({ order_id: "o1", customer_id: "c1", amount: 1, simulate_failure: "x" })
      .map((f) => f.pointer),
    ["/simulate_failure"],
  );
});
