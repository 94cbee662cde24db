import assert from "node:assert/strict";
import { applyPublisher } from "../../src/events/publisher.ts";
import type { StepEventContext } from "../../src/events/context.ts";
import { buildStepEventContext } from "../../src/events/wire.ts";
import type { JsonObject } from "../../src/events/types.ts";
import {
  InventoryEventPublisher,
  NotificationEventPublisher,
  PaymentEventPublisher,
} from "../../templates/domain_events/publishers.ts";
import { firedEvents, loadExample, runStep, runWorkflow, stepOf } from "./_helpers.ts";

const template = await loadExample("domain_events/domain_event_publishing.yaml");
const ORDER = {
  order_id: "ORD-1001",
  customer_id: "CUST-7",
  amount: 99.5,
  items: [{ sku: "BOOK-1", quantity: 2 }, { sku: "PEN-3", quantity: 1 }],
};

/** Runs the steps before `stepName` successfully and returns their results. */
async function upTo(stepName: string, context: JsonObject): Promise<Record<string, unknown>> {
  const done: Record<string, unknown> = {};
  for (const step of template.steps) {
    if (step.name === stepName) break;
    const { result } = await runStep(template, step.name, context, done);
    assert.ok(result.success, `${step.name}: ${JSON.stringify(result)}`);
    done[step.name] = result.result;
  }
  return done;
}

Deno.test("domain_events: a good order fires every success event, each fitting its schema", async () => {
  const done: Record<string, unknown> = {};
  const fired: Record<string, JsonObject> = {};
  for (const step of template.steps) {
    const attempt = await runStep(template, step.name, ORDER, done);
    assert.ok(attempt.result.success, step.name);
    done[step.name] = attempt.result.result;
    // firedEvents asserts each payload against the declaration's schema.
    for (const event of firedEvents(template, attempt)) {
      fired[event.declaration.name] = event.payload;
    }
  }
  assert.deepEqual(Object.keys(fired).sort(), [
    "inventory.updated",
    "notification.sent",
    "order.validated",
    "payment.processed",
  ]);
  assert.equal(fired["order.validated"]!.order_id, "ORD-1001");
  assert.equal(fired["inventory.updated"]!.items_updated, 2);
  assert.deepEqual(fired["notification.sent"], {
    notification_id: "NOTIF-00000000ABCD",
    channel: "email",
    recipient: "CUST-7",
  });
  const payment = fired["payment.processed"]!;
  assert.equal(payment.transaction_id, "TXN-00000000ABCD");
  assert.equal(payment.amount, 99.5);
  assert.equal(payment.currency, "USD");
  assert.equal(payment.status, "completed");
  assert.equal(typeof payment.processed_at, "string");
});

Deno.test("domain_events: simulate_failure=retryable fails the first payment attempt only", async () => {
  const context = { ...ORDER, simulate_failure: "retryable" };
  const done = await upTo("process_payment", context);

  const first = await runStep(template, "process_payment", context, done, 1);
  assert.equal(first.result.success, false);
  if (first.result.success) return;
  assert.equal(first.result.error.retryable, true);
  assert.equal(first.result.error.error_code, "GATEWAY_TIMEOUT");
  assert.deepEqual(firedEvents(template, first).map((e) => e.declaration.name), [
    "payment.failed.retryable",
  ]);

  const second = await runStep(template, "process_payment", context, done, 2);
  assert.ok(second.result.success);
  assert.deepEqual(firedEvents(template, second).map((e) => e.declaration.name), [
    "payment.processed",
  ]);
});

Deno.test("domain_events: simulate_failure=permanent fails for good and fires the DLQ event", async () => {
  const context = { ...ORDER, simulate_failure: "permanent" };
  const done = await upTo("process_payment", context);
  for (const attempts of [1, 2]) {
    const attempt = await runStep(template, "process_payment", context, done, attempts);
    assert.equal(attempt.result.success, false);
    if (attempt.result.success) return;
    assert.equal(attempt.result.error.retryable, false);
    assert.equal(attempt.result.error.error_code, "PAYMENT_DECLINED");
    const [event, ...rest] = firedEvents(template, attempt);
    assert.equal(rest.length, 0);
    assert.equal(event?.declaration.name, "payment.failed.permanent");
    assert.equal(event?.payload.error_code, "PAYMENT_DECLINED");
  }
});

Deno.test("domain_events: bad input is a permanent ValidationError", async () => {
  for (
    const bad of [
      { ...ORDER, order_id: "" },
      { ...ORDER, amount: -1 },
      { ...ORDER, items: "many" },
      { ...ORDER, simulate_failure: "sometimes" },
    ]
  ) {
    const { result } = await runStep(template, "validate_order", bad);
    assert.equal(result.success, false, JSON.stringify(bad));
    if (result.success) continue;
    assert.equal(result.error.error_type, "ValidationError");
    assert.equal(result.error.retryable, false);
  }
});

