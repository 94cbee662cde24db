/**
 * The field types the template schemas are built from: non-empty text, bounded whole numbers,
 * milliseconds and seconds with their limits, enums that list their values, JSON Schemas
 * compiled at load, and "nullable" (tasker-core's `Option`: missing, empty, `~` and `null` all
 * mean "not given").
 *
 * @module
 */

import { z } from "../deps.ts";
import { compileJsonSchema, InvalidSchemaError } from "../json_schema.ts";
import type { CompiledSchema } from "../json_schema.ts";

/** The longest delay a timer holds: `setTimeout` fires at once for anything above 2^31−1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest `timeout_seconds` a timer can hold (24.8 days). */
export const MAX_TIMEOUT_SECONDS: number = Math.floor(MAX_TIMER_MS / 1000);

/** The largest `backoff_base_ms` / `max_backoff_ms` (one hour, tasker-core's declared range). */
export const MAX_BACKOFF_MS = 3_600_000;

/** The largest `max_attempts`. */
export const MAX_ATTEMPTS = 100;

/** A value for messages: JSON when it has a JSON form. */
export const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** One of `values`, with a message listing them. */
export function oneOf<T extends string>(
  kind: string,
  values: readonly T[],
): z.ZodEnum<{ [K in T]: K }> {
  return z.enum(values as [T, ...T[]], {
    error: (issue) =>
      issue.input === undefined
        ? "is required"
        : `unknown ${kind} ${show(issue.input)}; expected one of ${values.join(", ")}`,
  }) as unknown as z.ZodEnum<{ [K in T]: K }>;
}

/** A non-empty string. */
export const text: z.ZodString = z.string().min(1, { error: "must not be empty" });

/** A finite number; YAML's `.inf` and `.nan` are refused by name. */
const finite = () =>
  z.number({
    error: (issue) =>
      typeof issue.input === "number" ? `must be a finite number, got ${issue.input}` : undefined,
  });

/** A whole number in `min..max`. */
export function wholeNumber(min: number, max: number): z.ZodNumber {
  return finite().int({ error: (issue) => `must be a whole number, got ${show(issue.input)}` })
    .min(min, { error: (issue) => `must be between ${min} and ${max}, got ${show(issue.input)}` })
    .max(max, { error: (issue) => `must be between ${min} and ${max}, got ${show(issue.input)}` });
}

/** A whole number of milliseconds in `0..max`. */
export function milliseconds(max: number): z.ZodNumber {
  return finite().int({ error: "must be a whole number of milliseconds" })
    .min(0, { error: (issue) => `must not be negative, got ${show(issue.input)}` })
    .max(max, {
      error: (issue) =>
        `must be at most ${max} ms (${max / 60_000} minutes), got ${show(issue.input)}`,
    });
}

/** A number of seconds in `0..max` (fractions allowed). */
export function seconds(max: number, why: string): z.ZodNumber {
  return finite()
    .min(0, { error: (issue) => `must not be negative, got ${show(issue.input)}` })
    .max(max, {
      error: (issue) => `must be at most ${max} seconds (${why}), got ${show(issue.input)}`,
    });
}

/** tasker-core's `Option`: missing, empty or `null` read as not given (`undefined`). */
export function nullable<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((value) => value ?? undefined);
}

/** A JSON Schema (a mapping), compiled at load. */
export const jsonSchema = z.record(z.string(), z.unknown()).transform(
  (schema, ctx): CompiledSchema => {
    try {
      return compileJsonSchema(schema, "schema");
    } catch (error) {
      if (!(error instanceof InvalidSchemaError)) throw error;
      const reason = error.cause instanceof Error ? error.cause.message : error.message;
      ctx.issues.push({ code: "custom", message: `invalid JSON Schema: ${reason}`, input: schema });
      return z.NEVER;
    }
  },
);

/** RFC 3339 date-time with an offset, as chrono reads it (`2025-01-03T00:00:00Z`). */
export const rfc3339: z.ZodString = z.string().regex(
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  {
    error: (issue) =>
      `expected an RFC 3339 date-time with offset such as 2025-01-03T00:00:00Z, got ${
        show(issue.input)
      }`,
  },
);
