/**
 * The structural schema of a task template (zod). It checks each field on its own: types,
 * allowed values, ranges, name rules, and it compiles the JSON Schemas. Unknown keys are found
 * by `known_keys.ts` (so lenient mode can turn them into warnings); rules that compare fields
 * with each other live in `validate.ts`. The keys are tasker-core's `TaskTemplate`, plus the
 * Ruby-era names tasker-core's own files carry (`limit`, `initial_delay`, `loaded_from`, …).
 *
 * @module
 */

import { z } from "../deps.ts";
import { isValidEventName, isValidNamespace } from "../names.ts";
import type { DeliveryMode, PublicationCondition } from "../events/types.ts";
import type { BackoffKind, BatchFailureStrategy, StepType } from "./types.ts";
import { parseCron } from "../cron.ts";
import {
  jsonSchema,
  MAX_ATTEMPTS,
  MAX_BACKOFF_MS,
  MAX_TIMEOUT_SECONDS,
  milliseconds,
  nullable,
  oneOf,
  rfc3339,
  seconds,
  show,
  text,
  wholeNumber,
} from "./schema_fields.ts";

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

/** The allowed step `type` values (tasker-core's `StepType`). */
export const STEP_TYPES: readonly StepType[] = [
  "standard",
  "decision",
  "deferred_convergence",
  "batchable",
  "batch_worker",
];

/** The allowed `batch_config.failure_strategy` values. */
export const BATCH_FAILURE_STRATEGIES: readonly BatchFailureStrategy[] = [
  "continue_on_failure",
  "fail_fast",
  "isolate",
];

/** `timeout_seconds`: up to what a timer holds; 0 or null means no deadline. */
export const timeoutSeconds = nullable(
  seconds(MAX_TIMEOUT_SECONDS, "the longest delay a timer holds is 2^31-1 ms"),
);

/**
 * The `retry:` block. `limit` is Ruby's name of `max_attempts`; `initial_delay` / `max_delay`
 * are Ruby-era seconds read as `backoff_base_ms` / `max_backoff_ms`. Null milliseconds take the
 * defaults, as tasker-core's system backoff does.
 */
export const retrySchema = z.object({
  retryable: z.boolean().default(true),
  max_attempts: wholeNumber(0, MAX_ATTEMPTS).optional(),
  limit: wholeNumber(0, MAX_ATTEMPTS).optional(),
  backoff: oneOf("backoff", BACKOFF_KINDS).default("exponential"),
  backoff_base_ms: nullable(milliseconds(MAX_BACKOFF_MS)),
  max_backoff_ms: nullable(milliseconds(MAX_BACKOFF_MS)),
  initial_delay: nullable(seconds(MAX_BACKOFF_MS / 1000, "one hour")),
  max_delay: nullable(seconds(MAX_BACKOFF_MS / 1000, "one hour")),
});

/** One `publishes_events` entry. */
export const eventSchema = z.object({
  name: z.string().refine(isValidEventName, {
    error: (issue) =>
      `invalid event name ${
        show(issue.input)
      }: expected lowercase dot-separated segments of [a-z0-9_], at least two (namespace.action)`,
  }),
  description: nullable(z.string()),
  condition: oneOf("condition", PUBLICATION_CONDITIONS).default("success"),
  delivery_mode: oneOf("delivery mode", DELIVERY_MODES).default("durable"),
  publisher: nullable(text),
  schema: nullable(jsonSchema),
});

/** A step's `handler:` block. */
export const handlerSchema = z.object({
  callable: text,
  method: nullable(text),
  resolver: nullable(z.literal("explicit_mapping", {
    error: (issue) =>
      `unknown resolver ${
        show(issue.input)
      }; deno-tasker resolves callables by explicit mapping only (its HandlerRegistry), so the one accepted value is "explicit_mapping"`,
  })),
  initialization: z.record(z.string(), z.unknown()).default({}),
});

/** `batch_config:` of a batchable step; every key is required, as in tasker-core. */
export const batchConfigSchema = z.object({
  batch_size: wholeNumber(1, 100_000),
  parallelism: wholeNumber(1, 1000),
  cursor_field: text.max(255, { error: "must be at most 255 characters" }),
  worker_template: text.max(255, { error: "must be at most 255 characters" }),
  failure_strategy: oneOf("failure strategy", BATCH_FAILURE_STRATEGIES),
});

