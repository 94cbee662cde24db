/**
 * The domain event envelope: building one on the hot path, and checking one read off the wire.
 *
 * {@link buildDomainEvent} only constructs (no schema parse): the pipeline calls it per fired
 * event, and its inputs are already the framework's own typed values. {@link parseDomainEvent}
 * is for what arrives from outside (a PGMQ message possibly written by another language) and
 * reports every problem with its path.
 *
 * @module
 */

import { z } from "../deps.ts";
import { TaskerError } from "../errors.ts";
import { assertEventName, EVENT_NAME_PATTERN, NAMESPACE_PATTERN } from "../names.ts";
import type { DomainEvent, DomainEventMetadata, JsonObject } from "./types.ts";
import { InvalidUuidError, isUuid, uuidv7 } from "./uuid.ts";
import type { StepExecutionResult, TaskSequenceStep } from "./wire_types.ts";

/** One thing wrong with an envelope. */
export interface EventProblem {
  /** Dotted path to the offending field, e.g. `metadata.fired_at`; `(root)` for the whole. */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/**
 * Thrown by {@link parseDomainEvent} when a value is not a valid domain event; lists every
 * problem with its path.
 *
 * @example
 * ```ts
 * import { InvalidEventError, parseDomainEvent } from "@deno-tasker/tasker";
 * try {
 *   parseDomainEvent({ event_name: "Bad" });
 * } catch (error) {
 *   if (error instanceof InvalidEventError) console.log(error.problems.map((p) => p.path));
 * }
 * ```
 */
export class InvalidEventError extends TaskerError {
  /** Every problem found, in document order. */
  readonly problems: readonly EventProblem[];
  /**
   * Creates the error from the problems found.
   *
   * @param problems every problem found
   * @param eventId the envelope's `event_id` when it had a readable one, named in the message
   */
  constructor(problems: readonly EventProblem[], eventId?: string) {
    const which = eventId === undefined ? "" : ` ${eventId}`;
    super(
      "E_INVALID_EVENT",
      `invalid domain event${which}: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    );
    this.problems = problems;
  }
}

// RFC 3339 `date-time` as chrono reads it: full date, `T` (or a space), full time with an
// optional fraction, then `Z` or an offset (`+02:00` or `+0200`).
const RFC3339_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

/**
 * Whether `value` is an RFC 3339 date-time with an offset (`2025-11-28T12:00:00.000Z`,
 * `...+02:00`), with the calendar checked (no February 30th). A space instead of the `T` is
 * accepted, as Tasker's Rust readers accept it.
 *
 * @param value anything
 * @returns true for a valid RFC 3339 date-time string
 *
 * @example
 * ```ts
 * import { isRfc3339 } from "./envelope.ts";
 * isRfc3339(new Date().toISOString()); // true
 * isRfc3339("2025-02-30T00:00:00Z"); // false
 * ```
 */
export function isRfc3339(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const m = RFC3339_PATTERN.exec(value);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  if (month! < 1 || month! > 12 || day! < 1 || hour! > 23 || minute! > 59 || second! > 60) {
    return false;
  }
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (day! > daysInMonth) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

// The UUID forms Rust's `uuid` crate parses: hyphenated, 32 hex digits, `{braced}`, `urn:uuid:`.
const WIRE_UUID_PATTERN =
  /^(?:urn:uuid:)?(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}|[0-9a-f]{32})$/i;

/**
 * Whether `value` is a UUID in any form Tasker's readers accept: hyphenated, 32 hex digits,
 * `{braced}` or `urn:uuid:`, either case, any version.
 *
 * @param value anything
 * @returns true when a Rust reader would parse it as a UUID
 *
 * @example
 * ```ts
 * import { isWireUuid } from "./envelope.ts";
 * isWireUuid("01958F4E7C2A7D3E9B612F4C8A1D5E90"); // true
 * isWireUuid("order-1001"); // false
 * ```
 */
export function isWireUuid(value: unknown): value is string {
  return typeof value === "string" && WIRE_UUID_PATTERN.test(value);
}

const jsonObject = z.record(z.string(), z.unknown(), { error: "expected a JSON object" });
const uuid = z.string({ error: "expected a UUID string" }).refine(isWireUuid, {
  error: "expected a UUID",
});
const text = z.string({ error: "expected a string" });
const optionalText = z.string({ error: "expected a string or null" }).nullish();

// The envelope as tasker-core's readers take it: unknown keys are ignored at every level, the
// step's id and name may be null or missing, `payload.payload` may be any JSON value, and
// `event_version` any string.
const domainEventZod = z.looseObject({
  event_id: uuid,
  event_name: z.string().regex(EVENT_NAME_PATTERN, {
    error: "expected lowercase dot-separated segments of [a-z0-9_], at least two",
  }),
  event_version: text,
  payload: z.looseObject({
    task_sequence_step: jsonObject,
    execution_result: jsonObject,
    payload: z.unknown(),
  }, { error: "expected a JSON object" }),
  metadata: z.looseObject({
    task_uuid: uuid,
    step_uuid: uuid.nullish(),
    step_name: optionalText,
    namespace: z.string().regex(NAMESPACE_PATTERN, {
      error: "expected 1 to 29 characters of [a-z0-9_]",
    }),
    correlation_id: uuid,
    fired_at: z.string().refine(isRfc3339, {
      error: "expected an RFC 3339 date-time with an offset",
    }),
    fired_by: text,
  }, { error: "expected a JSON object" }),
}, { error: "expected a JSON object" }) as unknown as z.ZodType<DomainEvent>;

/** One problem zod found, as carried by {@link DomainEventSchemaResult}. */
export interface DomainEventSchemaIssue {
  /** Where in the value, as keys and indexes. */
  path: PropertyKey[];
  /** What is wrong. */
  message: string;
}

/** What {@link DomainEventSchema}'s `safeParse` returns. */
export type DomainEventSchemaResult =
  | { success: true; data: DomainEvent }
  | { success: false; error: { issues: DomainEventSchemaIssue[] } };

/**
 * The zod schema of the wire envelope, typed structurally so that the public API does not
 * depend on zod's own types (it is a real zod schema underneath).
 */
export interface DomainEventZodSchema {
  /** Returns the event, or throws zod's error. */
  parse(value: unknown): DomainEvent;
  /** Returns `{success, data}` or `{success: false, error: {issues}}`. */
  safeParse(value: unknown): DomainEventSchemaResult;
}

/**
 * The zod schema of the wire envelope, for callers that validate with zod. It reads what
 * tasker-core's readers read: unknown keys are kept (and ignored), `metadata.step_uuid` and
 * `step_name` may be null or missing, `payload.payload` may be any JSON value.
 *
 * @example
 * ```ts
 * import { DomainEventSchema } from "./envelope.ts";
 * const result = DomainEventSchema.safeParse({});
 * console.log(result.success); // false
 * ```
 */
export const DomainEventSchema: DomainEventZodSchema = domainEventZod as DomainEventZodSchema;

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function toProblems(issues: readonly z.core.$ZodIssue[]): EventProblem[] {
  const problems: EventProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: "unknown key" });
      }
    } else {
      problems.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/**
 * Checks that `value` is a domain event and returns it typed. As lenient as tasker-core's
 * readers: unknown keys are kept, a `null` or missing `metadata.step_uuid` / `step_name` is
 * read as absent (the key is left out of the result), `payload.payload` may be any JSON, and
 * `event_version` any string. The ids must be UUIDs and `fired_at` an RFC 3339 date-time with an
 * offset, as Rust's readers require.
 *
 * @param value a decoded envelope, e.g. a PGMQ message body
 * @returns the event (a copy; unknown keys kept)
 * @throws {InvalidEventError} listing every problem with its path
 *
 * @example
 * ```ts
 * import { buildDomainEvent, parseDomainEvent } from "@deno-tasker/tasker";
 * const wire = JSON.stringify(buildDomainEvent({
 *   event_name: "order.validated",
 *   payload: { order_id: 7 },
 *   task_sequence_step: {},
 *   execution_result: { success: true },
 *   metadata: {
 *     task_uuid: crypto.randomUUID(),
 *     step_uuid: crypto.randomUUID(),
 *     step_name: "validate",
 *     namespace: "orders",
 *     correlation_id: crypto.randomUUID(),
 *     fired_by: "orders.validate",
 *   },
 * }));
 * const event = parseDomainEvent(JSON.parse(wire));
 * ```
 */
export function parseDomainEvent(value: unknown): DomainEvent {
  const result = domainEventZod.safeParse(value);
  if (result.success) return withoutNullStep(result.data);
  const id = (value as { event_id?: unknown } | null)?.event_id;
  throw new InvalidEventError(toProblems(result.error.issues), isUuid(id) ? id : undefined);
}

/**
 * Removes a `null` (or `undefined`) `metadata.step_uuid` / `step_name`, so that absent and null
 * read the same; the event is returned as is when there is nothing to remove.
 *
 * @param event a parsed event
 * @returns the event with absent step keys left out
 */
export function withoutNullStep(event: DomainEvent): DomainEvent {
  const metadata = event.metadata as Record<string, unknown>;
  const drop = ["step_uuid", "step_name"].filter((key) =>
    Object.hasOwn(metadata, key) && metadata[key] == null
  );
  if (drop.length === 0) return event;
  const copy: Record<string, unknown> = { ...metadata };
  for (const key of drop) delete copy[key];
  return { ...event, metadata: copy as DomainEvent["metadata"] };
}

/** The metadata the caller supplies to {@link buildDomainEvent}; `fired_at` is added by it. */
export interface BuildEventMetadata {
  /** UUID of the task. */
  task_uuid: string;
  /** UUID of the step. */
  step_uuid: string;
  /** The step's name. */
  step_name: string;
  /** The task's namespace. */
  namespace: string;
  /** Correlation id of the task request: a UUID, or Tasker's readers reject the event. */
  correlation_id: string;
  /** The publisher's name, or the handler callable for the default publisher. */
  fired_by: string;
  /** Extra keys (a publisher's `additionalMetadata`); they never replace the keys above. */
  [extra: string]: unknown;
}

/** What {@link buildDomainEvent} needs. */
export interface BuildDomainEventInput {
  /** Dotted event name; checked against `EVENT_NAME_PATTERN`. */
  event_name: string;
  /** The business payload (the publisher's `transformPayload` output). */
  payload: JsonObject;
  /** The task and step: a `TaskSequenceStep` (see `wire.ts`) for Tasker's readers. */
  task_sequence_step: TaskSequenceStep | JsonObject;
  /** The step's execution result: a `StepExecutionResult` for Tasker's readers. */
  execution_result: StepExecutionResult | JsonObject;
  /** Who fired it and where. */
  metadata: BuildEventMetadata;
  /** The id fixed when the step committed; a fresh {@link uuidv7} when absent. */
  event_id?: string;
  /** When it was fired; now when absent. A `Date` is written with `toISOString()`. */
  fired_at?: string | Date;
}

const RESERVED_METADATA = new Set([
  "task_uuid",
  "step_uuid",
  "step_name",
  "namespace",
  "correlation_id",
  "fired_at",
  "fired_by",
]);

/**
 * Builds a domain event envelope. Cheap: it checks the event name (and a given `event_id`) and
 * constructs the object; it does not copy the payload objects or run the zod schema.
 *
 * Extra metadata keys follow the standard ones; an extra key named like a standard one
 * (`task_uuid`, `fired_at`, ...) is ignored so a publisher cannot forge where an event came from.
 *
 * @param input the name, the three payload parts and the metadata
 * @returns the envelope, `event_version` `"1.0"`
 * @throws {InvalidNameError} (from `names.ts`) when `event_name` is not a valid event name
 * @throws {InvalidUuidError} when a given `event_id` is not a UUID
 *
 * @example
 * ```ts
 * import { buildDomainEvent } from "@deno-tasker/tasker";
 * const event = buildDomainEvent({
 *   event_name: "payment.processed",
 *   payload: { amount: 42 },
 *   task_sequence_step: { step_name: "charge" },
 *   execution_result: { success: true },
 *   metadata: {
 *     task_uuid: crypto.randomUUID(),
 *     step_uuid: crypto.randomUUID(),
 *     step_name: "charge",
 *     namespace: "payments",
 *     correlation_id: crypto.randomUUID(),
 *     fired_by: "payments.charge",
 *     region: "eu",
 *   },
 * });
 * console.log(event.metadata.region); // "eu"
 * ```
 */
export function buildDomainEvent(input: BuildDomainEventInput): DomainEvent {
  assertEventName(input.event_name);
  const eventId = input.event_id ?? uuidv7();
  if (input.event_id !== undefined && !isUuid(eventId)) {
    throw new InvalidUuidError(eventId, `a UUID as event_id of ${input.event_name}`);
  }
  const firedAt = input.fired_at === undefined
    ? new Date().toISOString()
    : typeof input.fired_at === "string"
    ? input.fired_at
    : input.fired_at.toISOString();
  const given = input.metadata;
  const metadata: DomainEventMetadata = {
    task_uuid: given.task_uuid,
    step_uuid: given.step_uuid,
    step_name: given.step_name,
    namespace: given.namespace,
    correlation_id: given.correlation_id,
    fired_at: firedAt,
    fired_by: given.fired_by,
  };
  for (const key in given) {
    if (!RESERVED_METADATA.has(key) && Object.hasOwn(given, key)) metadata[key] = given[key];
  }
  return {
    event_id: eventId,
    event_name: input.event_name,
    event_version: "1.0",
    payload: {
      task_sequence_step: input.task_sequence_step as JsonObject,
      execution_result: input.execution_result as JsonObject,
      payload: input.payload,
    },
    metadata,
  };
}
