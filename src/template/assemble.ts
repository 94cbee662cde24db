/**
 * Builds the typed {@link TaskTemplate} from a document the schema accepted: aliases folded
 * (`depends_on`, `step_type`, `limit`, `initial_delay` / `max_delay`), defaults filled in,
 * nulls dropped, and the current environment's overrides applied.
 *
 * @module
 */

import { applyOverrides, currentEnvironment } from "./environments.ts";
import type { TemplateIssue } from "./errors.ts";
import type { ParsedRetry, ParsedStep, ParsedTemplate } from "./schema.ts";
import type { EventDeclaration } from "../events/declaration.ts";
import type { RetryPolicy, StepOverride, StepTemplate, TaskTemplate } from "./types.ts";

/** The retry policy when a step has no `retry:` block, and the defaults of a partial one. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  retryable: true,
  max_attempts: 3,
  backoff: "exponential",
  backoff_base_ms: 1000,
  max_backoff_ms: 30000,
};

/**
 * A parsed `retry:` block as a policy. `max_attempts: 0` is tasker-core's "exactly one
 * execution, never a retry", which is what 1 means here.
 */
export function retryPolicy(retry: ParsedRetry): RetryPolicy {
  const attempts = retry.max_attempts ?? retry.limit ?? DEFAULT_RETRY.max_attempts;
  const fromSeconds = (value: number | undefined) =>
    value === undefined ? undefined : Math.round(value * 1000);
  return {
    retryable: retry.retryable,
    max_attempts: Math.max(1, attempts),
    backoff: retry.backoff,
    backoff_base_ms: retry.backoff_base_ms ?? fromSeconds(retry.initial_delay) ??
      DEFAULT_RETRY.backoff_base_ms,
    max_backoff_ms: retry.max_backoff_ms ?? fromSeconds(retry.max_delay) ??
      DEFAULT_RETRY.max_backoff_ms,
  };
}

function assembleStep(step: ParsedStep): StepTemplate {
  const out: StepTemplate = {
    name: step.name,
    type: step.type ?? step.step_type ?? "standard",
    handler: {
      callable: step.handler.callable,
      method: step.handler.method ?? "call",
      initialization: step.handler.initialization,
    },
    dependencies: step.dependencies ?? step.depends_on ?? [],
    retry: retryPolicy(step.retry),
    publishes_events: step.publishes_events.map((event) => {
      const declaration: EventDeclaration = {
        name: event.name,
        condition: event.condition,
        delivery_mode: event.delivery_mode,
      };
      if (event.description !== undefined) declaration.description = event.description;
      if (event.publisher !== undefined) declaration.publisher = event.publisher;
      if (event.schema !== undefined) declaration.schema = event.schema;
      return declaration;
    }),
  };
  if (step.description !== undefined) out.description = step.description;
  if (step.handler.resolver !== undefined) out.handler.resolver = step.handler.resolver;
  if (step.timeout_seconds !== undefined) out.timeout_seconds = step.timeout_seconds;
  if (step.system_dependency !== undefined) out.system_dependency = step.system_dependency;
  if (step.batch_config !== undefined) out.batch_config = step.batch_config;
  if (step.result_schema !== undefined) out.result_schema = step.result_schema;
  if (step.composition !== undefined) out.composition = step.composition;
  return out;
}

function assembleEnvironments(parsed: ParsedTemplate): Record<string, StepOverride[]> {
  const environments: Record<string, StepOverride[]> = {};
  for (const [name, environment] of Object.entries(parsed.environments)) {
    environments[name] = environment.steps.map((step) => {
      const override: StepOverride = { name: step.name };
      const initialization = step.handler?.initialization;
      if (initialization !== undefined) override.initialization = initialization;
      if (step.timeout_seconds !== undefined) override.timeout_seconds = step.timeout_seconds;
      if (step.retry !== undefined) override.retry = retryPolicy(step.retry);
      return override;
    });
  }
  return environments;
}

/** What {@link assemble} needs besides the parsed document. */
export interface AssembleOptions {
  /** The file the template came from. */
  source?: string;
  /** The environment to resolve; `TASKER_ENV` when not given. */
  environment?: string;
  /** Problems that did not stop the load. */
  warnings: TemplateIssue[];
}

/** The typed template of a document the schema and the cross-field rules accepted. */
export function assemble(parsed: ParsedTemplate, options: AssembleOptions): TaskTemplate {
  const steps = parsed.steps.map(assembleStep);
  const environments = assembleEnvironments(parsed);
  const template: TaskTemplate = {
    name: parsed.name,
    namespace_name: parsed.namespace_name,
    version: parsed.version,
    metadata: parsed.metadata ?? {},
    steps,
    system_dependencies: parsed.system_dependencies,
    domain_events: parsed.domain_events.map((event) => ({
      name: event.name,
      ...(event.description === undefined ? {} : { description: event.description }),
      ...(event.schema === undefined ? {} : { schema: event.schema }),
    })),
    environments,
    warnings: options.warnings,
  };
  if (Object.keys(environments).length > 0) {
    const environment = currentEnvironment(options.environment);
    const overrides = environment === undefined ? undefined : environments[environment];
    if (environment !== undefined && overrides !== undefined) {
      template.steps = applyOverrides(steps, overrides);
      template.environment = environment;
    }
  }
  if (parsed.description !== undefined) template.description = parsed.description;
  if (parsed.input_schema !== undefined) template.input_schema = parsed.input_schema;
  if (parsed.lifecycle !== undefined) template.lifecycle = parsed.lifecycle;
  if (parsed.schedules.length > 0) template.schedules = parsed.schedules;
  if (parsed.identity_strategy !== undefined) {
    template.identity_strategy = parsed.identity_strategy;
  }
  if (parsed.loaded_from !== undefined) template.loaded_from = parsed.loaded_from;
  if (options.source !== undefined) template.source = options.source;
  return template;
}
