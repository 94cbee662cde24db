/**
 * The typed shape of a loaded task template. YAML is parsed and validated into these objects
 * once, at load; JSON Schemas in it are compiled then, so nothing is re-parsed per step.
 *
 * @module
 */

import type { CompiledSchema } from "../json_schema.ts";
import type { DeliveryMode, PublicationCondition } from "../events/types.ts";

/** How the delay between attempts grows. */
export type BackoffKind = "exponential" | "linear" | "fibonacci" | "none";

/** A step's retry policy (`retry:` in YAML; `limit` is an alias of `max_attempts`). */
export interface RetryPolicy {
  /** Whether a failure may be retried at all. Default true. */
  retryable: boolean;
  /** Attempts in total, 1..100. Default 3. */
  max_attempts: number;
  /** Default `exponential`. */
  backoff: BackoffKind;
  /** Base delay. Default 1000 ms. */
  backoff_base_ms: number;
  /** Cap on the delay. Default 30000 ms. */
  max_backoff_ms: number;
}

/** One `publishes_events` entry of a step. */
export interface EventDeclaration {
  /** Dotted event name, e.g. `payment.processed`. */
  name: string;
  /** Free text. */
  description?: string;
  /** When it fires. Default `success`. */
  condition: PublicationCondition;
  /** Where it goes. Default `durable`. */
  delivery_mode: DeliveryMode;
  /** Name of a registered custom publisher; the default publisher when absent. */
  publisher?: string;
  /** The business payload's JSON Schema, compiled at load. */
  schema?: CompiledSchema;
}

/** The handler a step runs: a registered callable and its YAML configuration. */
export interface HandlerSpec {
  /** Key in the handler registry, e.g. `linear_workflow.linear_step_1`. */
  callable: string;
  /** Free-form configuration handed to the handler as `initialization`. */
  initialization: Record<string, unknown>;
}

/** One step of a template. */
export interface StepTemplate {
  /** Unique within the template. */
  name: string;
  /** Free text. */
  description?: string;
  /** What runs. */
  handler: HandlerSpec;
  /** Names of the steps that must complete first (`depends_on` is an alias). */
  dependencies: string[];
  /** Retry policy with defaults applied. */
  retry: RetryPolicy;
  /** Handler deadline; an overrun is a retryable failure of type `timeout`. */
  timeout_seconds?: number;
  /** Declared domain events. */
  publishes_events: EventDeclaration[];
}

/** A validated task template. */
export interface TaskTemplate {
  /** Template name, e.g. `mathematical_sequence`. */
  name: string;
  /** Namespace, e.g. `linear_workflow` (`^[a-z0-9_]{1,29}$`). */
  namespace_name: string;
  /** Version string, e.g. `1.0.0`. */
  version: string;
  /** Free text. */
  description?: string;
  /** Free-form metadata. */
  metadata: Record<string, unknown>;
  /** JSON Schema of the task context, compiled at load. */
  input_schema?: CompiledSchema;
  /** Steps in declaration order. */
  steps: StepTemplate[];
  /** The file it was loaded from, when it came from a file. */
  source?: string;
}
