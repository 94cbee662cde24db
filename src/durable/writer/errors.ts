/**
 * The DurableWriter's typed errors, and how it tells a passing database failure (retry) from a
 * statement the database will never accept (do not retry forever).
 *
 * @module
 */

import { TaskerError } from "../../errors.ts";

/**
 * `publish` waited for room in the writer's full buffer and its deadline expired first.
 *
 * @example
 * ```ts
 * import { WriterBufferFullError } from "@deno-tasker/tasker/durable";
 * const error = new WriterBufferFullError(100_000, 250);
 * console.log(error.code); // "E_WRITER_BUFFER_FULL"
 * ```
 */
export class WriterBufferFullError extends TaskerError {
  /** The buffer limit that was reached. */
  readonly limit: number;
  /** How long `publish` waited, in milliseconds. */
  readonly waitedMs: number;

  /**
   * Creates the error.
   *
   * @param limit the buffer limit (events)
   * @param waitedMs how long the caller waited for room
   */
  constructor(limit: number, waitedMs: number) {
    super(
      "E_WRITER_BUFFER_FULL",
      `durable writer buffer is full (${limit} events) and no room freed within ${waitedMs} ms`,
    );
    this.limit = limit;
    this.waitedMs = waitedMs;
  }
}

/**
 * The writer was closed: it accepts nothing new, and events still buffered when its close
 * deadline expired were not written.
 *
 * @example
 * ```ts
 * import { WriterClosedError } from "@deno-tasker/tasker/durable";
 * console.log(new WriterClosedError("not accepting events").code); // "E_WRITER_CLOSED"
 * ```
 */
export class WriterClosedError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param detail what could not be done because the writer is closed
   */
  constructor(detail: string) {
    super("E_WRITER_CLOSED", `durable writer is closed: ${detail}`);
  }
}

/**
 * An event could not be turned into a PGMQ message: it does not serialise to JSON (a cycle, a
 * `bigint`), or it holds a NUL character, which `jsonb` refuses. Thrown by `enqueue` before
 * anything is buffered.
 *
 * @example
 * ```ts
 * import { UnserializableEventError } from "@deno-tasker/tasker/durable";
 * const error = new UnserializableEventError("0190...", "contains \\u0000");
 * console.log(error.code); // "E_EVENT_UNSERIALIZABLE"
 * ```
 */
export class UnserializableEventError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param eventId the event's `event_id` (or `"?"`)
   * @param reason why it cannot be stored
   * @param options the underlying error as `cause`
   */
  constructor(eventId: string, reason: string, options?: ErrorOptions) {
    super(
      "E_EVENT_UNSERIALIZABLE",
      `event ${JSON.stringify(eventId)} cannot be stored as a PGMQ message: ${reason}`,
      options,
    );
  }
}

/**
 * The database refused one event for good (e.g. a value `jsonb` rejects). The event is counted
 * in the writer's `rejected` statistic and its `publish` promise rejects with this error.
 *
 * @example
 * ```ts
 * import { EventRejectedError } from "@deno-tasker/tasker/durable";
 * const error = new EventRejectedError("0190...", "payments_domain_events", new Error("22P02"));
 * console.log(error.code); // "E_EVENT_REJECTED"
 * ```
 */
export class EventRejectedError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param eventId the rejected event's `event_id`
   * @param queue the queue it was meant for
   * @param cause the database error
   */
  constructor(eventId: string, queue: string, cause: unknown) {
    super(
      "E_EVENT_REJECTED",
      `queue ${queue} refused event ${JSON.stringify(eventId)}: ${describeError(cause)}`,
      { cause },
    );
  }
}

/**
 * An option of a durable component (writer, consumer) is out of range; names the option.
 *
 * @example
 * ```ts
 * import { DurableOptionError } from "@deno-tasker/tasker/durable";
 * const error = new DurableOptionError("DurableWriter", "batchSize", 0, "a positive integer");
 * console.log(error.code); // "E_DURABLE_OPTION"
 * ```
 */
export class DurableOptionError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param component which component (`DurableWriter`, `DurableConsumer`)
   * @param option the option's name
   * @param value the rejected value
   * @param expected what is allowed, in words
   */
  constructor(component: string, option: string, value: unknown, expected: string) {
    super(
      "E_DURABLE_OPTION",
      `${component} option ${option} must be ${expected}, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * Reads an optional integer option, or throws {@link DurableOptionError}.
 *
 * @param component the component, for the message
 * @param option the option's name
 * @param value the value given (undefined: use `fallback`)
 * @param fallback the default
 * @param min the smallest allowed value
 */
export function intOption(
  component: string,
  option: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new DurableOptionError(component, option, value, `an integer >= ${min}`);
  }
  return value;
}

/** SQLSTATE classes of errors that retrying the same statement can never fix. */
const PERMANENT_CLASSES = new Set(["22", "23", "54"]);

/**
 * The SQLSTATE of a database error (looking through `cause` chains), or undefined.
 *
 * @param error anything thrown by a query
 */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether `error` says the statement itself is unacceptable (bad data, a constraint, a value too
 * large), as opposed to the database being unreachable or busy, which a retry can outlast.
 *
 * @param error anything thrown by a query
 */
export function isPermanentDataError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && PERMANENT_CLASSES.has(state.slice(0, 2));
}

/**
 * Whether `error` says a table does not exist (SQLSTATE 42P01): a queue dropped behind the
 * writer's back, so its "already created" cache entry is stale.
 *
 * @param error anything thrown by a query
 */
export function isUndefinedTable(error: unknown): boolean {
  return sqlState(error) === "42P01";
}

/**
 * A one-line description of anything thrown.
 *
 * @param error anything thrown
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const state = sqlState(error);
    return state === undefined ? error.message : `${error.message} (SQLSTATE ${state})`;
  }
  return String(error);
}
