/**
 * The `./events` entry: the domain event model in full, for custom publishers, consumers of
 * tasker-core's wire shape, and tests of either. The root entry re-exports the basics
 * (`DomainEvent`, `buildDomainEvent`, `parseDomainEvent`, `eventView`, `definePublisher`,
 * `PublisherRegistry`); this entry adds the step event context a publisher receives
 * (`StepEventContext`) and its builder for tests (`buildStepEventContext`), tasker-core's wire
 * types (`WireTask`, `WireWorkflowStep`, `TaskSequenceStep`, ...), the envelope's JSON Schema
 * (`DOMAIN_EVENT_JSON_SCHEMA`, `wireSchemaFailures`) and the publisher registry's statistics.
 * Everything here runs with zero Deno permissions.
 *
 * @example Run a publisher's transform on a built context
 * ```ts
 * import { buildStepEventContext, definePublisher } from "@deno-tasker/tasker/events";
 *
 * const publisher = definePublisher({
 *   name: "PaymentPublisher",
 *   transformPayload: (ctx) => ({ step: ctx.step.name, charge: ctx.result.result }),
 * });
 * const ctx = buildStepEventContext({
 *   event: { name: "payment.processed", condition: "success", delivery_mode: "durable" },
 *   task: {
 *     task_uuid: crypto.randomUUID(),
 *     namespace: "payments",
 *     name: "checkout",
 *     version: "1.0.0",
 *     context: {},
 *     correlation_id: crypto.randomUUID(),
 *   },
 *   step: {
 *     step_uuid: crypto.randomUUID(),
 *     name: "charge",
 *     attempts: 1,
 *     max_attempts: 3,
 *     retryable: true,
 *     handler_callable: "payments.charge",
 *   },
 *   result: { success: true, result: { id: "ch_1" } },
 * });
 * console.log(publisher.transformPayload(ctx)); // { step: "charge", charge: { id: "ch_1" } }
 * ```
 *
 * @module
 */

export type * from "./types.ts";
export type * from "./wire_types.ts";
export {
  buildStepEventContext,
  type CompletedStepRecord,
  type StepDefinitionSource,
  type StepEventContextInput,
  type TaskSequenceStepInput,
} from "./wire.ts";
export type {
  StepEventContext,
  StepEventError,
  StepEventResult,
  StepEventStep,
  StepEventTask,
} from "./context.ts";
export { type DomainEventView, eventView } from "./view.ts";
export { DOMAIN_EVENT_JSON_SCHEMA, wireSchemaFailures } from "./wire_schema.ts";
export {
  buildDomainEvent,
  type BuildDomainEventInput,
  type BuildEventMetadata,
  type EventProblem,
  InvalidEventError,
  parseDomainEvent,
} from "./envelope.ts";
export {
  definePublisher,
  InvalidPublisherError,
  type Publisher,
  type PublisherDefinition,
} from "./publisher.ts";
export {
  DuplicatePublisherError,
  PublisherRegistry,
  type PublisherRegistryStats,
  type PublisherResolution,
} from "./publisher_registry.ts";
