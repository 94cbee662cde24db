/**
 * Handlers of `order_fulfillment/business_workflow`: validate the order (customer, items, the
 * total in exact cents), reserve the stock, charge the total, ship. Ids derive from the task's
 * UUID, so a retried step returns the same ids. Bad input, an order over the limit and a declined
 * card (`payment.token: tok_decline`) are permanent failures: retrying cannot change them.
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

/** Orders above $50,000 (here in cents) are refused for good. */
const MAX_ORDER_TOTAL_CENTS = 5_000_000;

/** Carrier and delivery time of each shipping method. */
const SHIPPING_METHODS: Readonly<Record<string, { carrier: string; days: number }>> = {
  standard: { carrier: "USPS", days: 5 },
  express: { carrier: "FedEx", days: 2 },
  overnight: { carrier: "UPS", days: 1 },
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** One validated order line, with its exact total in cents. */
interface OrderLine {
  sku: string;
  quantity: number;
  unit_price: number;
  line_total: number;
}

function invalid(message: string, errorCode = "INVALID_ORDER"): StepFailure {
  return failure(message, { errorType: "ValidationError", errorCode, retryable: false });
}

function missingDependency(ctx: StepContext, what: string): StepFailure {
  return failure(`step ${ctx.step.name} needs ${what}, which its ancestors did not produce`, {
    errorType: "InvalidDependencyResult",
    retryable: false,
  });
}

/** Dollars to integer cents; prices with fractions of a cent round to the nearest cent. */
const toCents = (price: number): number => Math.round(price * 100);
/** Integer cents to dollars: one division, so 20997 is exactly the double nearest 209.97. */
const toDollars = (cents: number): number => cents / 100;

function validateCustomer(customer: unknown): string | StepFailure {
  if (!isRecord(customer)) return invalid("customer must be an object with id, name and email");
  const { id, name, email } = customer;
  if (!(typeof id === "string" && id !== "") && !Number.isInteger(id)) {
    return invalid(
      `customer.id must be a non-empty string or an integer, got ${JSON.stringify(id)}`,
    );
  }
  if (typeof name !== "string" || name.trim() === "") {
    return invalid("customer.name must be a non-empty string");
  }
  if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    return invalid(`customer.email must be an email address, got ${JSON.stringify(email)}`);
  }
  return String(id);
}

function validateItems(items: unknown): OrderLine[] | StepFailure {
  if (!Array.isArray(items) || items.length === 0) {
    return invalid("items must be a non-empty array of {sku, quantity, price}");
  }
  const lines: OrderLine[] = [];
  for (const [index, item] of items.entries()) {
    if (!isRecord(item)) return invalid(`items[${index}] must be an object`);
    const { sku, quantity, price } = item;
    if (typeof sku !== "string" || sku === "") {
      return invalid(`items[${index}].sku must be a non-empty string`);
    }
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1) {
      return invalid(`items[${index}].quantity must be a positive integer, got ${quantity}`);
    }
    if (typeof price !== "number" || !Number.isFinite(price) || price < 0) {
      return invalid(`items[${index}].price must be a non-negative number, got ${price}`);
    }
    lines.push({ sku, quantity, unit_price: price, line_total: toCents(price) * quantity });
  }
  return lines;
}

function validateOrder(ctx: StepContext): StepResult {
  const customerId = validateCustomer(ctx.input("customer"));
  if (typeof customerId !== "string") return customerId;
  const lines = validateItems(ctx.input("items"));
  if (!Array.isArray(lines)) return lines;
  const totalCents = lines.reduce((sum, line) => sum + line.line_total, 0);
  if (totalCents > MAX_ORDER_TOTAL_CENTS) {
    return invalid(
      `order total ${toDollars(totalCents)} exceeds the limit of ${
        toDollars(MAX_ORDER_TOTAL_CENTS)
      }`,
      "ORDER_TOTAL_EXCEEDS_LIMIT",
    );
  }
  return success({
    customer_id: customerId,
    order_total: toDollars(totalCents),
    order_total_cents: totalCents,
    item_count: lines.length,
    total_quantity: lines.reduce((sum, line) => sum + line.quantity, 0),
    validated_items: lines.map((line) => ({ ...line, line_total: toDollars(line.line_total) })),
    validated_at: new Date().toISOString(),
  });
}