/** One entry of `steps`; `depends_on` is an alias of `dependencies`, `step_type` of `type`. */
export const stepSchema = z.object({
  name: text,
  description: nullable(z.string()),
  handler: handlerSchema,
  type: oneOf("step type", STEP_TYPES).optional(),
  step_type: oneOf("step type", STEP_TYPES).optional(),
  system_dependency: nullable(z.string()),
  dependencies: z.array(text).optional(),
  depends_on: z.array(text).optional(),
  retry: retrySchema.prefault({}),
  timeout_seconds: timeoutSeconds,
  publishes_events: z.array(eventSchema).default([]),
  batch_config: nullable(batchConfigSchema),
  result_schema: nullable(jsonSchema),
  composition: z.unknown().optional(),
  // Ruby-era staleness hints some tasker-core files carry per step; tasker-core ignores them.
  lifecycle: z.unknown().optional(),
});

/** One override of an environment. */
export const stepOverrideSchema = z.object({
  name: text,
  handler: nullable(z.object({ initialization: nullable(z.record(z.string(), z.unknown())) })),
  timeout_seconds: timeoutSeconds,
  retry: nullable(retrySchema),
});

/** `environments.<name>:`. */
export const environmentSchema = z.object({ steps: z.array(stepOverrideSchema).default([]) });

const minutes = (max: number) => nullable(wholeNumber(1, max));

/** The template's `lifecycle:` (staleness thresholds). */
export const lifecycleSchema = z.object({
  max_duration_minutes: minutes(43_200),
  max_waiting_for_dependencies_minutes: minutes(10_080),
  max_waiting_for_retry_minutes: minutes(10_080),
  max_steps_in_process_minutes: minutes(10_080),
  staleness_action: oneOf("staleness action", ["dlq", "error", "none"] as const).default("dlq"),
  auto_fail_on_timeout: nullable(z.boolean()),
  auto_dlq_on_timeout: nullable(z.boolean()),
});

/** One `schedules:` entry: a cron schedule that submits this template (deno-tasker's own key). */
export const templateScheduleSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, {
    error: (issue) => `expected 1-100 of A-Z a-z 0-9 _ . : -, got ${show(issue.input)}`,
  }),
  cron: z.string().superRefine((cron, ctx) => {
    try {
      parseCron(cron);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
  timezone: z.string().default("UTC").superRefine((zone, ctx) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
    } catch {
      ctx.addIssue({ code: "custom", message: `unknown time zone ${show(zone)}` });
    }
  }),
  context: z.record(z.string(), z.unknown()).default({}),
  catch_up: oneOf("catch-up policy", ["latest", "skip"] as const).default("latest"),
});

/** `system_dependencies:`. */
export const systemDependenciesSchema = z.object({
  primary: z.string().default("default"),
  secondary: z.array(z.string()).default([]),
});

/** One `domain_events:` entry (the task-level catalogue). */
export const catalogueEventSchema = z.object({
  name: text,
  description: nullable(z.string()),
  schema: nullable(jsonSchema),
});

/** `metadata:`: typed where tasker-core types it; every other key is kept as written. */
export const metadataSchema = z.looseObject({
  author: nullable(z.string()),
  tags: nullable(z.array(z.string())),
  documentation_url: nullable(z.string()),
  created_at: nullable(rfc3339),
  updated_at: nullable(rfc3339),
});

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
  description: nullable(z.string()),
  metadata: nullable(metadataSchema),
  system_dependencies: systemDependenciesSchema.prefault({}),
  domain_events: z.array(catalogueEventSchema).default([]),
  input_schema: nullable(jsonSchema),
  steps: z.array(stepSchema).min(1, { error: "a template needs at least one step" }),
  environments: z.record(z.string(), environmentSchema).default({}),
  lifecycle: nullable(lifecycleSchema),
  schedules: z.array(templateScheduleSchema).default([]),
  // Tasker's guide documents it per template (its code ignores it); here it is acted on.
  identity_strategy: nullable(
    oneOf("identity strategy", ["strict", "caller_provided", "always_unique"] as const),
  ),
  loaded_from: nullable(z.string()),
});

/** What {@link templateSchema} produces. */
export type ParsedTemplate = z.output<typeof templateSchema>;
/** What {@link stepSchema} produces. */
export type ParsedStep = z.output<typeof stepSchema>;
/** What {@link retrySchema} produces. */
export type ParsedRetry = z.output<typeof retrySchema>;
