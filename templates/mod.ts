/**
 * The example workflows' handlers and custom publishers, ready to register next to the YAML
 * templates in this directory.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../src/worker/handler_registry.ts";
 * import { PublisherRegistry } from "../src/events/publisher_registry.ts";
 * import { registerExamples } from "./mod.ts";
 * const handlers = new HandlerRegistry();
 * const publishers = new PublisherRegistry();
 * registerExamples(handlers, publishers);
 * handlers.has("linear_workflow.linear_step_1"); // true
 * ```
 *
 * @module
 */

import type { Publisher } from "../src/events/publisher.ts";
import type { PublisherRegistry } from "../src/events/publisher_registry.ts";
import type { HandlerRegistry } from "../src/worker/handler_registry.ts";
import type { StepHandler } from "../src/worker/types.ts";
import { diamondWorkflowHandlers } from "./diamond_workflow/handlers.ts";
import { domainEventsHandlers } from "./domain_events/handlers.ts";
import {
  InventoryEventPublisher,
  NotificationEventPublisher,
  PaymentEventPublisher,
} from "./domain_events/publishers.ts";
import { linearWorkflowHandlers } from "./linear_workflow/handlers.ts";
import { mixedDagWorkflowHandlers } from "./mixed_dag_workflow/handlers.ts";
import { orderFulfillmentHandlers } from "./order_fulfillment/handlers.ts";
import { treeWorkflowHandlers } from "./tree_workflow/handlers.ts";

export { diamondWorkflowHandlers } from "./diamond_workflow/handlers.ts";
export { domainEventsHandlers } from "./domain_events/handlers.ts";
export {
  InventoryEventPublisher,
  NotificationEventPublisher,
  PaymentEventPublisher,
} from "./domain_events/publishers.ts";
export { linearWorkflowHandlers } from "./linear_workflow/handlers.ts";
export { mixedDagWorkflowHandlers } from "./mixed_dag_workflow/handlers.ts";
export { orderFulfillmentHandlers } from "./order_fulfillment/handlers.ts";
export { treeWorkflowHandlers } from "./tree_workflow/handlers.ts";

/**
 * Every example handler, by callable (`<namespace>.<step>`).
 *
 * @example
 * ```ts
 * import { exampleHandlers } from "./mod.ts";
 * Object.keys(exampleHandlers).length; // 31
 * ```
 */
export const exampleHandlers: Readonly<Record<string, StepHandler>> = Object.freeze({
  ...linearWorkflowHandlers,
  ...diamondWorkflowHandlers,
  ...treeWorkflowHandlers,
  ...mixedDagWorkflowHandlers,
  ...orderFulfillmentHandlers,
  ...domainEventsHandlers,
});

/**
 * The custom publishers the example templates name.
 *
 * @example
 * ```ts
 * import { examplePublishers } from "./mod.ts";
 * examplePublishers.map((p) => p.name); // ["PaymentEventPublisher", "NotificationEventPublisher", "InventoryEventPublisher"]
 * ```
 */
export const examplePublishers: readonly Publisher[] = Object.freeze([
  PaymentEventPublisher,
  NotificationEventPublisher,
  InventoryEventPublisher,
]);

/**
 * Registers every example handler and custom publisher.
 *
 * @param handlers the worker's handler registry
 * @param publishers the worker's publisher registry
 * @throws {DuplicateHandlerError} when an example callable is already registered
 * @throws {DuplicatePublisherError} when an example publisher name is already registered
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../src/worker/handler_registry.ts";
 * import { PublisherRegistry } from "../src/events/publisher_registry.ts";
 * import { registerExamples } from "./mod.ts";
 * registerExamples(new HandlerRegistry(), new PublisherRegistry());
 * ```
 */
export function registerExamples(handlers: HandlerRegistry, publishers: PublisherRegistry): void {
  handlers.registerAll(exampleHandlers);
  for (const publisher of examplePublishers) publishers.register(publisher);
}
