/**
 * Thin adapters for porting code written for tasker-core's TypeScript (and, by the same names,
 * Ruby) workers: class-style publishers and subscribers with tasker-core's hook names and
 * argument lists, and step-handler helpers named as there. Each adapter converts to this
 * library's own API (`definePublisher`, `Subscriber`, `StepContext`, `failure`), so ported code
 * runs on the same engine, and can be rewritten against that API one piece at a time.
 *
 * @example
 * ```ts
 * import {
 *   BasePublisher,
 *   BaseSubscriber,
 *   fromTaskerSubscriber,
 *   type TaskerDomainEvent,
 *   type TaskerStepResult,
 * } from "@deno-tasker/tasker/tasker-compat";
 *
 * class OrderPublisher extends BasePublisher {
 *   readonly publisherName = "OrderPublisher";
 *   override transformPayload(stepResult: TaskerStepResult) {
 *     return { order_id: stepResult.result?.order_id };
 *   }
 * }
 * class OrderSubscriber extends BaseSubscriber {
 *   static override subscribesTo() {
 *     return ["order.*"];
 *   }
 *   handle(event: TaskerDomainEvent) {
 *     console.log(event.eventName);
 *   }
 * }
 * const publisher = new OrderPublisher().toPublisher();
 * const subscriber = fromTaskerSubscriber(OrderSubscriber);
 * ```
 *
 * @module
 */

export {
  BasePublisher,
  type TaskerEventDeclaration,
  type TaskerStepEventContext,
  type TaskerStepResult,
} from "./publisher.ts";
export {
  BaseSubscriber,
  fromTaskerSubscriber,
  type TaskerDomainEvent,
  type TaskerEventMetadata,
  type TaskerSubscriberClass,
  toTaskerEvent,
} from "./subscriber.ts";
export { taskerContext, taskerFailure, type TaskerStepContext } from "./handler.ts";
