/**
 * The parts of a domain event that describe the step that fired it, typed exactly as tasker-core
 * (Tasker's Rust core) reads them: `payload.task_sequence_step` is a `TaskSequenceStep`,
 * `payload.execution_result` a `StepExecutionResult`. Keys are the Rust field names. A consumer
 * written against tasker-core's serde types reads the events this library writes, and the other
 * way round.
 *
 * Two timestamp formats appear, because the Rust types differ: {@link NaiveTimestamp} (no offset)
 * inside the task and step rows, RFC 3339 with `Z` ({@link UtcTimestamp}) everywhere else.
 *
 * @module
 */

/**
 * A timestamp WITHOUT an offset, `YYYY-MM-DDTHH:MM:SS.ffffff`, in UTC wall-clock time (Rust's
 * `NaiveDateTime`). A trailing `Z` is rejected by Rust readers; `naiveTimestamp()` writes one.
 */
export type NaiveTimestamp = string;

/** An RFC 3339 timestamp with an offset, e.g. `2026-03-22T09:15:03.201Z` (Rust's `DateTime<Utc>`). */
export type UtcTimestamp = string;

/** The task row (`task_sequence_step.task.task`): the 15 columns of Tasker's `tasks` table. */
export interface WireTask {
  /** The task's UUID. */
  task_uuid: string;
  /** The registered template this task runs (a UUID derived from namespace, name and version). */
  named_task_uuid: string;
  /** Whether the task has finished (always false while one of its steps is publishing). */
  complete: boolean;
  /** When the task was requested. */
  requested_at: NaiveTimestamp;
  /** Who asked, from the task request. */
  initiator: string | null;
  /** The system the request came from. */
  source_system: string | null;
  /** Why the task runs. */
  reason: string | null;
  /** The request's tags (an array of strings in practice; `[]` when none were given). */
  tags: unknown;
  /** The task's input context. */
  context: unknown;
  /** The task's identity key: an opaque string (16 lowercase hex digits here). */
  identity_hash: string;
  /** The request's priority, an integer in -100..100; 0 by default. */
  priority: number;
  /** When the row was created. */
  created_at: NaiveTimestamp;
  /** When the row last changed. */
  updated_at: NaiveTimestamp;
  /** The request's correlation id, a UUID. */
  correlation_id: string;
  /** The parent request's correlation id, a UUID, when there is one. */
  parent_correlation_id: string | null;
}

/** `task_sequence_step.task`: the task row plus the names of its template. */
export interface WireTaskForOrchestration {
  /** The row, nested one level deeper. */
  task: WireTask;
  /** The template's `name`. */
  task_name: string;
  /** The template's `version`. */
  task_version: string;
  /** The template's `namespace_name`. */
  namespace_name: string;
}

/**
 * `workflow_step.checkpoint`: Tasker's `CheckpointRecord`, the JSON its `workflow_steps.checkpoint`
 * column holds after a yield.
 */
export interface WireCheckpoint {
  /** Where to resume: a number, string or object. */
  cursor: unknown;
  /** Items processed so far, cumulative. */
  items_processed: number;
  /** When it was saved, RFC 3339. */
  timestamp: string;
  /** What the handler carries across yields; null when it gave none. */
  accumulated_results: Record<string, unknown> | null;
  /** Every yield so far, oldest first (`cursor`, `timestamp`); the last is this one. */
  history: { cursor: unknown; timestamp: string }[];
}

/** `task_sequence_step.workflow_step`: the step row with Tasker's column names (18 fields). */
export interface WireWorkflowStep {
  /** The step's UUID (equal to `metadata.step_uuid`). */
  workflow_step_uuid: string;
  /** The task's UUID. */
  task_uuid: string;
  /** The template step (a UUID derived from the template and the step name). */
  named_step_uuid: string;
  /** The step's name. */
  name: string;
  /** The template step used for handler lookup; equal to `name` here. */
  template_step_name: string;
  /** The template's `retry.retryable`, as persisted with the attempt. */
  retryable: boolean;
  /** The template's `retry.max_attempts`. */
  max_attempts: number | null;
  /** Whether an attempt is running: true while the step's events are built. */
  in_process: boolean;
  /** Whether the step has finished: false while its events are built. */
  processed: boolean;
  /** When it finished, if it has. */
  processed_at: NaiveTimestamp | null;
  /** Attempts so far, this one included. */
  attempts: number | null;
  /** When the current attempt started. */
  last_attempted_at: NaiveTimestamp | null;
  /** A server-requested retry delay, when there is one. */
  backoff_request_seconds: number | null;
  /** The handler's `initialization` block; null when it is empty. */
  inputs: unknown;
  /** The persisted result, if any (null while the attempt runs). */
  results: unknown;
  /** The step's last saved checkpoint; null when it never yielded. */
  checkpoint: WireCheckpoint | null;
  /** When the row was created. */
  created_at: NaiveTimestamp;
  /** When the row last changed. */
  updated_at: NaiveTimestamp;
}

/** `handler` of a {@link WireStepDefinition}. */
export interface WireHandlerDefinition {
  /** The registry key of the handler. */
  callable: string;
  /** The method to call on it; null means `call`. */
  method: string | null;
  /** A resolver hint, when the template gives one. */
  resolver: string | null;
  /** The handler's configuration. */
  initialization: Record<string, unknown>;
}

