/**
 * Checking that a PGMQ message is a domain-event envelope before any handler sees it. Messages
 * may come from producers in any language, so the check names the first field that is wrong.
 *
 * @module
 */

import { withoutNullStep } from "../../events/envelope.ts";
import type { DomainEvent } from "../../events/types.ts";
import { EVENT_NAME_PATTERN } from "../../names.ts";

/** The outcome of {@link parseEnvelope}: the event, or why the message is not one. */
export type EnvelopeResult = { ok: true; event: DomainEvent } | { ok: false; error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates the shape of a domain-event envelope (`event_id`, `event_name`, `event_version`,
 * `payload`, `metadata` with its string fields). As lenient as tasker-core's readers: unknown
 * keys are kept, `payload.payload` may be any JSON, and `metadata.step_uuid` / `step_name` may be
 * null or missing (a null is read as absent).
 *
 * @param message the parsed `message` column
 */
export function parseEnvelope(message: unknown): EnvelopeResult {
  if (!isObject(message)) {
    return { ok: false, error: `message is ${describe(message)}, expected a JSON object` };
  }
  if (typeof message.event_id !== "string" || message.event_id.length === 0) {
    return { ok: false, error: "event_id is missing or not a non-empty string" };
  }
  if (typeof message.event_name !== "string" || !EVENT_NAME_PATTERN.test(message.event_name)) {
    return { ok: false, error: `event_name ${JSON.stringify(message.event_name)} is not valid` };
  }
  if (typeof message.event_version !== "string") {
    return { ok: false, error: "event_version is missing or not a string" };
  }
  if (!isObject(message.payload)) {
    return { ok: false, error: `payload is ${describe(message.payload)}, expected an object` };
  }
  const metadata = message.metadata;
  if (!isObject(metadata)) {
    return { ok: false, error: `metadata is ${describe(metadata)}, expected an object` };
  }
  for (const field of ["task_uuid", "namespace"]) {
    if (typeof metadata[field] !== "string") {
      return { ok: false, error: `metadata.${field} is missing or not a string` };
    }
  }
  // As in tasker-core's readers, the step's id and name are optional: null or missing.
  for (const field of ["step_uuid", "step_name"]) {
    const value = metadata[field];
    if (value !== undefined && value !== null && typeof value !== "string") {
      return { ok: false, error: `metadata.${field} is ${describe(value)}, expected a string` };
    }
  }
  return { ok: true, event: withoutNullStep(message as unknown as DomainEvent) };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
