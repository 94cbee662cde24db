/**
 * Building the {@link StepContext} a handler sees, and running a handler against it. The worker
 * calls {@link buildStepContext} once per attempt and {@link runHandler} to turn whatever the
 * handler does (returns, throws, overruns its `timeout_seconds`, returns garbage) into a
 * {@link StepResult}; nothing a handler does escapes as an exception.
 *
 * @module
 */

import { withinDeadline } from "../deadline.ts";
import { errorMessage } from "../error_message.ts";
import type { JsonObject } from "../events/types.ts";
import { asBatchInputs } from "./batches.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";
import {
  failure,
  type StepContext,
  type StepHandler,
  type StepInfo,
  type StepResult,
  type StepTaskInfo,
} from "./step_handler.ts";

/**
 * Where `ctx.publishDomainEvent` sends ad-hoc events: the event's name, its business payload and
 * the context of the step that published it. The worker wires it to the durable route.
 */
export type DomainEventSink = (name: string, payload: JsonObject, ctx: StepContext) => void;

/** What {@link buildStepContext} takes. */
export interface StepContextInput {
  /** The task the step belongs to. */
  task: StepTaskInfo;
  /** The step and its attempt counters. */
  step: StepInfo;
  /** The handler's YAML `initialization` block. Default `{}`. */
  initialization?: Record<string, unknown>;
  /** Results of all ancestor steps by step name. Default `{}`. */
  dependencyResults?: Record<string, unknown>;
  /** Aborted when the worker shuts down. Default: a signal that never aborts. */
  signal?: AbortSignal;
  /** Receives `ctx.publishDomainEvent` calls; without it they are no-ops with a debug line. */
  publish?: DomainEventSink;
  /** The step's own input (a batch worker's cursor). Default `{}`. */
  inputs?: Record<string, unknown>;
  /** The step's last checkpoint. Default none. */
  checkpoint?: CheckpointRecord | null;
  /** Completed batch workers among the ancestors: template step → worker names. Default `{}`. */
  batchWorkers?: Record<string, string[]>;
}

/** Steps one level into `value`: own keys of objects, indexes of arrays; else undefined. */
function childOf(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) {
    const index = typeof key === "number" ? key : /^\d+$/.test(key) ? Number(key) : NaN;
    return Number.isInteger(index) && index >= 0 && index < value.length ? value[index] : undefined;
  }
  if (typeof value === "object" && value !== null) {
    // Own keys only: a path segment like "constructor" must not reach the prototype.
    return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return undefined;
}

/**
 * Builds the context of one attempt of one step.
 *
 * `input(key)` reads the task context, `dependency(step, ...path)` walks an ancestor's result
 * (undefined when any part is absent), `isRetry` is `attempts > 1`, `isLastAttempt` is
 * `!retryable || attempts >= max_attempts`. `publishDomainEvent` never throws: a throwing sink is
 * caught and logged with `console.error`, one line per failed call.
 *
 * @param input the task, step, initialization, ancestor results, signal and event sink
 * @returns the context to hand to the handler
 *
 * @example
 * ```ts
 * import { buildStepContext } from "@deno-tasker/tasker/testing";
 * const ctx = buildStepContext({
 *   task: {
 *     task_uuid: crypto.randomUUID(),
 *     namespace: "linear_workflow",
 *     name: "mathematical_sequence",
 *     version: "1.0.0",
 *     context: { even_number: 6 },
 *     correlation_id: "req-1",
 *   },
 *   step: {
 *     step_uuid: crypto.randomUUID(),
 *     name: "linear_step_2",
 *     attempts: 1,
 *     max_attempts: 3,
 *     retryable: true,
 *   },
 *   dependencyResults: { linear_step_1: 36 },
 * });
 * ctx.input<number>("even_number"); // 6
 * ctx.dependency<number>("linear_step_1"); // 36
 * ```
 */
export function buildStepContext(input: StepContextInput): StepContext {
  const { task, step, publish } = input;
  const dependencyResults = input.dependencyResults ?? {};
  const inputs = input.inputs ?? {};
  const checkpoint = input.checkpoint ?? null;
  const batchWorkers = input.batchWorkers ?? {};
  const ctx: StepContext = {
    task,
    step,
    initialization: input.initialization ?? {},
    dependencyResults,
    input<T = unknown>(key: string): T | undefined {
      return childOf(task.context, key) as T | undefined;
    },
    dependency<T = unknown>(stepName: string, ...path: (string | number)[]): T | undefined {
      let value = childOf(dependencyResults, stepName);
      for (const segment of path) {
        if (value === undefined) return undefined;
        value = childOf(value, segment);
      }
      return value as T | undefined;
    },
    isRetry: step.attempts > 1,
    isLastAttempt: !step.retryable || step.attempts >= step.max_attempts,
    signal: input.signal ?? new AbortController().signal,
    publishDomainEvent(name: string, payload: JsonObject): void {
      if (publish === undefined) {
        console.debug(
          `deno-tasker: ${task.namespace}.${step.name} published ${name} but no publisher is ` +
            "attached; the event was dropped",
        );
        return;
      }
      try {
        publish(name, payload, ctx);
      } catch (error) {
        console.error(
          `deno-tasker: publishing ${name} from step ${step.name} of task ${task.task_uuid} ` +
            `failed (the step is not affected): ${errorMessage(error, { withName: true })}`,
        );
      }
    },
    inputs,
    batchCursor() {
      return asBatchInputs(inputs)?.cursor ?? null;
    },
    batchInputs() {
      return asBatchInputs(inputs);
    },
    batchResults<T = unknown>(workerTemplate: string): Record<string, T> {
      const results: Record<string, T> = {};
      for (const name of batchWorkers[workerTemplate] ?? []) {
        results[name] = dependencyResults[name] as T;
      }
      return results;
    },
    checkpoint,
    checkpointCursor: checkpoint?.cursor ?? null,
    checkpointItemsProcessed: checkpoint?.items_processed ?? 0,
    accumulatedResults: checkpoint?.accumulated_results ?? null,
    hasCheckpoint() {
      return checkpoint !== null && checkpoint.cursor !== null && checkpoint.cursor !== undefined;
    },
  };
  return ctx;
}

