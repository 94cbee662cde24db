/**
 * The task-request fields that Tasker's wire format carries into every domain event's task row,
 * checked at submit so that nothing a Rust reader would reject gets stored: the correlation ids
 * must be UUIDs, the priority an integer in -100..100, the tags an array of strings, the request
 * time a valid date.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import { isUuid, uuidv7 } from "../events/uuid.ts";

/** Thrown by `submitTask` when a request field is not what the wire format allows. */
export class TaskRequestError extends TaskerError {
  /** The offending field, e.g. `correlation_id`. */
  readonly field: string;
  /**
   * Creates the error naming the field, its value and the rule.
   *
   * @param template `namespace/name@version` of the requested template
   * @param field the request field
   * @param value the rejected value
   * @param rule what it must be
   */
  constructor(template: string, field: string, value: unknown, rule: string) {
    super(
      "E_TASK_REQUEST_INVALID",
      `task request for ${template}: ${field} ${JSON.stringify(value) ?? String(value)} ` +
        `is not valid: expected ${rule}`,
    );
    this.field = field;
  }
}

/** The checked wire fields of a request, ready to insert. */
export interface TaskRequestWireFields {
  /** The correlation id: the request's, or a new UUIDv7. */
  correlation_id: string;
  /** The parent correlation id, or null. */
  parent_correlation_id: string | null;
  /** The tags as JSON text (`[]` when none). */
  tags: string;
  /** The priority, 0 by default. */
  priority: number;
  /** When the task was requested; now when not given. */
  requested_at: Date;
}

/** The optional request fields {@link checkTaskRequestWire} reads. */
export interface TaskRequestWireInput {
  /** A UUID; generated when absent. */
  correlation_id?: string;
  /** A UUID, when given. */
  parent_correlation_id?: string;
  /** Strings. */
  tags?: readonly string[];
  /** An integer in -100..100. */
  priority?: number;
  /** A Date or a date-time string. */
  requested_at?: Date | string;
  /** 1..255 characters, when given. */
  initiator?: string;
  /** 1..255 characters, when given. */
  source_system?: string;
  /** 1..500 characters, when given. */
  reason?: string;
  /** 1..255 characters, when given. */
  idempotency_key?: string;
}

/** Tasker's length limits of the request's text fields. */
const TEXT_LIMITS = { initiator: 255, source_system: 255, reason: 500, idempotency_key: 255 };

/**
 * Checks and normalises the wire fields of a task request.
 *
 * @param template `namespace/name@version`, named in the error
 * @param request the request
 * @returns the fields to insert
 * @throws {TaskRequestError} naming the first field that is not valid
 *
 * @example
 * ```ts
 * import { checkTaskRequestWire } from "./task_request_wire.ts";
 * const fields = checkTaskRequestWire("shop/checkout@1.0.0", { tags: ["web"], priority: 5 });
 * console.log(fields.correlation_id.length); // 36
 * ```
 */
export function checkTaskRequestWire(
  template: string,
  request: TaskRequestWireInput,
): TaskRequestWireFields {
  const fail = (field: string, value: unknown, rule: string): never => {
    throw new TaskRequestError(template, field, value, rule);
  };
  const correlationId = request.correlation_id ?? uuidv7();
  if (!isUuid(correlationId)) fail("correlation_id", correlationId, "a UUID (8-4-4-4-12 hex)");
  const parent = request.parent_correlation_id ?? null;
  if (parent !== null && !isUuid(parent)) {
    fail("parent_correlation_id", parent, "a UUID (8-4-4-4-12 hex)");
  }
  const tags = request.tags ?? [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== "string")) {
    fail("tags", tags, "an array of strings");
  }
  const priority = request.priority ?? 0;
  if (!Number.isInteger(priority) || priority < -100 || priority > 100) {
    fail("priority", priority, "an integer from -100 to 100");
  }
  for (const [field, max] of Object.entries(TEXT_LIMITS)) {
    const value = request[field as keyof typeof TEXT_LIMITS];
    if (
      value !== undefined && (typeof value !== "string" || value.length < 1 || value.length > max)
    ) {
      fail(field, value, `a string of 1 to ${max} characters`);
    }
  }
  const given = request.requested_at;
  const requestedAt = given === undefined ? new Date() : new Date(given);
  if (Number.isNaN(requestedAt.getTime())) fail("requested_at", given, "a date-time");
  return {
    correlation_id: correlationId.toLowerCase(),
    parent_correlation_id: parent?.toLowerCase() ?? null,
    tags: JSON.stringify(tags),
    priority,
    requested_at: requestedAt,
  };
}