Deno.test("domain_events: without items the inventory update reports zero items", async () => {
  const { items: _, ...order } = ORDER;
  const results = await runWorkflow(template, order);
  assert.equal((results.update_inventory as JsonObject).items_updated, 0);
});

function eventContext(
  eventName: string,
  stepName: string,
  result: StepEventContext["result"],
): StepEventContext {
  const step = stepOf(template, stepName);
  const declaration = step.publishes_events.find((e) => e.name === eventName)!;
  return buildStepEventContext({
    event: declaration,
    task: {
      task_uuid: "0193a3c4-1111-7000-8000-000000000001",
      namespace: "domain_events",
      name: template.name,
      version: template.version,
      context: ORDER,
      correlation_id: "0193a3c4-0000-7000-8000-000000000001",
    },
    step: {
      step_uuid: "0193a3c4-2222-7000-8000-000000000002",
      name: stepName,
      attempts: 1,
      max_attempts: 3,
      retryable: true,
      handler_callable: step.handler.callable,
    },
    result,
    definition: step,
  });
}

Deno.test("PaymentEventPublisher: pure, schema-valid payload, provider metadata", () => {
  const ctx = eventContext("payment.processed", "process_payment", {
    success: true,
    result: { transaction_id: "TXN-1", amount_charged: 12.5, status: "completed" },
    metadata: { payment_provider: "stripe" },
  });
  const first = applyPublisher(PaymentEventPublisher, ctx);
  const second = applyPublisher(PaymentEventPublisher, ctx);
  assert.deepEqual(first, second, "same context, same event");
  assert.equal(first.skip, false);
  if (first.skip) return;
  assert.deepEqual(first.payload, {
    transaction_id: "TXN-1",
    amount: 12.5,
    currency: "USD",
    status: "completed",
  });
  assert.deepEqual(ctx.event.schema?.validate(first.payload), []);
  assert.deepEqual(first.extraMetadata, { payment_provider: "stripe", publisher_type: "custom" });
  assert.equal(first.firedBy, "PaymentEventPublisher");

  const noTransaction = eventContext("payment.processed", "process_payment", {
    success: true,
    result: { status: "pending" },
  });
  assert.deepEqual(applyPublisher(PaymentEventPublisher, noTransaction), { skip: true });
});

Deno.test("PaymentEventPublisher: a failure becomes an error payload fitting the failure schema", () => {
  const ctx = eventContext("payment.failed.permanent", "process_payment", {
    success: false,
    error: { message: "declined", error_type: "PaymentError", error_code: "PAYMENT_DECLINED" },
  });
  const applied = applyPublisher(PaymentEventPublisher, ctx);
  assert.equal(applied.skip, false);
  if (applied.skip) return;
  assert.deepEqual(applied.payload, {
    error_code: "PAYMENT_DECLINED",
    error_message: "declined",
    attempt: 1,
  });
  assert.deepEqual(ctx.event.schema?.validate(applied.payload), []);
});

Deno.test("NotificationEventPublisher: defaults the channel and the recipient", () => {
  const ctx = eventContext("notification.sent", "send_notification", {
    success: true,
    result: { notification_id: "NOTIF-9" },
  });
  const applied = applyPublisher(NotificationEventPublisher, ctx);
  assert.equal(applied.skip, false);
  if (applied.skip) return;
  assert.deepEqual(applied.payload, {
    notification_id: "NOTIF-9",
    channel: "email",
    recipient: "CUST-7",
  });
  assert.deepEqual(ctx.event.schema?.validate(applied.payload), []);

  const failed = eventContext("notification.sent", "send_notification", {
    success: false,
    error: { message: "smtp down" },
  });
  assert.deepEqual(applyPublisher(NotificationEventPublisher, failed), { skip: true });
});

Deno.test("InventoryEventPublisher: a failed update still yields a schema-valid audit event", () => {
  const declaration = stepOf(template, "update_inventory").publishes_events[0]!;
  const ctx: StepEventContext = buildStepEventContext({
    event: declaration,
    task: {
      task_uuid: "0190e0a0-0000-7000-8000-000000000001",
      namespace: "domain_events",
      name: template.name,
      version: template.version,
      context: ORDER,
      correlation_id: "0190e0a0-0000-7000-8000-0000000000c1",
    },
    step: {
      step_uuid: "0190e0a0-0000-7000-8000-000000000002",
      name: "update_inventory",
      attempts: 3,
      max_attempts: 3,
      retryable: true,
      handler_callable: "domain_events.update_inventory",
    },
    result: { success: false, error: { message: "warehouse offline", error_type: "IOError" } },
  });
  const applied = applyPublisher(InventoryEventPublisher, ctx);
  assert.equal(applied.skip, false);
  if (applied.skip) return;
  assert.deepEqual(applied.payload, {
    order_id: "ORD-1001",
    success: false,
    error_message: "warehouse offline",
  });
  assert.deepEqual(declaration.schema!.validate(applied.payload), []);
});
