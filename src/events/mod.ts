/**
 * The event model: the wire envelope and its UUIDv7 ids, publication conditions, payload schema
 * checks, and the pure custom publishers with their registry. Everything here runs with zero Deno
 * permissions.
 *
 * @example
 * ```ts
 * import { buildDomainEvent, shouldPublish, stepRetryability } from "./mod.ts";
 * const retryable = stepRetryability({ retryable: true, attempts: 1, max_attempts: 3 });
 * if (shouldPublish("retryable_failure", { succeeded: false, retryable })) {
 *   const event = buildDomainEvent({
 *     event_name: "payment.retrying",
 *     payload: { error_message: "gateway timeout" },
 *     task_sequence_step: {},
 *     execution_result: { success: false },
 *     metadata: {
 *       task_uuid: crypto.randomUUID(),
 *       step_uuid: crypto.randomUUID(),
 *       step_name: "charge",
 *       namespace: "payments",
 *       correlation_id: crypto.randomUUID(),
 *       fired_by: "payments.charge",
 *     },
 *   });
 *   console.log(event.event_id);
 * }
 * ```
 *
 * @module
 */

export type * from "./types.ts";
export type * from "./wire_types.ts";
export {
  buildExecutionResult,
  buildStepEventContext,
  buildTaskSequenceStep,
  type CompletedStepRecord,
  derivedUuid,
  type ExecutionResultInput,
  identityHash,
  naiveTimestamp,
  namedTaskUuid,
  NIL_UUID,
  type StepDefinitionSource,
  type StepEventContextInput,
  type TaskSequenceStepInput,
  wireStepDefinition,
} from "./wire.ts";
export { type DomainEventView, eventView } from "./view.ts";
export { DOMAIN_EVENT_JSON_SCHEMA, wireSchemaFailures } from "./wire_schema.ts";
export type {
  StepEventContext,
  StepEventError,
  StepEventResult,
  StepEventStep,
  StepEventTask,
} from "./context.ts";
export {
  shouldPublish,
  type StepOutcome,
  stepRetryability,
  type StepRetryState,
} from "./conditions.ts";
export { InvalidUuidError, isUuid, uuidv7, uuidv7Timestamp } from "./uuid.ts";
export {
  buildDomainEvent,
  type BuildDomainEventInput,
  type BuildEventMetadata,
  DomainEventSchema,
  type DomainEventSchemaIssue,
  type DomainEventSchemaResult,
  type DomainEventZodSchema,
  type EventProblem,
  InvalidEventError,
  isRfc3339,
  isWireUuid,
  parseDomainEvent,
  withoutNullStep,
} from "./envelope.ts";
export {
  checkEventPayload,
  type PayloadDeclaration,
  validateEventPayload,
} from "./payload_schema.ts";
export {
  applyPublisher,
  defaultPublisher,
  definePublisher,
  InvalidPublisherError,
  type Publisher,
  type PublisherApplication,
  type PublisherDefinition,
  PublisherError,
  type PublisherStage,
  runAfterPublish,
  runBeforePublish,
  runPublishError,
} from "./publisher.ts";
export {
  DuplicatePublisherError,
  PublisherRegistry,
  type PublisherRegistryStats,
  type PublisherResolution,
} from "./publisher_registry.ts";
