/**
 * The custom publishers `domain_events/domain_event_publishing` names: pure functions of the
 * step context (no I/O, no clock), shaping the business payloads of `payment.processed` and
 * `notification.sent` to their declared schemas.
 *
 * @module
 */

import type { StepEventContext } from "../../src/events/context.ts";
import { definePublisher, type Publisher } from "../../src/events/publisher.ts";
import type { JsonObject } from "../../src/events/types.ts";
import { isRecord } from "../shared.ts";

const resultOf = (ctx: StepEventContext): Record<string, unknown> =>
  isRecord(ctx.result.result) ? ctx.result.result : {};

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * Publishes payment events. On success (when the result has a `transaction_id`):
 * `{transaction_id, amount, currency, status, processed_at?}`, the amount from the result or
 * else the task's `amount`. On a failure: `{error_code, error_message, attempt}`. Metadata adds
 * `payment_provider` (from the result's metadata, `unknown` when absent) and `publisher_type`.
 *
 * @example
 * ```ts
 * import { PublisherRegistry } from "../../src/events/publisher_registry.ts";
 * import { PaymentEventPublisher } from "./publishers.ts";
 * new PublisherRegistry([PaymentEventPublisher]);
 * ```
 */
export const PaymentEventPublisher: Publisher = definePublisher({
  name: "PaymentEventPublisher",
  shouldPublish(ctx) {
    if (!ctx.result.success) return ctx.result.error !== undefined;
    return text(resultOf(ctx).transaction_id) !== undefined;
  },
  transformPayload(ctx): JsonObject {
    if (!ctx.result.success) {
      const error = ctx.result.error;
      return {
        error_code: error?.error_code ?? error?.error_type ?? "PAYMENT_FAILED",
        error_message: error?.message ?? "the payment failed",
        attempt: ctx.step.attempts,
      };
    }
    const result = resultOf(ctx);
    const amount = typeof result.amount === "number"
      ? result.amount
      : typeof result.amount_charged === "number"
      ? result.amount_charged
      : ctx.task.context.amount;
    const payload: JsonObject = {
      transaction_id: result.transaction_id,
      amount: typeof amount === "number" ? amount : 0,
      currency: text(result.currency) ?? "USD",
      status: text(result.status) ?? "completed",
    };
    const processedAt = text(result.processed_at);
    if (processedAt !== undefined) payload.processed_at = processedAt;
    return payload;
  },
  additionalMetadata(ctx): JsonObject {
    // The handler's metadata, as Tasker's readers see it: execution_result.metadata.custom.
    const provider = text(ctx.executionResult.metadata.custom.payment_provider) ?? "unknown";
    return { payment_provider: provider, publisher_type: "custom" };
  },
});

/**
 * Publishes notification events when the result has a `notification_id`:
 * `{notification_id, channel, recipient}`, the channel defaulting to `email` and the recipient to
 * the task's `customer_id`. Metadata adds `publisher_type`.
 *
 * @example
 * ```ts
 * import { PublisherRegistry } from "../../src/events/publisher_registry.ts";
 * import { NotificationEventPublisher } from "./publishers.ts";
 * new PublisherRegistry([NotificationEventPublisher]);
 * ```
 */
export const NotificationEventPublisher: Publisher = definePublisher({
  name: "NotificationEventPublisher",
  shouldPublish: (ctx) => ctx.result.success && text(resultOf(ctx).notification_id) !== undefined,
  transformPayload(ctx): JsonObject {
    const result = resultOf(ctx);
    const recipient = result.recipient ?? ctx.task.context.customer_id;
    return {
      notification_id: result.notification_id,
      channel: text(result.channel) ?? "email",
      recipient: typeof recipient === "string" || typeof recipient === "number"
        ? String(recipient)
        : "unknown",
    };
  },
  additionalMetadata: (): JsonObject => ({ publisher_type: "custom" }),
});

/**
 * Shapes `inventory.updated`, which fires on every outcome (`condition: always`): the order id
 * comes from the task context, so the audit event is well-formed even when the step failed.
 *
 * @example
 * ```ts
 * import { InventoryEventPublisher } from "./publishers.ts";
 * console.log(InventoryEventPublisher.name); // "InventoryEventPublisher"
 * ```
 */
export const InventoryEventPublisher: Publisher = definePublisher({
  name: "InventoryEventPublisher",
  transformPayload(ctx): JsonObject {
    const result = resultOf(ctx);
    const orderId = text(result.order_id) ?? text(ctx.task.context.order_id) ?? "unknown";
    if (!ctx.result.success) {
      return {
        order_id: orderId,
        success: false,
        error_message: ctx.result.error?.message ?? "the inventory update failed",
      };
    }
    const updated = result.items_updated;
    return {
      order_id: orderId,
      success: true,
      items_updated: typeof updated === "number" && Number.isInteger(updated) && updated >= 0
        ? updated
        : 0,
    };
  },
  additionalMetadata: (): JsonObject => ({ publisher_type: "custom" }),
});
