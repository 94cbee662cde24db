/**
 * What a publisher sees for one declared event of one finished step attempt. The worker builds
 * it once per step (after the step's transaction committed) and hands the same task, step and
 * result to every declared event; only `event` differs.
 *
 * @module
 */

import type { EventDeclaration } from "./declaration.ts";
import type { JsonObject } from "./types.ts";
import type {
  NaiveTimestamp,
  StepExecutionResult,
  TaskSequenceStep,
  WireCheckpoint,
} from "./wire_types.ts";

/** The task a step belongs to, as a publisher sees it. */
export interface StepEventTask {
  /** The task's UUID. */
  task_uuid: string;
  /** The template's namespace, e.g. `payments`. */
  namespace: string;
  /** The template's name, e.g. `process_payment`. */
  name: string;
  /** The template's version, e.g. `1.0.0`. */
  version: string;
  /** The task's input context, as submitted (and validated against `input_schema`). */
  context: JsonObject;
  /** Correlation id of the task request (a UUID), for tracing across services. */
  correlation_id: string;
  /** Who asked, from the task request (set on claimed tasks). */
  initiator?: string | null;
  /** The system the request came from (set on claimed tasks). */
  source_system?: string | null;
  /** Why the task runs (set on claimed tasks). */
  reason?: string | null;
  /** The request's tags (set on claimed tasks; `[]` when none were given). */
  tags?: unknown;
  /** The request's priority (set on claimed tasks; 0 by default). */
  priority?: number;
  /** The parent request's correlation id, when there is one. */
  parent_correlation_id?: string | null;
  /** When the task was requested, UTC without an offset (set on claimed tasks). */
  requested_at?: NaiveTimestamp;
  /** When the task row was created, UTC without an offset (set on claimed tasks). */
  created_at?: NaiveTimestamp;
  /** When the task row last changed, UTC without an offset (set on claimed tasks). */
  updated_at?: NaiveTimestamp;
}

/**
 * The step, as persisted after the attempt was recorded. `attempts`, `max_attempts` and
 * `retryable` come from the committed step row, never from the handler's result: feed them to
 * `stepRetryability` to know whether the step will be retried.
 */
export interface StepEventStep {
  /** The step's UUID. */
  step_uuid: string;
  /** The step's name in its template. */
  name: string;
  /** Attempts made so far, including the one that just finished. */
  attempts: number;
  /** Attempts allowed in total (the template's `retry.max_attempts`). */
  max_attempts: number;
  /** The step definition's retry flag (the template's `retry.retryable`). */
  retryable: boolean;
  /** The handler's registry key, e.g. `payments.charge_card`; `fired_by` of default events. */
  handler_callable: string;
  /** When the step row was created, UTC without an offset (set on claimed steps). */
  created_at?: NaiveTimestamp;
  /** When this attempt started, UTC without an offset (set on claimed steps). */
  last_attempted_at?: NaiveTimestamp;
  /** The worker running this attempt (set on claimed steps). */
  worker_id?: string;
  /** The template step a batch worker was made from (`process_batch` of `process_batch_001`). */
  template_step_name?: string;
  /** A batch worker's own input (cursor, batch metadata), set on claimed batch workers. */
  inputs?: Record<string, unknown>;
  /**
   * The step's saved checkpoint (Tasker's `CheckpointRecord`: `cursor`, `items_processed`,
   * `timestamp`, `accumulated_results`, `history`), when it has yielded; it becomes
   * `workflow_step.checkpoint` of the step's events. Absent or null when it never yielded.
   */
  checkpoint?: WireCheckpoint | null;
}

/** Why an attempt failed, as the handler (or the worker, for a timeout or a throw) reported. */
export interface StepEventError {
  /** Human-readable message. */
  message: string;
  /** A class of error, e.g. `timeout`, `validation`. */
  error_type?: string;
  /** A machine-readable code from the handler, e.g. `CARD_DECLINED`. */
  error_code?: string;
  /**
   * What the handler said about retrying. Informational only: whether the step is retried is
   * decided from the persisted row (see {@link StepEventStep}).
   */
  retryable?: boolean;
}

/** The outcome of the attempt. */
export interface StepEventResult {
  /** Whether the attempt succeeded. */
  success: boolean;
  /** The handler's return value on success (any JSON value); may be set on failure too. */
  result?: unknown;
  /** Why it failed; set when `success` is false. */
  error?: StepEventError;
  /** Free-form metadata the handler returned (timings, provider names, ...). */
  metadata?: Record<string, unknown>;
}

/**
 * Everything a publisher's pure functions receive, once per declared event.
 *
 * @example
 * ```ts
 * import type { StepEventContext } from "@deno-tasker/tasker/events";
 * function amount(ctx: StepEventContext): number {
 *   return (ctx.result.result as { amount?: number } | undefined)?.amount ?? 0;
 * }
 * ```
 */
export interface StepEventContext {
  /** The declaration being published: `name`, `condition`, `delivery_mode`, `publisher`, ... */
  event: EventDeclaration;
  /** The task the step belongs to. */
  task: StepEventTask;
  /** The step as persisted after this attempt. */
  step: StepEventStep;
  /** What the attempt produced. */
  result: StepEventResult;
  /**
   * The event's `payload.task_sequence_step`, as Tasker types it: the task row at
   * `task.task`, the step row at `workflow_step`, the ancestors' results, the step definition.
   */
  taskSequenceStep: TaskSequenceStep;
  /** The event's `payload.execution_result`, as Tasker types it. */
  executionResult: StepExecutionResult;
}
