/**
 * The ids and timestamps of Tasker's wire that are derived rather than stored: the nil UUID,
 * naive UTC timestamps, and the deterministic `named_task_uuid` / `named_step_uuid` and
 * `identity_hash`. Every worker derives the same value for the same template and context.
 *
 * @module
 */

import type { StepEventTask } from "./context.ts";
import type { NaiveTimestamp } from "./wire_types.ts";

/** The nil UUID, which Tasker's readers use for a result that names no step. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * A `Date` as Tasker's `NaiveDateTime`: ISO 8601 in UTC without the trailing `Z`.
 *
 * @param date the instant
 * @returns e.g. `2026-03-22T09:15:03.201`
 *
 * @example
 * ```ts
 * import { naiveTimestamp } from "./wire.ts";
 * naiveTimestamp(new Date(0)); // "1970-01-01T00:00:00.000"
 * ```
 */
export function naiveTimestamp(date: Date): NaiveTimestamp {
  return date.toISOString().slice(0, -1);
}

/** A naive (UTC) timestamp back to a Date; undefined when it does not parse. */
export function fromNaive(value: NaiveTimestamp | null | undefined): Date | undefined {
  if (typeof value !== "string") return undefined;
  const date = new Date(value.endsWith("Z") ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * 64-bit FNV-1a of `text`'s UTF-16 code units, starting from `basis`, as 16 hex digits. The
 * 64-bit state is kept as two 32-bit halves (BigInt arithmetic per character cost ~10 µs per
 * event): the prime is 2^40 + 0x1b3, so `h * prime` is `h * 0x1b3 + (h << 40)` mod 2^64.
 */
function fnv1a64(text: string, basis: bigint): string {
  let hi = Number(basis >> 32n);
  let lo = Number(basis & 0xffffffffn);
  for (let i = 0; i < text.length; i++) {
    lo ^= text.charCodeAt(i);
    lo >>>= 0;
    const low = lo * 0x1b3; // < 2^41: exact in a double
    const carry = Math.floor(low / 0x100000000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/**
 * A deterministic UUID (version 8, RFC 9562 "custom") for `parts`: the same parts always give
 * the same id. Used for the template-level ids Tasker keeps in tables of its own.
 *
 * @param parts the identifying strings, e.g. namespace, name and version
 * @returns a canonical lowercase UUID
 *
 * @example
 * ```ts
 * import { derivedUuid } from "./wire.ts";
 * derivedUuid("payments", "charge", "1.0.0") === derivedUuid("payments", "charge", "1.0.0"); // true
 * ```
 */
export function derivedUuid(...parts: string[]): string {
  const text = parts.join("\u0000");
  const known = derivedIds.get(text);
  if (known !== undefined) return known;
  if (derivedIds.size >= DERIVED_IDS_KEPT) derivedIds.clear();
  const id = computeDerivedUuid(text);
  derivedIds.set(text, id);
  return id;
}

/** Template and step ids are derived again for every event: the last few thousand are kept. */
const derivedIds = new Map<string, string>();
const DERIVED_IDS_KEPT = 4096;

function computeDerivedUuid(text: string): string {
  const hi = fnv1a64(text, 0xcbf29ce484222325n);
  const lo = fnv1a64(text, 0x84222325cbf29ce4n);
  const variant = ((parseInt(lo[0]!, 16) & 0x3) | 0x8).toString(16);
  return `${hi.slice(0, 8)}-${hi.slice(8, 12)}-8${hi.slice(13, 16)}-${variant}${lo.slice(1, 4)}-${
    lo.slice(4, 16)
  }`;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value).sort().map((key) =>
      `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The registered-template id of a task's template. */
export function namedTaskUuid(task: Pick<StepEventTask, "namespace" | "name" | "version">): string {
  return derivedUuid("named_task", task.namespace, task.name, task.version);
}

/**
 * The task's identity hash: 16 hex digits of FNV-1a over its named task and canonical context.
 *
 * @param task the task (namespace, name, version, context)
 * @returns e.g. `9c41e07a5b2d8f13`
 */
export function identityHash(
  task: Pick<StepEventTask, "namespace" | "name" | "version" | "context">,
): string {
  return fnv1a64(`${namedTaskUuid(task)}|${canonicalJson(task.context)}`, 0xcbf29ce484222325n);
}
