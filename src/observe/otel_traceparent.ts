/**
 * W3C Trace Context (`traceparent`) without any dependency: parse, format, and read it from a
 * domain event. An event carries its producer's trace in `metadata.traceparent`; the durable
 * writer copies that into the PGMQ message's `traceparent` header, so a consumer in any language
 * can continue the trace from either place.
 *
 * @module
 */

import type { DomainEvent } from "../events/types.ts";

/** The parts of a `traceparent` value. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the parent span. */
  spanId: string;
  /** Trace flags; bit 0 is "sampled". */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * Parses a `traceparent` value; undefined when it is not a valid one (W3C rules: version `ff` is
 * invalid, version `00` has exactly four fields, later versions may append fields, ids are not
 * all zero).
 *
 * @param value the header or metadata value
 * @returns its parts, or undefined
 *
 * @example
 * ```ts
 * import { parseTraceparent } from "@deno-tasker/tasker/observe";
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * // { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", flags: 1 }
 * ```
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== "string") return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: traceId!, spanId: spanId!, flags: parseInt(flags!, 16) };
}

/**
 * Formats a version-00 `traceparent`.
 *
 * @param parent trace id, span id and flags (default 1, sampled)
 * @returns `00-{traceId}-{spanId}-{flags}`
 * @throws {TypeError} when an id is malformed or all zero
 *
 * @example
 * ```ts
 * import { formatTraceparent } from "@deno-tasker/tasker/observe";
 * formatTraceparent({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" });
 * // "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
 * ```
 */
export function formatTraceparent(
  parent: { traceId: string; spanId: string; flags?: number },
): string {
  const flags = (parent.flags ?? 1) & 0xff;
  const value = `00-${parent.traceId}-${parent.spanId}-${flags.toString(16).padStart(2, "0")}`;
  if (parseTraceparent(value) === undefined) {
    throw new TypeError(
      `not a valid trace context: trace id ${JSON.stringify(parent.traceId)}, span id ${
        JSON.stringify(parent.spanId)
      }`,
    );
  }
  return value;
}

/**
 * The trace an event belongs to: its `metadata.traceparent`, else a PGMQ message's
 * `traceparent` header; undefined when neither holds a valid value.
 *
 * @param event the domain event
 * @param headers the PGMQ message headers, when read from a queue
 * @returns the parsed trace context, or undefined
 *
 * @example
 * ```ts
 * import { eventTraceparent } from "@deno-tasker/tasker/observe";
 * import type { DomainEvent } from "@deno-tasker/tasker";
 * declare const event: DomainEvent;
 * const parent = eventTraceparent(event);
 * if (parent) console.log(`continues trace ${parent.traceId}`);
 * ```
 */
export function eventTraceparent(
  event: Pick<DomainEvent, "metadata">,
  headers?: Record<string, unknown> | null,
): TraceParent | undefined {
  return parseTraceparent(event.metadata?.traceparent) ?? parseTraceparent(headers?.traceparent);
}