function reserveInventory(ctx: StepContext): StepResult {
  const items = ctx.dependency("validate_order", "validated_items");
  if (!Array.isArray(items)) return missingDependency(ctx, "validate_order.validated_items");
  const reservedItems = items.filter(isRecord).map((item) => ({
    sku: item.sku,
    quantity: item.quantity,
    status: "reserved",
  }));
  return success({
    reservation_id: taskDerivedId("RES", ctx.task.task_uuid),
    reserved_items: reservedItems,
    total_reserved: reservedItems.reduce(
      (sum, item) => sum + (typeof item.quantity === "number" ? item.quantity : 0),
      0,
    ),
    reserved_at: new Date().toISOString(),
  });
}

function processPayment(ctx: StepContext): StepResult {
  const totalCents = ctx.dependency("validate_order", "order_total_cents");
  if (typeof totalCents !== "number") {
    return missingDependency(ctx, "validate_order.order_total_cents");
  }
  const reservationId = ctx.dependency("reserve_inventory", "reservation_id");
  if (typeof reservationId !== "string") {
    return missingDependency(ctx, "reserve_inventory.reservation_id");
  }
  const payment = ctx.input("payment");
  if (!isRecord(payment) || typeof payment.method !== "string") {
    return invalid("payment must be an object with a method and a token");
  }
  if (typeof payment.token !== "string" || payment.token === "") {
    return invalid("payment.token must be a non-empty string");
  }
  if (payment.token === "tok_decline") {
    return failure("the payment was declined by the card issuer", {
      errorType: "PaymentError",
      errorCode: "PAYMENT_DECLINED",
      retryable: false,
      metadata: { payment_method: payment.method },
    });
  }
  return success({
    payment_id: taskDerivedId("PAY", ctx.task.task_uuid),
    amount_charged: toDollars(totalCents),
    amount_charged_cents: totalCents,
    currency: "USD",
    payment_method: payment.method,
    reservation_id: reservationId,
    status: "succeeded",
    processed_at: new Date().toISOString(),
  }, { payment_provider: "example_gateway" });
}

function shipOrder(ctx: StepContext): StepResult {
  const paymentId = ctx.dependency("process_payment", "payment_id");
  if (typeof paymentId !== "string") return missingDependency(ctx, "process_payment.payment_id");
  const shipping = ctx.input("shipping");
  if (!isRecord(shipping) || shipping.address === undefined) {
    return invalid("shipping must be an object with a method and an address");
  }
  const method = shipping.method;
  const plan = typeof method === "string" && Object.hasOwn(SHIPPING_METHODS, method)
    ? SHIPPING_METHODS[method]
    : undefined;
  if (plan === undefined) {
    return invalid(
      `shipping.method must be one of ${Object.keys(SHIPPING_METHODS).join(", ")}, got ${
        JSON.stringify(method)
      }`,
      "UNKNOWN_SHIPPING_METHOD",
    );
  }
  const shippedAt = new Date();
  return success({
    tracking_number: taskDerivedId(`TRK-${plan.carrier.toUpperCase()}`, ctx.task.task_uuid),
    carrier: plan.carrier,
    shipping_method: method,
    payment_id: paymentId,
    shipped_at: shippedAt.toISOString(),
    estimated_delivery: new Date(shippedAt.getTime() + plan.days * DAY_MS).toISOString()
      .slice(0, 10),
  });
}

/**
 * The handlers of `order_fulfillment/business_workflow`, by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
 * import { orderFulfillmentHandlers } from "./handlers.ts";
 * new HandlerRegistry().registerAll(orderFulfillmentHandlers);
 * ```
 */
export const orderFulfillmentHandlers: Readonly<Record<string, StepHandlerFunction>> = Object
  .freeze({
    "order_fulfillment.validate_order": validateOrder,
    "order_fulfillment.reserve_inventory": reserveInventory,
    "order_fulfillment.process_payment": processPayment,
    "order_fulfillment.ship_order": shipOrder,
  });
