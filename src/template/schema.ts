/**
 * The structural schema of a task template (zod, strict objects so a typo is reported). It
 * checks each field on its own: types, allowed values, ranges, name rules, and it compiles the
 * JSON Schemas. Rules that compare fields with each other live in `validate.ts`.
 *
 * @module
 */

import { z } from "../deps.ts";
import { compileJsonSchema, InvalidSchemaError } from "../json_schema.ts";
import { isValidEventName, isValidNamespace } from "../names.ts";
import type { CompiledSchema } from "../json_schema.ts";
import type { DeliveryMode, PublicationCondition } from "../events/types.ts";
import type { BackoffKind } from "./types.ts";

/** The allowed `condition` values of an event declaration. */
export const PUBLICATION_CONDITIONS: readonly PublicationCondition[] = [
  "success",
  "failure",
  "retryable_failure",
  "permanent_failure",
  "always",
];

/** The allowed `delivery_mode` values of an event declaration. */
export const DELIVERY_MODES: readonly DeliveryMode[] = ["durable", "fast", "broadcast"];

/** The allowed `retry.backoff` values. */
export const BACKOFF_KINDS: readonly BackoffKind[] = ["exponential", "linear", "fibonacci", "none"];

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

function oneOf<T extends string>(kind: string, values: readonly T[]) {
  return z.enum(values as [T, ...T[]], {
    error: (issue) => `unknown ${kind} ${show(issue.input)}; expected one of ${values.join(", ")}`,
  });
}

const text = z.string().min(1, { error: "must not be empty" });

const jsonSchema = z.record(z.string(), z.unknown()).transform(
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

const wholeNumber = (min: number, max: number) =>
  z.number().int({ error: (issue) => `must be a whole number, got ${show(issue.input)}` })
    .min(min, { error: (issue) => `must be between ${min} and ${max}, got ${show(issue.input)}` })
    .max(max, { error: (issue) => `must be between ${min} and ${max}, got ${show(issue.input)}` });

const milliseconds = z.number().int({ error: "must be a whole number of milliseconds" })
  .min(0, { error: (issue) => `must not be negative, got ${show(issue.input)}` });

/** The `retry:` block; `limit` is the older name of `max_attempts`. */
export const retrySchema = z.object({
  retryable: z.boolean().default(true),
  max_attempts: wholeNumber(1, 100).optional(),
  limit: wholeNumber(1, 100).optional(),
  backoff: oneOf("backoff", BACKOFF_KINDS).default("exponential"),
  backoff_base_ms: milliseconds.default(1000),
  max_backoff_ms: milliseconds.default(30000),
}).strict();

/** One `publishes_events` entry. */
export const eventSchema = z.object({
  name: z.string().refine(isValidEventName, {
    error: (issue) =>
      `invalid event name ${
        show(issue.input)
      }: expected lowercase dot-separated segments of [a-z0-9_], at least two (namespace.action)`,
  }),
  description: z.string().optional(),
  condition: oneOf("condition", PUBLICATION_CONDITIONS).default("success"),
  delivery_mode: oneOf("delivery mode", DELIVERY_MODES).default("durable"),
  publisher: text.optional(),
  schema: jsonSchema.optional(),
}).strict();

/** A step's `handler:` block. */
export const handlerSchema = z.object({
  callable: text,
  initialization: z.record(z.string(), z.unknown()).default({}),
}).strict();

/** One entry of `steps`; `depends_on` is the older name of `dependencies`. */
export const stepSchema = z.object({
  name: text,
  description: z.string().optional(),
  handler: handlerSchema,
  dependencies: z.array(text).optional(),
  depends_on: z.array(text).optional(),
  retry: retrySchema.prefault({}),
  timeout_seconds: z.number().positive({
    error: (issue) => `must be a positive number of seconds, got ${show(issue.input)}`,
  }).optional(),
  publishes_events: z.array(eventSchema).default([]),
}).strict();

/** The whole template document. */
export const templateSchema = z.object({
  name: text,
  namespace_name: z.string().refine(isValidNamespace, {
    error: (issue) =>
      `invalid namespace ${
        show(issue.input)
      }: expected 1 to 29 characters of [a-z0-9_] (so {namespace}_domain_events_dlq fits PGMQ's 47)`,
  }),
  version: z.string({
    error: (issue) =>
      typeof issue.input === "number"
        ? `must be a string such as "1.0.0", got the number ${issue.input} (quote it in YAML)`
        : undefined,
  }).regex(/^\d+(\.\d+)*(-[0-9A-Za-z.-]+)?$/, {
    error: (issue) => `expected a version like 1.0.0, got ${show(issue.input)}`,
  }),
  description: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  input_schema: jsonSchema.optional(),
  steps: z.array(stepSchema).min(1, { error: "a template needs at least one step" }),
}).strict();

/** What {@link templateSchema} produces. */
export type ParsedTemplate = z.output<typeof templateSchema>;

/** The keys each kind of object accepts, for "did you mean" suggestions. */
export const KNOWN_KEYS: {
  template: string[];
  step: string[];
  handler: string[];
  retry: string[];
  event: string[];
} = {
  template: Object.keys(templateSchema.shape),
  step: Object.keys(stepSchema.shape),
  handler: Object.keys(handlerSchema.shape),
  retry: Object.keys(retrySchema.shape),
  event: Object.keys(eventSchema.shape),
};
