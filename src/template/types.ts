/**
 * The typed shape of a loaded task template. YAML is parsed and validated into these objects
 * once, at load; JSON Schemas in it are compiled then, so nothing is re-parsed per step. The
 * format is tasker-core's `TaskTemplate`: every key of it is read with its meaning, plus a few
 * deno-tasker additions (fractional `timeout_seconds`, Ruby-symbol keys, `limit`).
 *
 * @module
 */

import type { CompiledSchema } from "../json_schema.ts";
import type { EventDeclaration } from "../events/declaration.ts";
import type { TemplateIssue } from "./errors.ts";

/** How the delay between attempts grows. */
export type BackoffKind = "exponential" | "linear" | "fibonacci" | "none";

/** What kind of step a step is (tasker-core's `StepType`). */
export type StepType =
  | "standard"
  | "decision"
  | "deferred_convergence"
  | "batchable"
  | "batch_worker";

/** How a batchable step's workers react to one batch failing. */
export type BatchFailureStrategy = "continue_on_failure" | "fail_fast" | "isolate";

/** A step's retry policy (`retry:` in YAML; `limit` is Ruby's name of `max_attempts`). */
export interface RetryPolicy {
  /** Whether a failure may be retried at all. Default true. */
  retryable: boolean;
  /**
   * Executions in total, 1..100. Default 3. A template's `max_attempts: 0` (or `limit: 0`) is
   * read as 1: in tasker-core 0 means exactly one execution and never a retry.
   */
  max_attempts: number;
  /** Default `exponential`. */
  backoff: BackoffKind;
  /** Base delay, 0..3 600 000 ms. Default 1000 ms (also when the template says null). */
  backoff_base_ms: number;
  /** Cap on the delay, 0..3 600 000 ms. Default 30000 ms (also when the template says null). */
  max_backoff_ms: number;
}

/** The handler a step runs: a registered callable and its YAML configuration. */
export interface HandlerSpec {
  /** Key in the handler registry, e.g. `linear_workflow.linear_step_1`. */
  callable: string;
  /**
   * The entry point invoked on the registered handler object; `call` (the default) when the
   * template gives none. Any other value calls that method of the handler object instead.
   */
  method: string;
  /**
   * The resolver the template asks for. deno-tasker resolves every callable by explicit mapping
   * (its `HandlerRegistry`), so the only accepted value is `explicit_mapping`; absent when none.
   */
  resolver?: "explicit_mapping";
  /** Free-form configuration handed to the handler as `initialization`. */
  initialization: Record<string, unknown>;
}

/**
 * `batch_config` of a `batch_worker` step, where the engine reads it (a batchable step's is never
 * read, as in tasker-core): all five keys are required, as in tasker-core.
 */
export interface BatchConfig {
  /** Items per batch, 1..100 000. */
  batch_size: number;
  /** Workers of one batchable step queued or running at once, 1..1000 (enforced). */
  parallelism: number;
  /** The field the cursor ranges over, e.g. `id`. */
  cursor_field: string;
  /** The name of the `batch_worker` step of the same template that processes one batch. */
  worker_template: string;
  /** What one failed batch does to the others. */
  failure_strategy: BatchFailureStrategy;
}

/** One step of a template. */
export interface StepTemplate {
  /** Unique within the template. */
  name: string;
  /** Free text. */
  description?: string;
  /** What kind of step it is (`type` or `step_type` in YAML). Default `standard`. */
  type: StepType;
  /** What runs. */
  handler: HandlerSpec;
  /** Names of the steps that must complete first (`depends_on` is an alias). */
  dependencies: string[];
  /** Retry policy with defaults applied. */
  retry: RetryPolicy;
  /**
   * Handler deadline in seconds (at most 2 147 483, what a timer holds); an overrun is a
   * retryable failure of type `timeout`. Absent, null or 0: no deadline.
   */
  timeout_seconds?: number;
  /** Declared domain events. */
  publishes_events: EventDeclaration[];
  /** The external system the step talks to (informational). */
  system_dependency?: string;
  /** Batch settings; the engine reads those of `batch_worker` steps. */
  batch_config?: BatchConfig;
  /**
   * JSON Schema of the step's result, compiled at load. A successful result that fails it is
   * recorded as a non-retryable `InvalidStepResult` failure naming each JSON pointer.
   */
  result_schema?: CompiledSchema;
  /**
   * A grammar-defined virtual handler (tasker-core's `composition`), kept as written. Not run
   * yet: submitting a task with such a step fails with `UnsupportedStepError`.
   */
  composition?: unknown;
}

