/**
 * The language-neutral wire format of a domain event, shared by the fast and durable paths.
 *
 * A consumer written in any language against the same PGMQ queue reads exactly this object;
 * the in-process bus delivers the same object. Field names are snake_case on purpose.
 *
 * @module
 */

/** When a declared event fires, judged against the step's persisted outcome. */
export type PublicationCondition =
  | "success"
  | "failure"
  | "retryable_failure"
  | "permanent_failure"
  | "always";

/** Where a fired event goes: the in-process bus, the PGMQ queue, or both (fast first). */
export type DeliveryMode = "durable" | "fast" | "broadcast";

/** A JSON object, as carried in payloads and metadata. */
export type JsonObject = { [key: string]: unknown };

/** Who fired the event and in which task and step: the `metadata` of a {@link DomainEvent}. */
export interface DomainEventMetadata {
  /** UUID of the task the step belongs to. */
  task_uuid: string;
  /** UUID of the step whose outcome fired the event. */
  step_uuid: string;
  /** The step's name in its template. */
  step_name: string;
  /** The task's namespace (`namespace_name` in the template). */
  namespace: string;
  /** Correlation id carried from the task request, for tracing across services. */
  correlation_id: string;
  /** When the event was built, RFC 3339 with milliseconds and `Z`. */
  fired_at: string;
  /** What fired it: the publisher's name, or the handler callable for the default publisher. */
  fired_by: string;
  /** Extra keys a custom publisher's `additionalMetadata` adds; also `traceparent` when traced. */
  [extra: string]: unknown;
}

/** The body of a {@link DomainEvent}: the step, its result, and the business payload. */
export interface DomainEventPayload {
  /** A snapshot of the task and step the event is about. */
  task_sequence_step: JsonObject;
  /** The step's execution result (`success`, `result`, `error`, `metadata`, ...). */
  execution_result: JsonObject;
  /** The business-specific event data (validated against the declaration's schema). */
  payload: JsonObject;
}

/**
 * One domain event as it travels on both paths.
 *
 * @example
 * ```ts
 * import type { DomainEvent } from "./types.ts";
 * function describe(event: DomainEvent): string {
 *   return `${event.event_name} from ${event.metadata.step_name}`;
 * }
 * ```
 */
export interface DomainEvent {
  /** UUIDv7, fixed when the step commits; the deduplication key for consumers. */
  event_id: string;
  /** Dotted name such as `payment.processed` (`^[a-z0-9_]+(\.[a-z0-9_]+)+$`). */
  event_name: string;
  /** Envelope version; always `"1.0"` for this format. */
  event_version: "1.0";
  /** The step, its result and the business payload. */
  payload: DomainEventPayload;
  /** Who fired it and where. */
  metadata: DomainEventMetadata;
}
