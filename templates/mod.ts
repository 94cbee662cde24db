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
import type { StepHandler } from "../src/worker/step_handler.ts";
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

/** A task request for one example template, with a line saying what it shows. */
export interface ExampleRequest {
  /** Template namespace. */
  namespace: string;
  /** Template name. */
  name: string;
  /** The task context. */
  context: Record<string, unknown>;
  /** What running it demonstrates. */
  shows: string;
}

/**
 * One request per example template: what `deno task start` runs.
 *
 * @example
 * ```ts
 * import { exampleRequests } from "./mod.ts";
 * exampleRequests.map((r) => `${r.namespace}/${r.name}`);
 * ```
 */
export const exampleRequests: readonly ExampleRequest[] = Object.freeze([
  {
    namespace: "linear_workflow",
    name: "mathematical_sequence",
    context: { even_number: 6 },
    shows: "a chain: 6 → 36 → 46 → 138 → 69",
  },
  {
    namespace: "diamond_workflow",
    name: "parallel_computation",
    context: { even_number: 6 },
    shows: "two branches in parallel joined: 66.5",
  },
  {
    namespace: "tree_workflow",
    name: "hierarchical_tree",
    context: { even_number: 6 },
    shows: "a tree converging, exact big integers (6^64)",
  },
  {
    namespace: "mixed_dag_workflow",
    name: "complex_dag",
    context: { even_number: 6 },
    shows: "a mixed DAG, exact big integers",
  },
  {
    namespace: "order_fulfillment",
    name: "business_workflow",
    context: {
      customer: { id: "CUST-42", name: "Ada Lovelace", email: "ada@example.com" },
      items: [
        { sku: "WIDGET-1", quantity: 2, price: 29.99 },
        { sku: "GADGET-7", quantity: 1, price: 149.99 },
      ],
      payment: { method: "credit_card", token: "tok_visa" },
      shipping: { method: "express", address: "12 Analytical Row, London" },
    },
    shows: "a business workflow with exact money: total 209.97",
  },
  {
    namespace: "domain_events",
    name: "domain_event_publishing",
    context: {
      order_id: "ORD-1001",
      customer_id: "CUST-42",
      amount: 99.5,
      items: [{ sku: "BOOK-1", quantity: 2 }],
      simulate_failure: "retryable",
    },
    shows: "every delivery mode; a retryable payment failure, then success on retry",
  },
]);

export default registerExamples;