/** The task-level domain-event catalogue entry (`domain_events:`; informational). */
export interface TaskEventCatalogueEntry {
  /** Event name. */
  name: string;
  /** Free text. */
  description?: string;
  /** JSON Schema of the payload, compiled at load. */
  schema?: CompiledSchema;
}

/** The systems a template talks to (`system_dependencies:`; informational). */
export interface SystemDependencies {
  /** The main system. Default `default`. */
  primary: string;
  /** Other systems. Default empty. */
  secondary: string[];
}

/** One `schedules:` entry of a template: submit it with `context` at every `cron` occurrence. */
export interface TemplateSchedule {
  /** Unique schedule name. */
  name: string;
  /** Five-field cron expression or a macro (`@hourly`). */
  cron: string;
  /** IANA time zone of the cron times. Default `UTC`. */
  timezone: string;
  /** The task context. Default `{}`. */
  context: Record<string, unknown>;
  /** Missed occurrences after downtime: `latest` (fire the most recent once) or `skip`. */
  catch_up: "latest" | "skip";
}

/** Per-template staleness thresholds (`lifecycle:`, tasker-core's TAS-49). */
export interface LifecycleConfig {
  /** Longest a task may run, 1..43 200 minutes. */
  max_duration_minutes?: number;
  /** Longest a step may wait for its dependencies, 1..10 080 minutes. */
  max_waiting_for_dependencies_minutes?: number;
  /** Longest a step may wait for its retry, 1..10 080 minutes. */
  max_waiting_for_retry_minutes?: number;
  /** Longest a step may be in process, 1..10 080 minutes. */
  max_steps_in_process_minutes?: number;
  /** What happens to a stale task. Default `dlq`. */
  staleness_action: "dlq" | "error" | "none";
  /** Whether a stale task fails. */
  auto_fail_on_timeout?: boolean;
  /** Whether a stale task goes to the dead-letter queue. */
  auto_dlq_on_timeout?: boolean;
}

/** One override of an environment: what it changes for the step `name` (or `ALL` steps). */
export interface StepOverride {
  /** A step name, or `ALL`. */
  name: string;
  /** Keys shallow-merged into the step's `handler.initialization`. */
  initialization?: Record<string, unknown>;
  /** Replaces the step's `timeout_seconds`. */
  timeout_seconds?: number;
  /** Replaces the step's whole retry policy (keys it leaves out take their defaults). */
  retry?: RetryPolicy;
}

/** What the template's metadata says, typed where tasker-core types it; other keys are kept. */
export interface TemplateMetadata {
  /** The author. */
  author?: string;
  /** Tags. */
  tags?: string[];
  /** A link to documentation. */
  documentation_url?: string;
  /** RFC 3339 date-time with offset. */
  created_at?: string;
  /** RFC 3339 date-time with offset. */
  updated_at?: string;
  /** Any other key, kept as written. */
  [key: string]: unknown;
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
  /** Free-form metadata, typed where tasker-core types it. */
  metadata: TemplateMetadata;
  /** JSON Schema of the task context, compiled at load; absent when none or `null`. */
  input_schema?: CompiledSchema;
  /** Steps in declaration order, with the current environment's overrides applied. */
  steps: StepTemplate[];
  /** The systems the template talks to. */
  system_dependencies: SystemDependencies;
  /** The task-level event catalogue. */
  domain_events: TaskEventCatalogueEntry[];
  /** Staleness thresholds, when given. */
  lifecycle?: LifecycleConfig;
  /** Cron schedules submitting this template (`schedules:`), when given. */
  schedules?: TemplateSchedule[];
  /**
   * How duplicate submissions are recognised (`identity_strategy:`): `strict` (same context),
   * `caller_provided` (same `idempotency_key`, which becomes required) or `always_unique`
   * (never); absent: `always_unique`, and a request's `idempotency_key` still deduplicates.
   */
  identity_strategy?: "strict" | "caller_provided" | "always_unique";
  /** Overrides by environment name, as written (already applied for {@link environment}). */
  environments: Record<string, StepOverride[]>;
  /** The environment whose overrides were applied to `steps`; absent when none was. */
  environment?: string;
  /** The path a Ruby exporter recorded in the file (informational; `source` is the real one). */
  loaded_from?: string;
  /** The file it was loaded from, when it came from a file. */
  source?: string;
  /** Problems that did not stop the load (unknown keys in lenient mode). */
  warnings: TemplateIssue[];
}
