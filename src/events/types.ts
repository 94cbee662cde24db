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
  /**
   * UUID of the step whose outcome fired the event. Always set by this library; optional on the
   * wire (Tasker's readers accept `null` or no key, and a `null` is read here as absent).
   */
  step_uuid?: string;
  /** The step's name in its template. Always set by this library; optional like `step_uuid`. */
  step_name?: string;
  /** The task's namespace (`namespace_name` in the template). */
  namespace: string;
  /** Correlation id carried from the task request (a UUID), for tracing across services. */
  correlation_id: string;
  /** When the event was built, RFC 3339 with milliseconds and `Z`. */
  fired_at: string;
  /** What fired it: the publisher's name, or the handler callable for the default publisher. */
  fired_by: string;
  /**
   * Extra keys a custom publisher's `additionalMetadata` adds; also `traceparent` when traced.
   * Tasker's readers have exactly the seven keys above and ignore these.
   */
  [extra: string]: unknown;
}

/**
 * The body of a {@link DomainEvent}: the step, its result, and the business payload.
 *
 * The events this library writes carry Tasker's `TaskSequenceStep` and `StepExecutionResult`
 * here (see `wire_types.ts`); the fields are typed as plain objects because an event read off a
 * queue may come from any producer. Read them typed with `eventView(event)`.
 */
export interface DomainEventPayload {
  /** The task row, step row, ancestors' results and step definition (a `TaskSequenceStep`). */
  task_sequence_step: JsonObject;
  /** The step's execution result (a `StepExecutionResult`). */
  execution_result: JsonObject;
  /**
   * The business-specific event data (validated against the declaration's schema). Publishers
   * here always write an object; another producer may put any JSON value here, which
   * `eventView(event).payload` reads as `unknown`.
   */
  payload: JsonObject;
}

/**
 * One domain event as it travels on both paths.
 *
 * @example
 * ```ts
 * import type { DomainEvent } from "@deno-tasker/tasker";
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
  /** Envelope version: `"1.0"` when this library (or tasker-core) writes it; any string is read. */
  event_version: string;
  /** The step, its result and the business payload. */
  payload: DomainEventPayload;
  /** Who fired it and where. */
  metadata: DomainEventMetadata;
}
