/**
 * A ready-made subscriber that writes ONE structured JSON line per event, with the fields an
 * operator greps for: `event_name`, `event_id`, `task_uuid`, `step_name`, `namespace`,
 * `correlation_id`, `fired_at`. Payloads are deliberately left out (they may hold business data).
 *
 * @module
 */

import type { DomainEvent } from "../src/events/types.ts";
import { Subscriber } from "../src/bus/subscriber.ts";

/** Where log lines go. Default `console.log`. */
export type LogSink = (line: string) => void;

/** Options of {@link LoggingSubscriber} and {@link createLoggingSubscriber}. */
export interface LoggingSubscriberOptions {
  /** Patterns to log. Default `["*"]`: every event. */
  patterns?: readonly string[];
  /** Receives each line. Default `(line) => console.log(line)`. */
  sink?: LogSink;
}

/** The fields of one log line, in order. */
export interface EventLogLine {
  /** The event's name. */
  event_name: string;
  /** The event's id (UUIDv7). */
  event_id: string;
  /** The task the step belongs to. */
  task_uuid: string;
  /** The step that fired it; absent when the event names none (allowed on the wire). */
  step_name?: string;
  /** The task's namespace. */
  namespace: string;
  /** The task request's correlation id. */
  correlation_id: string;
  /** When the event was built (RFC 3339). */
  fired_at: string;
}

/**
 * The log line of one event, as a JSON string.
 *
 * @example
 * ```ts
 * import { buildDomainEvent } from "@deno-tasker/tasker";
 * import { formatEventLogLine } from "@deno-tasker/tasker/actors";
 * const event = buildDomainEvent({
 *   event_name: "payment.processed",
 *   payload: { amount: 42 },
 *   task_sequence_step: {},
 *   execution_result: { success: true },
 *   metadata: {
 *     task_uuid: crypto.randomUUID(),
 *     step_uuid: crypto.randomUUID(),
 *     step_name: "charge",
 *     namespace: "payments",
 *     correlation_id: crypto.randomUUID(),
 *     fired_by: "payments.charge",
 *   },
 * });
 * console.log(formatEventLogLine(event)); // {"event_name":"payment.processed",...}
 * ```
 */
export function formatEventLogLine(event: DomainEvent): string {
  const metadata = event.metadata;
  const line: EventLogLine = {
    event_name: event.event_name,
    event_id: event.event_id,
    task_uuid: metadata?.task_uuid,
    step_name: metadata?.step_name,
    namespace: metadata?.namespace,
    correlation_id: metadata?.correlation_id,
    fired_at: metadata?.fired_at,
  };
  return JSON.stringify(line);
}

/**
 * Logs every matching event as one JSON line. Registered as a class it logs every event to
 * `console.log`; construct it (or use {@link createLoggingSubscriber}) to choose patterns and sink.
 *
 * @example
 * ```ts
 * import { EventBus, SubscriberRegistry } from "@deno-tasker/tasker";
 * import { LoggingSubscriber } from "@deno-tasker/tasker/actors";
 * await using bus = new EventBus();
 * const lines: string[] = [];
 * new SubscriberRegistry()
 *   .register(new LoggingSubscriber({ patterns: ["payment.#"], sink: (l) => lines.push(l) }))
 *   .startAll(bus);
 * ```
 */
export class LoggingSubscriber extends Subscriber {
  /** Every event by default. */
  static override subscribesTo: readonly string[] = ["*"];
  readonly #patterns: readonly string[];
  readonly #sink: LogSink;

  /**
   * Creates a logging subscriber.
   *
   * @param options patterns and sink
   */
  constructor(options: LoggingSubscriberOptions = {}) {
    super();
    this.#patterns = options.patterns ?? LoggingSubscriber.subscribesTo;
    this.#sink = options.sink ?? ((line) => console.log(line));
  }

  /** The patterns this instance logs. */
  override get patterns(): readonly string[] {
    return this.#patterns;
  }

  /** Writes the event's log line to the sink. */
  handle(event: DomainEvent): void {
    this.#sink(formatEventLogLine(event));
  }
}

/**
 * A {@link LoggingSubscriber} with the given patterns and sink, ready to register or subscribe.
 *
 * @example
 * ```ts
 * import { SubscriberRegistry } from "@deno-tasker/tasker";
 * import { createLoggingSubscriber } from "@deno-tasker/tasker/actors";
 * const registry = new SubscriberRegistry().register(
 *   createLoggingSubscriber({ patterns: ["payment.*"], sink: (line) => console.error(line) }),
 * );
 * ```
 */
export function createLoggingSubscriber(options: LoggingSubscriberOptions = {}): LoggingSubscriber {
  return new LoggingSubscriber(options);
}
