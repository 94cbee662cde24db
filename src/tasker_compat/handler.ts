/**
 * Step-handler helpers with tasker-core's names, over this library's `StepContext`: the
 * TypeScript worker's context accessors (`getInput`, `getDependencyResult`, `isLastRetry()`,
 * ...) and its positional `failure(message, errorType, retryable, metadata, errorCode)`.
 *
 * @module
 */

import { failure, type StepContext, type StepFailure } from "../worker/step_handler.ts";

/** tasker-core's TypeScript step-context accessors, reading a `StepContext`. */
export interface TaskerStepContext {
  /** The task's UUID. */
  readonly taskUuid: string;
  /** The step's UUID. */
  readonly stepUuid: string;
  /** The correlation id. */
  readonly correlationId: string;
  /** The task context (`ctx.task.context`). */
  readonly inputData: Record<string, unknown>;
  /** The handler's `initialization` (`ctx.initialization`). */
  readonly stepConfig: Record<string, unknown>;
  /** Ancestors' results by step name (`ctx.dependencyResults`). */
  readonly dependencyResults: Record<string, unknown>;
  /** Attempts made before this one (0 on the first attempt). */
  readonly retryCount: number;
  /** Attempts allowed in total (`retry.max_attempts`). */
  readonly maxRetries: number;
  /** A key of the task context. */
  getInput<T = unknown>(key: string): T | undefined;
  /** A key of the task context, or `fallback` when it is undefined. */
  getInputOr<T = unknown>(key: string, fallback: T): T;
  /** A key of the handler's `initialization`. */
  getConfig<T = unknown>(key: string): T | undefined;
  /** An ancestor's result; null when there is none. */
  getDependencyResult(stepName: string): unknown;
  /** A value inside an ancestor's result; null when any part is missing. */
  getDependencyField(stepName: string, ...path: string[]): unknown;
  /** The results of every ancestor whose name starts with `prefix`. */
  getAllDependencyResults(prefix: string): unknown[];
  /** The ancestors' names. */
  getDependencyResultKeys(): string[];
  /** Whether this is a retry. */
  isRetry(): boolean;
  /** Whether this is the last attempt allowed (`retryCount >= maxRetries - 1`). */
  isLastRetry(): boolean;
}

/**
 * tasker-core's accessors over `ctx`, so a ported handler body reads as before.
 *
 * @param ctx the handler's context
 * @returns the accessors
 *
 * @example
 * ```ts
 * import { taskerContext } from "@deno-tasker/tasker/tasker-compat";
 * import { success, type StepContext } from "@deno-tasker/tasker";
 * function handler(ctx: StepContext) {
 *   const context = taskerContext(ctx);
 *   const orderId = context.getInput<string>("order_id");
 *   const total = context.getDependencyField("validate_order", "total");
 *   return success({ orderId, total, last: context.isLastRetry() });
 * }
 * ```
 */
export function taskerContext(ctx: StepContext): TaskerStepContext {
  const dependencyResults = ctx.dependencyResults;
  const has = (name: string) => Object.hasOwn(dependencyResults, name);
  const result = (name: string): unknown => {
    if (!has(name)) return null;
    return dependencyResults[name] ?? null;
  };
  return {
    taskUuid: ctx.task.task_uuid,
    stepUuid: ctx.step.step_uuid,
    correlationId: ctx.task.correlation_id,
    inputData: ctx.task.context,
    stepConfig: ctx.initialization,
    dependencyResults,
    retryCount: ctx.step.attempts - 1,
    maxRetries: ctx.step.max_attempts,
    getInput: <T>(key: string) => ctx.input<T>(key),
    getInputOr: <T>(key: string, fallback: T) => ctx.input<T>(key) ?? fallback,
    getConfig: <T>(key: string) =>
      (Object.hasOwn(ctx.initialization, key) ? ctx.initialization[key] : undefined) as
        | T
        | undefined,
    getDependencyResult: result,
    getDependencyField(stepName: string, ...path: string[]): unknown {
      if (!has(stepName)) return null;
      return ctx.dependency(stepName, ...path) ?? null;
    },
    getAllDependencyResults: (prefix: string) =>
      Object.keys(dependencyResults).filter((name) => name.startsWith(prefix)).map(result)
        .filter((value) => value !== null),
    getDependencyResultKeys: () => Object.keys(dependencyResults),
    isRetry: () => ctx.isRetry,
    isLastRetry: () => ctx.step.attempts - 1 >= ctx.step.max_attempts - 1,
  };
}

/**
 * A failure with the TypeScript worker's positional arguments:
 * `failure(message, errorType = "handler_error", retryable = true, metadata?, errorCode?)`.
 * (Ruby's keyword `failure(message:, error_type:, error_code:, retryable: false, metadata:)`
 * defaults to NOT retryable: pass `false` when porting a Ruby handler that relied on it.)
 *
 * @param message what went wrong
 * @param errorType the error's class, default `handler_error`
 * @param retryable default true
 * @param metadata free-form metadata
 * @param errorCode an application code
 * @returns the library's failure result
 *
 * @example
 * ```ts
 * import { taskerFailure } from "@deno-tasker/tasker/tasker-compat";
 * const result = taskerFailure("Gateway timeout", "timeout", true, { ms: 30000 }, "GATEWAY_TIMEOUT");
 * ```
 */
export function taskerFailure(
  message: string,
  errorType = "handler_error",
  retryable = true,
  metadata: Record<string, unknown> = {},
  errorCode?: string,
): StepFailure {
  return failure(message, {
    errorType,
    retryable,
    metadata,
    ...(errorCode === undefined ? {} : { errorCode }),
  });
}
