/**
 * Handlers of `domain_events/domain_event_publishing`, the domain-event showcase: validate the
 * order, charge it, update the inventory, notify the customer. Their results carry what the
 * declared events' schemas require. `simulate_failure` in the task context exercises the failure
 * events: `retryable` makes the first payment attempt fail with a retryable error (the retry
 * succeeds), `permanent` makes every payment attempt fail for good.
 *
 * @module
 */

import {
  failure,
  type StepContext,
  type StepFailure,
  type StepHandlerFunction,
  type StepResult,
  success,
} from "../../src/worker/step_handler.ts";
import { isRecord, taskDerivedId } from "../shared.ts";

function invalid(message: string): StepFailure {
  return failure(message, {
    errorType: "ValidationError",
    errorCode: "INVALID_ORDER",
    retryable: false,
  });
}

function nonEmptyString(ctx: StepContext, key: string): string | StepFailure {
  const value = ctx.input(key);
  return typeof value === "string" && value !== ""
    ? value
    : invalid(`${key} must be a non-empty string, got ${JSON.stringify(value) ?? "none"}`);
}

function orderItems(ctx: StepContext): unknown[] {
  const items = ctx.input("items");
  return Array.isArray(items) ? items : [];
}

function validateOrder(ctx: StepContext): StepResult {
  const orderId = nonEmptyString(ctx, "order_id");
  if (typeof orderId !== "string") return orderId;
  const customerId = nonEmptyString(ctx, "customer_id");
  if (typeof customerId !== "string") return customerId;
  const amount = ctx.input("amount");
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount <= 0) {
    return invalid(`amount must be a positive number, got ${JSON.stringify(amount) ?? "none"}`);
  }
  const items = ctx.input("items");
  if (items !== undefined && !Array.isArray(items)) return invalid("items must be an array");
  const simulate = ctx.input("simulate_failure");
  if (simulate !== undefined && simulate !== "retryable" && simulate !== "permanent") {
    return invalid(
      `simulate_failure must be "retryable" or "permanent", got ${JSON.stringify(simulate)}`,
    );
  }
  return success({
    order_id: orderId,
    customer_id: customerId,
    amount,
    item_count: orderItems(ctx).length,
    valid: true,
    validation_timestamp: new Date().toISOString(),
  });
}

function processPayment(ctx: StepContext): StepResult {
  const orderId = ctx.dependency("validate_order", "order_id");
  const amount = ctx.dependency("validate_order", "amount");
  if (typeof orderId !== "string" || typeof amount !== "number") {
    return failure(`step ${ctx.step.name} needs validate_order's order_id and amount`, {
      errorType: "InvalidDependencyResult",
      retryable: false,
    });
  }
  const simulate = ctx.input("simulate_failure");
  if (simulate === "retryable" && !ctx.isRetry) {
    return failure("the payment gateway timed out (simulated); the retry will succeed", {
      errorType: "PaymentGatewayError",
      errorCode: "GATEWAY_TIMEOUT",
      retryable: true,
      metadata: { attempt: ctx.step.attempts, payment_provider: "example_gateway" },
    });
  }
  if (simulate === "permanent") {
    return failure("the card was declined (simulated)", {
      errorType: "PaymentError",
      errorCode: "PAYMENT_DECLINED",
      retryable: false,
      metadata: { attempt: ctx.step.attempts, payment_provider: "example_gateway" },
    });
  }
  return success({
    transaction_id: taskDerivedId("TXN", ctx.task.task_uuid),
    order_id: orderId,
    amount,
    currency: "USD",
    payment_method: "credit_card",
    status: "completed",
    processed_at: new Date().toISOString(),
  }, { payment_provider: "example_gateway" });
}

function updateInventory(ctx: StepContext): StepResult {
  const orderId = ctx.dependency("validate_order", "order_id");
  if (typeof orderId !== "string") {
    return failure(`step ${ctx.step.name} needs validate_order's order_id`, {
      errorType: "InvalidDependencyResult",
      retryable: false,
    });
  }
  const changes = orderItems(ctx).map((item, index) => {
    const record = isRecord(item) ? item : {};
    const sku = record.sku ?? record.product_id ?? `item_${index + 1}`;
    const quantity = typeof record.quantity === "number" ? record.quantity : 1;
    return { sku: String(sku), quantity_decremented: quantity };
  });
  return success({
    order_id: orderId,
    items_updated: changes.length,
    inventory_changes: changes,
    updated_at: new Date().toISOString(),
  });
}

function sendNotification(ctx: StepContext): StepResult {
  const orderId = ctx.dependency("validate_order", "order_id");
  const customerId = ctx.dependency("validate_order", "customer_id");
  const transactionId = ctx.dependency("process_payment", "transaction_id");
  if (
    typeof orderId !== "string" || typeof customerId !== "string" ||
    typeof transactionId !== "string"
  ) {
    return failure(
      `step ${ctx.step.name} needs validate_order's order_id and customer_id and ` +
        "process_payment's transaction_id",
      { errorType: "InvalidDependencyResult", retryable: false },
    );
  }
  const channel = ctx.initialization.channel;
  return success({
    notification_id: taskDerivedId("NOTIF", ctx.task.task_uuid),
    channel: typeof channel === "string" && channel !== "" ? channel : "email",
    recipient: customerId,
    order_id: orderId,
    transaction_id: transactionId,
    status: "sent",
    sent_at: new Date().toISOString(),
  });
}

/**
 * The handlers of `domain_events/domain_event_publishing`, by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
 * import { domainEventsHandlers } from "./handlers.ts";
 * new HandlerRegistry().registerAll(domainEventsHandlers);
 * ```
 */
export const domainEventsHandlers: Readonly<Record<string, StepHandlerFunction>> = Object.freeze({
  "domain_events.validate_order": validateOrder,
  "domain_events.process_payment": processPayment,
  "domain_events.update_inventory": updateInventory,
  "domain_events.send_notification": sendNotification,
});
