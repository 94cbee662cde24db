/**
 * Turning an event into the exact bytes the DurableWriter will store, at enqueue time: every
 * name is validated and the event is serialised once, so a caller's later mutation cannot change
 * what is written, and a bad event fails synchronously, before anything is buffered or any SQL
 * runs.
 *
 * @module
 */

import type { DomainEvent } from "../../events/types.ts";
import {
  assertEventName,
  assertNamespace,
  assertQueueName,
  domainEventsQueue,
  InvalidNameError,
} from "../../names.ts";
import { describeError, UnserializableEventError } from "./errors.ts";
import type { EnqueueOptions } from "./types.ts";

/** A NUL escape that is not itself an escaped backslash: `jsonb` refuses it. */
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/** A validated, serialised event ready for the buffer. */
export interface Prepared {
  /** The validated target queue. */
  queue: string;
  /** The event as JSON text (never a raw newline: JSON escapes it). */
  body: string;
  /** The headers as JSON text. */
  headers: string;
  /** The event itself. */
  event: DomainEvent;
}

/**
 * Validates `event` (namespace, queue, event name) and serialises it with its headers:
 * `x-event-name`, `traceparent` from `event.metadata.traceparent` unless the caller set one, and
 * the caller's headers. Throws `InvalidNameError` or `UnserializableEventError`.
 *
 * @param event the domain event
 * @param options target queue and extra headers
 */
export function prepare(event: DomainEvent, options: EnqueueOptions): Prepared {
  const namespace: unknown = event?.metadata?.namespace;
  if (typeof namespace !== "string") {
    throw new InvalidNameError(
      "namespace",
      String(namespace),
      "event.metadata.namespace is missing",
    );
  }
  const queue = options.queue ?? domainEventsQueue(namespace);
  assertQueueName(queue);
  if (options.queue !== undefined) assertNamespace(namespace);
  assertEventName(String(event.event_name));
  const headers: Record<string, unknown> = { ...options.headers };
  headers["x-event-name"] = event.event_name;
  const traceparent = event.metadata.traceparent;
  if (headers["traceparent"] === undefined && typeof traceparent === "string") {
    headers["traceparent"] = traceparent;
  }
  let body: string;
  let headerJson: string;
  try {
    body = JSON.stringify(event);
    headerJson = JSON.stringify(headers);
  } catch (error) {
    throw new UnserializableEventError(String(event.event_id), describeError(error), {
      cause: error,
    });
  }
  if (JSON_NUL.test(body) || JSON_NUL.test(headerJson)) {
    throw new UnserializableEventError(String(event.event_id), "it contains \\u0000 (NUL)");
  }
  return { queue, body, headers: headerJson, event };
}