/** Options of {@link runHandler}. */
export interface RunHandlerOptions {
  /**
   * The step's deadline in milliseconds (`timeout_seconds * 1000`). When it passes, the
   * handler's signal is aborted and the attempt is a retryable failure of type `timeout`.
   * Absent, zero or not finite: no deadline.
   */
  timeoutMs?: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function preview(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return `a function ${value.name || "(anonymous)"}`;
  let text: string;
  try {
    text = typeof value === "bigint" ? `${value}n` : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  return `${kind} ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`;
}

/** Why `value` is not a StepResult, or undefined when it is one. */
function stepResultProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined === value ? "nothing" : preview(value);
  const metadata = value.metadata;
  if (metadata !== undefined && !isPlainObject(metadata)) {
    return `${preview(value)} whose metadata is not an object`;
  }
  if (value.success === true) return undefined;
  if (value.success !== false) return `${preview(value)} without a boolean success`;
  const error = value.error;
  if (
    !isPlainObject(error) || typeof error.message !== "string" ||
    typeof error.error_type !== "string" || typeof error.retryable !== "boolean"
  ) {
    return `${preview(value)} whose error lacks message, error_type or retryable`;
  }
  return undefined;
}

/** The result, or a non-retryable `InvalidStepResult` failure saying what came back. */
function checkStepResult(value: unknown, stepName: string): StepResult {
  const problem = stepResultProblem(value);
  if (problem !== undefined) {
    return failure(
      `handler of step ${stepName} returned ${problem}; ` +
        "expected a StepResult built with success() or failure()",
      { errorType: "InvalidStepResult", retryable: false },
    );
  }
  const result = value as StepResult & { metadata?: Record<string, unknown> };
  return result.metadata === undefined ? { ...result, metadata: {} } : result;
}

function thrownFailure(error: unknown): StepResult {
  if (error instanceof Error) {
    return failure(error.message, { errorType: error.name || "Error", retryable: true });
  }
  return failure(String(error), { errorType: "Error", retryable: true });
}

/**
 * Runs one attempt of a handler and always resolves to a {@link StepResult}:
 * - the handler's own result, when it returned one (`metadata` defaulted to `{}`);
 * - a thrown error → a retryable failure with the error's message and `name` as its type;
 * - a deadline overrun → a retryable failure of type `timeout`; the handler's signal is aborted
 *   so it can stop its work, and a later result or throw is ignored;
 * - anything else returned → a non-retryable failure of type `InvalidStepResult`.
 *
 * The handler sees `ctx` with its own `signal`, aborted on the deadline or when `ctx.signal`
 * aborts. Timers and listeners are cleared before it resolves.
 *
 * @param handler a function, or an object with a `call` method
 * @param ctx the context built by {@link buildStepContext}
 * @param options the deadline
 * @returns the attempt's outcome
 *
 * @example
 * ```ts
 * import { buildStepContext, runHandler } from "@deno-tasker/tasker/testing";
 * import { success } from "@deno-tasker/tasker";
 * const ctx = buildStepContext({
 *   task: {
 *     task_uuid: crypto.randomUUID(),
 *     namespace: "demo",
 *     name: "greet",
 *     version: "1.0.0",
 *     context: { who: "world" },
 *     correlation_id: "req-1",
 *   },
 *   step: { step_uuid: crypto.randomUUID(), name: "hello", attempts: 1, max_attempts: 3, retryable: true },
 * });
 * const result = await runHandler((c) => success(`hello ${c.input("who")}`), ctx, { timeoutMs: 5000 });
 * ```
 */
export async function runHandler(
  handler: StepHandler,
  ctx: StepContext,
  options: RunHandlerOptions = {},
): Promise<StepResult> {
  const controller = new AbortController();
  const outer = ctx.signal;
  const forward = () => controller.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener("abort", forward, { once: true });
  // A child of ctx: same members (getters and methods included), its own signal.
  const child: StepContext = Object.create(ctx, {
    signal: { value: controller.signal, enumerable: true },
  });

  try {
    const run = Promise.resolve().then(() =>
      typeof handler === "function" ? handler(child) : handler.call(child)
    ).then(
      (value): StepResult => checkStepResult(value, ctx.step.name),
      thrownFailure,
    );
    const timeoutMs = options.timeoutMs;
    if (timeoutMs === undefined || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return await run;
    }
    const outcome = await withinDeadline(run, timeoutMs);
    if (outcome.finished) return outcome.value;
    const message = `step ${ctx.step.name} timed out after ${timeoutMs} ms`;
    controller.abort(new DOMException(message, "TimeoutError"));
    return failure(message, { errorType: "timeout", retryable: true });
  } finally {
    outer.removeEventListener("abort", forward);
  }
}
