/**
 * What a step handler sees and returns. A handler is an async function (or an object with a
 * `call` method) from {@link StepContext} to {@link StepResult}; `success()` and `failure()` build
 * results. A thrown error is a retryable failure carrying the error's message and type.
 *
 * @module
 */

import type { StepEventTask } from "../events/context.ts";
import type { JsonObject } from "../events/types.ts";
import type { BatchWorkerInputs, CursorConfig } from "./batch_inputs.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";

/**
 * The task a step belongs to, as its handler sees it: the same shape a custom publisher sees as
 * `ctx.task` (uuid, namespace, name, version, context, correlation_id).
 */
export type StepTaskInfo = StepEventTask;

/** The step being run, as its handler sees it. */
export interface StepInfo {
  /** The step's UUID. */
  step_uuid: string;
  /** The step's name in its template. */
  name: string;
  /** The number of this attempt, starting at 1. */
  attempts: number;
  /** Attempts allowed in total (the template's `retry.max_attempts`). */
  max_attempts: number;
  /** Whether a failure may be retried at all (the template's `retry.retryable`). */
  retryable: boolean;
}

/** Everything a handler gets for one attempt of one step. */
export interface StepContext {
  /** The task. */
  task: StepTaskInfo;
  /** The step and its attempt counters. */
  step: StepInfo;
  /** The handler's YAML `initialization` block. */
  initialization: Record<string, unknown>;
  /** Results of ALL ancestor steps (direct and transitive dependencies), by step name. */
  dependencyResults: Record<string, unknown>;
  /** A key of the task context, e.g. `ctx.input<number>("even_number")`. */
  input<T = unknown>(key: string): T | undefined;
  /**
   * An ancestor's result, or a value inside it by path: `ctx.dependency("validate_order",
   * "order_total")`.
   */
  dependency<T = unknown>(stepName: string, ...path: (string | number)[]): T | undefined;
  /** True from the second attempt on. */
  isRetry: boolean;
  /** True when a failure of this attempt cannot be retried (attempts exhausted or non-retryable). */
  isLastAttempt: boolean;
  /** Aborted on the step's `timeout_seconds` or when the worker shuts down. */
  signal: AbortSignal;
  /**
   * Publishes an ad-hoc domain event (routed durably). Never throws; a no-op with a debug line
   * when no publisher is attached.
   */
  publishDomainEvent(name: string, payload: JsonObject): void;
  /** The step's own input: a batch worker's {@link BatchWorkerInputs}; `{}` for other steps. */
  inputs: Record<string, unknown>;
  /** A batch worker's batch (its cursor range); null when the step is not a batch worker. */
  batchCursor(): CursorConfig | null;
  /** A batch worker's whole input (cursor, batch metadata, no-op flag); null otherwise. */
  batchInputs(): BatchWorkerInputs | null;
  /**
   * The results of the completed batch workers made from template step `workerTemplate`, by
   * worker name in batch order (`{}` when there are none, e.g. after `no_batches` without a
   * placeholder). A convergence step reads every batch's result this way.
   */
  batchResults<T = unknown>(workerTemplate: string): Record<string, T>;
  /** The checkpoint this step saved last (a yield, or an earlier attempt); null when none. */
  checkpoint: CheckpointRecord | null;
  /** The checkpoint's cursor; null when there is no checkpoint. */
  checkpointCursor: unknown;
  /** Items processed up to the checkpoint; 0 when there is none. */
  checkpointItemsProcessed: number;
  /** What the handler carried across yields; null when none. */
  accumulatedResults: Record<string, unknown> | null;
  /** Whether there is a checkpoint to resume from (its cursor is not null). */
  hasCheckpoint(): boolean;
}

/** A successful step outcome. */
export interface StepSuccess {
  /** Always true. */
  success: true;
  /** The step's result, available to dependants and stored as JSON. */
  result: unknown;
  /** Free-form metadata stored with the result. */
  metadata: Record<string, unknown>;
}

/** The error part of a failed step outcome. */
export interface StepError {
  /** What went wrong, in words. */
  message: string;
  /** A class of error, e.g. `ValidationError`, `timeout`. */
  error_type: string;
  /** An application code, e.g. `PAYMENT_DECLINED`. */
  error_code?: string;
  /** Whether the handler considers it retryable (the persisted step state has the last word). */
  retryable: boolean;
}

/** A failed step outcome. */
export interface StepFailure {
  /** Always false. */
  success: false;
  /** What went wrong. */
  error: StepError;
  /** Free-form metadata stored with the error. */
  metadata: Record<string, unknown>;
  /**
   * When retried, wait this long (ms) instead of the retry policy's backoff: a server's
   * `Retry-After`, say (capped at one hour). Ignored unless a finite number ≥ 0.
   */
  retry_after_ms?: number;
}

/** What a handler returns. */
export type StepResult = StepSuccess | StepFailure;

/** A step handler function. */
export type StepHandlerFunction = (ctx: StepContext) => StepResult | Promise<StepResult>;

/** A step handler: a function, or an object with a `call` method. */
export type StepHandler = StepHandlerFunction | { call: StepHandlerFunction };

/** Options of {@link failure}. */
export interface FailureOptions {
  /** A class of error. Default `StepFailure`. */
  errorType?: string;
  /** An application code. */
  errorCode?: string;
  /** Default true. */
  retryable?: boolean;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
  /** Delay before the retry, overriding the step's backoff (e.g. from `Retry-After`). */
  retryAfterMs?: number;
}

/**
 * A successful result.
 *
 * @param result the step's result
 * @param metadata free-form metadata
 *
 * @example
 * ```ts
 * import { success } from "@deno-tasker/tasker";
 * const result = success({ squared: 36 });
 * ```
 */
export function success(result: unknown, metadata: Record<string, unknown> = {}): StepSuccess {
  return { success: true, result, metadata };
}

/**
 * A failed result; retryable unless `retryable: false` is given.
 *
 * @param message what went wrong
 * @param options type, code, retryability, metadata
 *
 * @example
 * ```ts
 * import { failure } from "@deno-tasker/tasker";
 * const result = failure("even_number must be even", {
 *   errorType: "ValidationError",
 *   retryable: false,
 * });
 * ```
 */
export function failure(message: string, options: FailureOptions = {}): StepFailure {
  const error: StepError = {
    message,
    error_type: options.errorType ?? "StepFailure",
    retryable: options.retryable ?? true,
  };
  if (options.errorCode !== undefined) error.error_code = options.errorCode;
  const result: StepFailure = { success: false, error, metadata: options.metadata ?? {} };
  if (options.retryAfterMs !== undefined) result.retry_after_ms = options.retryAfterMs;
  return result;
}
