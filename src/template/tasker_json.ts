/**
 * A template in tasker-core's stored JSON form (what tasker-core keeps in
 * `named_tasks.configuration` and sends as `step_definition` in domain events): every field
 * written, `null` for what is not given, defaults filled in, the step kind as `type`;
 * `result_schema` and `composition` left out when absent. The output loads back with
 * `parseTemplate` (JSON is YAML) into an equal template.
 *
 * @module
 */

import type { JsonObject } from "../events/types.ts";
import type { EventDeclaration } from "../events/declaration.ts";
import type { RetryPolicy, StepOverride, StepTemplate, TaskTemplate } from "./types.ts";

const orNull = <T>(value: T | undefined): T | null => value === undefined ? null : value;

/** tasker-core's `timeout_seconds` is a whole number (u32); a fraction rounds up. */
const wholeSeconds = (value: number | undefined): number | null =>
  value === undefined ? null : Math.ceil(value);

function retryJson(retry: RetryPolicy): JsonObject {
  return {
    retryable: retry.retryable,
    max_attempts: retry.max_attempts,
    backoff: retry.backoff,
    backoff_base_ms: retry.backoff_base_ms,
    max_backoff_ms: retry.max_backoff_ms,
  };
}

function eventJson(event: EventDeclaration): JsonObject {
  return {
    name: event.name,
    description: orNull(event.description),
    condition: event.condition,
    schema: event.schema?.schema ?? null,
    delivery_mode: event.delivery_mode,
    publisher: orNull(event.publisher),
  };
}

/**
 * One step as tasker-core's `StepDefinition` JSON.
 *
 * @example
 * ```ts
 * import { parseTemplate } from "@deno-tasker/tasker";
 * import { taskerStepJson } from "./tasker_json.ts";
 * const step = parseTemplate(
 *   "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]",
 * ).steps[0]!;
 * taskerStepJson(step).type; // "standard"
 * ```
 */
export function taskerStepJson(step: StepTemplate): JsonObject {
  const json: JsonObject = {
    name: step.name,
    description: orNull(step.description),
    handler: {
      callable: step.handler.callable,
      method: step.handler.method === "call" ? null : step.handler.method,
      resolver: orNull(step.handler.resolver),
      initialization: step.handler.initialization,
    },
    type: step.type,
    system_dependency: orNull(step.system_dependency),
    dependencies: [...step.dependencies],
    retry: retryJson(step.retry),
    timeout_seconds: wholeSeconds(step.timeout_seconds),
    publishes_events: step.publishes_events.map(eventJson),
    batch_config: step.batch_config ?? null,
  };
  if (step.result_schema !== undefined) {
    json.result_schema = step.result_schema.schema;
  }
  if (step.composition !== undefined) json.composition = step.composition;
  return json;
}

function overrideJson(override: StepOverride): JsonObject {
  return {
    name: override.name,
    handler: override.initialization === undefined
      ? null
      : { initialization: override.initialization },
    timeout_seconds: wholeSeconds(override.timeout_seconds),
    retry: override.retry === undefined ? null : retryJson(override.retry),
  };
}

/**
 * The whole template as tasker-core's `TaskTemplate` JSON. The steps are the template's as
 * loaded (with the current environment's overrides applied, if any), and `environments` is
 * written as read.
 *
 * @example
 * ```ts
 * import { parseTemplate } from "@deno-tasker/tasker";
 * import { taskerTemplateJson } from "./tasker_json.ts";
 * const template = parseTemplate(
 *   "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]",
 * );
 * taskerTemplateJson(template).system_dependencies; // { primary: "default", secondary: [] }
 * ```
 */
export function taskerTemplateJson(template: TaskTemplate): JsonObject {
  const metadata = template.metadata;
  const lifecycle = template.lifecycle;
  return {
    name: template.name,
    namespace_name: template.namespace_name,
    version: template.version,
    description: orNull(template.description),
    metadata: {
      author: orNull(metadata.author),
      tags: metadata.tags ?? [],
      documentation_url: orNull(metadata.documentation_url),
      created_at: orNull(metadata.created_at),
      updated_at: orNull(metadata.updated_at),
    },
    system_dependencies: {
      primary: template.system_dependencies.primary,
      secondary: [...template.system_dependencies.secondary],
    },
    domain_events: template.domain_events.map((event) => ({
      name: event.name,
      description: orNull(event.description),
      schema: event.schema?.schema ?? null,
    })),
    input_schema: template.input_schema?.schema ?? null,
    steps: template.steps.map(taskerStepJson),
    environments: Object.fromEntries(
      Object.entries(template.environments).map((
        [name, overrides],
      ) => [name, { steps: overrides.map(overrideJson) }]),
    ),
    lifecycle: lifecycle === undefined ? null : {
      max_duration_minutes: orNull(lifecycle.max_duration_minutes),
      max_waiting_for_dependencies_minutes: orNull(lifecycle.max_waiting_for_dependencies_minutes),
      max_waiting_for_retry_minutes: orNull(lifecycle.max_waiting_for_retry_minutes),
      max_steps_in_process_minutes: orNull(lifecycle.max_steps_in_process_minutes),
      staleness_action: lifecycle.staleness_action,
      auto_fail_on_timeout: orNull(lifecycle.auto_fail_on_timeout),
      auto_dlq_on_timeout: orNull(lifecycle.auto_dlq_on_timeout),
    },
  };
}