/** `retry` of a {@link WireStepDefinition}. */
export interface WireRetry {
  /** Whether a failure may be retried. */
  retryable: boolean;
  /** Attempts in total. */
  max_attempts: number;
  /** `none`, `linear`, `exponential` or `fibonacci`. */
  backoff: string;
  /** Base delay in milliseconds. */
  backoff_base_ms: number | null;
  /** Cap on the delay in milliseconds. */
  max_backoff_ms: number | null;
}

/** One `publishes_events` entry of a {@link WireStepDefinition}. */
export interface WireEventDeclaration {
  /** The event's name. */
  name: string;
  /** Free text (required by Tasker; `""` when the template has none). */
  description: string;
  /** When it fires. */
  condition: string;
  /** The payload's JSON Schema, or null. */
  schema: unknown;
  /** `durable`, `fast` or `broadcast`. */
  delivery_mode: string;
  /** The custom publisher's name, or null for the default one. */
  publisher: string | null;
}

/** `task_sequence_step.step_definition`: the template's definition of the step. */
export interface WireStepDefinition {
  /** The step's name. */
  name: string;
  /** Free text. */
  description: string | null;
  /** What runs. */
  handler: WireHandlerDefinition;
  /** `standard`, `decision`, `deferred_convergence`, `batchable` or `batch_worker`. */
  type: string;
  /** The external system the step depends on, when declared. */
  system_dependency: string | null;
  /** Names of the steps that must complete first. */
  dependencies: string[];
  /** The retry policy. */
  retry: WireRetry;
  /** The handler's deadline. */
  timeout_seconds: number | null;
  /** The declared events. */
  publishes_events: WireEventDeclaration[];
  /** Batch configuration, when the step is batchable. */
  batch_config: Record<string, unknown> | null;
  /** Tooling-only result schema; the key is left out when there is none. */
  result_schema?: unknown;
}

/** `execution_result.metadata` (`StepExecutionMetadata`). */
export interface WireExecutionMetadata {
  /** Time in the handler, whole milliseconds. */
  execution_time_ms: number;
  /** Reserved. */
  handler_version: string | null;
  /** The handler's retry verdict. */
  retryable: boolean;
  /** When the attempt ended. */
  completed_at: UtcTimestamp;
  /** The worker that ran it. */
  worker_id: string | null;
  /** The worker's host, when known. */
  worker_hostname: string | null;
  /** When the attempt started. */
  started_at: UtcTimestamp | null;
  /** The handler's own metadata (what `success(result, metadata)` was given). */
  custom: Record<string, unknown>;
  /** The handler's error code, e.g. `PAYMENT_DECLINED`. */
  error_code: string | null;
  /** The error's type, also in `error.error_type`. */
  error_type: string | null;
  /** Context for API backoff evaluation. */
  context: Record<string, unknown>;
}

/** `execution_result.error` (`StepExecutionError`). */
export interface WireExecutionError {
  /** What went wrong. */
  message: string;
  /** The error's type. */
  error_type: string | null;
  /** A stack trace, when there is one. */
  backtrace: string[] | null;
  /** Whether the handler considers it retryable. */
  retryable: boolean;
  /** An HTTP status; the key is left out when there is none. */
  status_code?: number;
  /** Extra context; the key is left out when empty. */
  context?: Record<string, unknown>;
}

/** `execution_result.orchestration_metadata` (`OrchestrationMetadata`). */
export interface WireOrchestrationMetadata {
  /** Response headers (string to string). */
  headers: Record<string, string>;
  /** Free text. */
  error_context: string | null;
  /** A backoff hint, when the handler gave one. */
  backoff_hint: Record<string, unknown> | null;
  /** Free-form. */
  custom: Record<string, unknown>;
}

/** A step's execution result as Tasker writes it (`StepExecutionResult`). */
export interface StepExecutionResult {
  /** The step that produced it. */
  step_uuid: string;
  /** Whether the attempt succeeded. */
  success: boolean;
  /** The handler's return value; `{}` on failure. */
  result: unknown;
  /** Timings, the handler's metadata (`custom`), error code and type. */
  metadata: WireExecutionMetadata;
  /** `completed` on success, `failed` on a failure. */
  status: string;
  /** Why it failed; null on success. */
  error: WireExecutionError | null;
  /** Orchestration hints (headers, backoff); empty here. */
  orchestration_metadata: WireOrchestrationMetadata | null;
}

/**
 * `payload.task_sequence_step`: the full execution context of the step that fired the event.
 *
 * @example
 * ```ts
 * import type { TaskSequenceStep } from "@deno-tasker/tasker/events";
 * function orderId(step: TaskSequenceStep): unknown {
 *   return (step.task.task.context as { order_id?: unknown } | null)?.order_id;
 * }
 * ```
 */
export interface TaskSequenceStep {
  /** The task row and its template's names. */
  task: WireTaskForOrchestration;
  /** The step row. */
  workflow_step: WireWorkflowStep;
  /** Results of the step's ancestors (direct and transitive), by step name; `{}` for a root. */
  dependency_results: Record<string, StepExecutionResult>;
  /** The template's definition of the step. */
  step_definition: WireStepDefinition;
}
