import assert from "node:assert/strict";
import type { JsonObject } from "../../src/events/types.ts";
import type { StepFailure, StepResult } from "../../src/worker/step_handler.ts";
import { loadExample, runStep, runWorkflow, TASK_UUID } from "./_helpers.ts";

const template = await loadExample("order_fulfillment/business_workflow.yaml");

function order(overrides: JsonObject = {}): JsonObject {
  return {
    customer: { id: "cust_42", name: "Ada Lovelace", email: "ada@example.com" },
    items: [
      { sku: "WIDGET-1", quantity: 2, price: 29.99 },
      { sku: "GADGET-9", quantity: 1, price: 149.99 },
    ],
    payment: { method: "credit_card", token: "tok_visa" },
    shipping: { method: "express", address: "1 Analytical Way, London" },
    ...overrides,
  };
}

function permanent(result: StepResult, errorType: string, errorCode?: string): StepFailure {
  assert.equal(result.success, false, JSON.stringify(result));
  const failed = result as StepFailure;
  assert.equal(failed.error.retryable, false);
  assert.equal(failed.error.error_type, errorType);
  if (errorCode !== undefined) assert.equal(failed.error.error_code, errorCode);
  return failed;
}

Deno.test("order_fulfillment: a valid order is validated, reserved, charged and shipped", async () => {
  const results = await runWorkflow(template, order()) as Record<string, Record<string, unknown>>;
  const validated = results.validate_order!;
  assert.equal(validated.order_total, 209.97);
  assert.equal(JSON.stringify(validated.order_total), "209.97");
  assert.equal(validated.order_total_cents, 20997);
  assert.equal(validated.item_count, 2);
  assert.equal(validated.customer_id, "cust_42");
  assert.ok(!Number.isNaN(Date.parse(validated.validated_at as string)));

  const reserved = results.reserve_inventory!;
  assert.equal(reserved.reservation_id, "RES-00000000ABCD");
  assert.deepEqual(reserved.reserved_items, [
    { sku: "WIDGET-1", quantity: 2, status: "reserved" },
    { sku: "GADGET-9", quantity: 1, status: "reserved" },
  ]);

  const payment = results.process_payment!;
  assert.equal(payment.payment_id, "PAY-00000000ABCD");
  assert.equal(payment.amount_charged, 209.97);
  assert.equal(payment.status, "succeeded");

  const shipment = results.ship_order!;
  assert.equal(shipment.carrier, "FedEx");
  assert.equal(shipment.tracking_number, "TRK-FEDEX-00000000ABCD");
  const days = (Date.parse(shipment.estimated_delivery as string) -
    Date.parse((shipment.shipped_at as string).slice(0, 10))) / 86_400_000;
  assert.equal(days, 2, "express arrives two days after shipping");
});

Deno.test("order_fulfillment: totals are summed in integer cents, not floating point", async () => {
  // 3 x 1.10 in floating point is 3.3000000000000003; in cents it is exactly 330.
  assert.notEqual(3 * 1.1, 3.3);
  const { result } = await runStep(
    template,
    "validate_order",
    order({ items: [{ sku: "PEN", quantity: 3, price: 1.1 }] }),
  );
  assert.ok(result.success);
  assert.equal((result.result as JsonObject).order_total, 3.3);
  assert.equal((result.result as JsonObject).order_total_cents, 330);
});

Deno.test("order_fulfillment: the ids are the same on a retry of the same task", async () => {
  const first = await runWorkflow(template, order());
  const again = await runStep(template, "process_payment", order(), first, 2);
  assert.equal(again.ctx.isRetry, true);
  assert.ok(again.result.success);
  assert.equal(
    (again.result.result as JsonObject).payment_id,
    `PAY-${TASK_UUID.slice(-12)}`.toUpperCase(),
  );
});

Deno.test("order_fulfillment: a total over 50,000 is a permanent failure; 50,000 passes", async () => {
  const over = await runStep(
    template,
    "validate_order",
    order({ items: [{ sku: "YACHT", quantity: 1, price: 50_000.01 }] }),
  );
  const failed = permanent(over.result, "ValidationError", "ORDER_TOTAL_EXCEEDS_LIMIT");
  assert.match(failed.error.message, /50000\.01 exceeds the limit of 50000/);

  const limit = await runStep(
    template,
    "validate_order",
    order({ items: [{ sku: "CAR", quantity: 2, price: 25_000 }] }),
  );
  assert.ok(limit.result.success);
  assert.equal((limit.result.result as JsonObject).order_total, 50_000);
});

Deno.test("order_fulfillment: invalid orders fail validation for good", async () => {
  const cases: [JsonObject, RegExp][] = [
    [{ customer: { id: "c", name: "Ada", email: "not-an-email" } }, /customer\.email/],
    [{ customer: { id: "c", name: "", email: "a@b.c" } }, /customer\.name/],
    [{ items: [] }, /items must be a non-empty array/],
    [{ items: [{ sku: "A", quantity: 0, price: 1 }] }, /items\[0\]\.quantity/],
    [{ items: [{ sku: "A", quantity: 1, price: -1 }] }, /items\[0\]\.price/],
  ];
  for (const [overrides, message] of cases) {
    const { result } = await runStep(template, "validate_order", order(overrides));
    assert.match(permanent(result, "ValidationError").error.message, message);
  }
});

Deno.test("order_fulfillment: tok_decline is a permanent PAYMENT_DECLINED failure", async () => {
  const context = order({ payment: { method: "credit_card", token: "tok_decline" } });
  const done: Record<string, unknown> = {};
  for (const step of ["validate_order", "reserve_inventory"]) {
    const { result } = await runStep(template, step, context, done);
    assert.ok(result.success);
    done[step] = result.result;
  }
  const { result } = await runStep(template, "process_payment", context, done);
  permanent(result, "PaymentError", "PAYMENT_DECLINED");
});

Deno.test("order_fulfillment: an unknown shipping method fails for good, listing the known", async () => {
  const context = order({ shipping: { method: "teleport", address: "Mars" } });
  const { result } = await runStep(template, "ship_order", context, {
    process_payment: { payment_id: "PAY-1" },
  });
  const failed = permanent(result, "ValidationError", "UNKNOWN_SHIPPING_METHOD");
  assert.match(failed.error.message, /standard, express, overnight, got "teleport"/);
});
