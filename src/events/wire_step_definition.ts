/**
 * A template's step as Tasker's `StepDefinition` (the `step_definition` of an event's
 * `task_sequence_step`), with Rust's defaults written out; and the minimal definition a step row
 * gives when its template is not at hand.
 *
 * @module
 */

import type { EventDeclaration } from "./declaration.ts";
import type { StepEventStep } from "./context.ts";
import type { WireEventDeclaration, WireStepDefinition } from "./wire_types.ts";

/**
 * What the wire reads of a template's step definition: the fields of the template layer's
 * `StepTemplate` that Tasker's `StepDefinition` carries (declared here, so the event model does
 * not depend on the template loader; a `StepTemplate` is one).
 */
export interface StepDefinitionSource {
  /** The step's name. */
  name: string;
  /** Its description, if the template gives one. */
  description?: string;
  /** The handler's callable and its `initialization`. */
  handler: { callable: string; initialization?: Record<string, unknown> };
  /** The names of the steps it depends on. */
  dependencies: readonly string[];
  /** Its retry policy, as the template resolved it. */
  retry: {
    retryable: boolean;
    max_attempts: number;
    backoff: string;
    backoff_base_ms?: number | null;
    max_backoff_ms?: number | null;
  };
  /** Its timeout, if any. */
  timeout_seconds?: number;
  /** The events it declares. */
  publishes_events: readonly EventDeclaration[];
}

/** Optional template keys that newer template parsers add; read without depending on them. */
interface StepTemplateExtras {
  type?: string;
  system_dependency?: string | null;
  batch_config?: Record<string, unknown> | null;
  result_schema?: unknown;
  handler: { method?: string | null; resolver?: string | null };
}

function schemaJson(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return null;
  const raw = (schema as { schema?: unknown }).schema;
  return raw === undefined ? schema : raw;
}

/**
 * The template's step as Tasker's `StepDefinition`.
 *
 * @param definition the loaded template step
 * @returns the wire form, defaults written out as Rust writes them
 */
export function wireStepDefinition(definition: StepDefinitionSource): WireStepDefinition {
  const extras = definition as unknown as StepTemplateExtras;
  const compiledResultSchema = schemaJson(extras.result_schema);
  const out: WireStepDefinition = {
    name: definition.name,
    description: definition.description ?? null,
    handler: {
      callable: definition.handler.callable,
      method: extras.handler.method ?? null,
      resolver: extras.handler.resolver ?? null,
      initialization: definition.handler.initialization ?? {},
    },
    type: extras.type ?? "standard",
    system_dependency: extras.system_dependency ?? null,
    dependencies: [...definition.dependencies],
    retry: {
      retryable: definition.retry.retryable,
      max_attempts: definition.retry.max_attempts,
      backoff: definition.retry.backoff,
      backoff_base_ms: definition.retry.backoff_base_ms ?? null,
      max_backoff_ms: definition.retry.max_backoff_ms ?? null,
    },
    timeout_seconds: definition.timeout_seconds ?? null,
    publishes_events: definition.publishes_events.map((declaration): WireEventDeclaration => ({
      name: declaration.name,
      description: declaration.description ?? "",
      condition: declaration.condition,
      schema: schemaJson(declaration.schema),
      delivery_mode: declaration.delivery_mode,
      publisher: declaration.publisher ?? null,
    })),
    batch_config: extras.batch_config ?? null,
  };
  if (compiledResultSchema !== null) out.result_schema = compiledResultSchema;
  return out;
}

/** A definition for a step whose template is not at hand: what the step row says. */
export function minimalDefinition(step: StepEventStep): WireStepDefinition {
  return {
    name: step.name,
    description: null,
    handler: {
      callable: step.handler_callable,
      method: null,
      resolver: null,
      initialization: {},
    },
    type: "standard",
    system_dependency: null,
    dependencies: [],
    retry: {
      retryable: step.retryable,
      max_attempts: step.max_attempts,
      backoff: "exponential",
      backoff_base_ms: null,
      max_backoff_ms: null,
    },
    timeout_seconds: null,
    publishes_events: [],
    batch_config: null,
  };
}
