/**
 * Helpers shared by the example handlers: the `even_number` check of the arithmetic workflows,
 * exact integers that stay JSON (a number while it is safe, a decimal string beyond), numbers
 * from a handler's `initialization`, and ids derived from the task's UUID so that a task's
 * results are the same on every retry.
 *
 * @module
 */

import {
  failure,
  type StepContext,
  type StepFailure,
  type StepHandlerFunction,
  type StepResult,
  success,
} from "../src/worker/step_handler.ts";

/** A value a helper read, or the failure the handler should return instead. */
export type Checked<T> = { ok: true; value: T } | { ok: false; failure: StepFailure };

/** The smallest and largest `even_number` the arithmetic examples accept. */
export const EVEN_NUMBER_RANGE: { readonly min: number; readonly max: number } = Object.freeze({
  min: 2,
  max: 100,
});

/**
 * Reads the task's `even_number`: an even integer in 2..100. Anything else is a non-retryable
 * `ValidationError` failure (retrying cannot fix the input).
 *
 * @param ctx the step context
 * @returns the number, or the failure to return
 *
 * @example
 * ```ts
 * import { readEvenNumber } from "./shared.ts";
 * import { success, type StepContext, type StepResult } from "../src/worker/step_handler.ts";
 * function square(ctx: StepContext): StepResult {
 *   const n = readEvenNumber(ctx);
 *   return n.ok ? success(n.value * n.value) : n.failure;
 * }
 * ```
 */
export function readEvenNumber(ctx: StepContext): Checked<number> {
  const value = ctx.input("even_number");
  const { min, max } = EVEN_NUMBER_RANGE;
  if (typeof value !== "number" || !Number.isInteger(value) || value % 2 !== 0) {
    return invalid(`even_number must be an even integer, got ${JSON.stringify(value) ?? "none"}`);
  }
  if (value < min || value > max) {
    return invalid(`even_number must be between ${min} and ${max}, got ${value}`);
  }
  return { ok: true, value };
}

function invalid(message: string): { ok: false; failure: StepFailure } {
  return {
    ok: false,
    failure: failure(message, { errorType: "ValidationError", retryable: false }),
  };
}

/**
 * An exact integer as JSON: a number while it is at most `Number.MAX_SAFE_INTEGER` in size, its
 * decimal string beyond (JSON numbers lose digits past 2^53).
 *
 * @param value the integer
 * @returns a number or a decimal string
 *
 * @example
 * ```ts
 * import { toJsonInteger } from "./shared.ts";
 * toJsonInteger(36n); // 36
 * toJsonInteger(2n ** 64n); // "18446744073709551616"
 * ```
 */
export function toJsonInteger(value: bigint): number | string {
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  return value <= limit && value >= -limit ? Number(value) : value.toString();
}

/**
 * Reads an exact integer an ancestor step produced with {@link toJsonInteger}. A missing or
 * malformed value is a non-retryable `InvalidDependencyResult` failure.
 *
 * @param ctx the step context
 * @param stepName the ancestor step
 * @returns the integer, or the failure to return
 *
 * @example
 * ```ts
 * import { dependencyInteger } from "./shared.ts";
 * import { success, type StepContext, type StepResult } from "../src/worker/step_handler.ts";
 * function squareRoot(ctx: StepContext): StepResult {
 *   const root = dependencyInteger(ctx, "tree_root");
 *   return root.ok ? success(String(root.value)) : root.failure;
 * }
 * ```
 */
export function dependencyInteger(ctx: StepContext, stepName: string): Checked<bigint> {
  const value = ctx.dependency(stepName);
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    return { ok: true, value: BigInt(value) };
  }
  if (typeof value === "string" && /^-?\d+$/.test(value)) return { ok: true, value: BigInt(value) };
  return {
    ok: false,
    failure: failure(
      `step ${ctx.step.name} expects an integer result from ${stepName}, got ${
        JSON.stringify(value) ?? "none"
      }`,
      { errorType: "InvalidDependencyResult", retryable: false },
    ),
  };
}

/**
 * Reads a finite number an ancestor step produced. A missing or non-numeric value is a
 * non-retryable `InvalidDependencyResult` failure.
 *
 * @param ctx the step context
 * @param stepName the ancestor step
 * @param path keys inside the ancestor's result
 * @returns the number, or the failure to return
 *
 * @example
 * ```ts
 * import { dependencyNumber } from "./shared.ts";
 * import { success, type StepContext, type StepResult } from "../src/worker/step_handler.ts";
 * function addTen(ctx: StepContext): StepResult {
 *   const previous = dependencyNumber(ctx, "linear_step_1");
 *   return previous.ok ? success(previous.value + 10) : previous.failure;
 * }
 * ```
 */
export function dependencyNumber(
  ctx: StepContext,
  stepName: string,
  ...path: (string | number)[]
): Checked<number> {
  const value = ctx.dependency(stepName, ...path);
  if (typeof value === "number" && Number.isFinite(value)) return { ok: true, value };
  const where = [stepName, ...path].join(".");
  return {
    ok: false,
    failure: failure(
      `step ${ctx.step.name} expects a number at ${where}, got ${JSON.stringify(value) ?? "none"}`,
      { errorType: "InvalidDependencyResult", retryable: false },
    ),
  };
}

/**
 * A finite number from the handler's YAML `initialization`, or `fallback` when the key is absent.
 * A present non-number is a non-retryable `ConfigurationError` failure.
 *
 * @param ctx the step context
 * @param key the `initialization` key
 * @param fallback the value when the key is absent
 * @returns the number, or the failure to return
 *
 * @example
 * ```ts
 * import { configNumber } from "./shared.ts";
 * import type { StepContext } from "../src/worker/step_handler.ts";
 * declare const ctx: StepContext;
 * const addend = configNumber(ctx, "addend", 10);
 * ```
 */
export function configNumber(ctx: StepContext, key: string, fallback: number): Checked<number> {
  const value = Object.hasOwn(ctx.initialization, key) ? ctx.initialization[key] : undefined;
  if (value === undefined) return { ok: true, value: fallback };
  if (typeof value === "number" && Number.isFinite(value)) return { ok: true, value };
  return {
    ok: false,
    failure: failure(
      `initialization.${key} of step ${ctx.step.name} must be a number, got ${
        JSON.stringify(value)
      }`,
      { errorType: "ConfigurationError", retryable: false },
    ),
  };
}

/**
 * An id derived from the task's UUID: the prefix and the UUID's last 12 hex digits (the random
 * part of a UUIDv7), upper-case. The same task gets the same id on every attempt.
 *
 * @param prefix e.g. `PAY`
 * @param taskUuid the task's UUID
 * @returns e.g. `PAY-8F3A0C21D4E5`
 *
 * @example
 * ```ts
 * import { taskDerivedId } from "./shared.ts";
 * taskDerivedId("TXN", "0193a3c4-1111-7000-8000-00000000abcd"); // "TXN-00000000ABCD"
 * ```
 */
export function taskDerivedId(prefix: string, taskUuid: string): string {
  return `${prefix}-${taskUuid.replaceAll("-", "").slice(-12).toUpperCase()}`;
}

/**
 * Whether `value` is a plain JSON-style object (not null, not an array).
 *
 * @param value anything
 * @returns true for `{...}` objects
 *
 * @example
 * ```ts
 * import { isRecord } from "./shared.ts";
 * isRecord({ a: 1 }); // true
 * isRecord([1]); // false
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A first step of the arithmetic examples: the task's `even_number` squared (validated with
 * {@link readEvenNumber}), as an exact JSON integer.
 *
 * @param ctx the step context
 * @returns n², or the validation failure
 *
 * @example
 * ```ts
 * import { squareEvenNumber } from "./shared.ts";
 * const handlers = { "tree_workflow.tree_root": squareEvenNumber };
 * ```
 */
export function squareEvenNumber(ctx: StepContext): StepResult {
  const n = readEvenNumber(ctx);
  if (!n.ok) return n.failure;
  return success(toJsonInteger(BigInt(n.value) ** 2n), { operation: "square", input: n.value });
}

/**
 * A handler that squares the product of its ancestors' exact integer results, computed with
 * BigInt and returned with {@link toJsonInteger}. With one ancestor it squares that result.
 *
 * @param stepNames the ancestor steps whose results are multiplied
 * @returns the handler
 *
 * @example
 * ```ts
 * import { squaredProductOf } from "./shared.ts";
 * const branch = squaredProductOf("tree_root"); // root²
 * const join = squaredProductOf("dag_validate", "dag_transform", "dag_analyze"); // (V·T·A)²
 * ```
 */
export function squaredProductOf(...stepNames: string[]): StepHandlerFunction {
  return (ctx: StepContext): StepResult => {
    let product = 1n;
    for (const stepName of stepNames) {
      const value = dependencyInteger(ctx, stepName);
      if (!value.ok) return value.failure;
      product *= value.value;
    }
    return success(toJsonInteger(product ** 2n), {
      operation: stepNames.length === 1 ? "square" : "square_of_product",
      inputs: stepNames,
    });
  };
}

/** The arithmetic one step applies to its dependency's number. */
export type ArithmeticOperation = "add" | "multiply";

/**
 * A handler that adds to (or multiplies) the number `dependency` produced, by the value of its
 * YAML `initialization[configKey]` (default `fallback`); the metadata records what was done.
 *
 * @example
 * ```ts
 * import { arithmeticStep } from "./shared.ts";
 * const plusTen = arithmeticStep("linear_step_1", "add", "addend", 10);
 * ```
 */
export function arithmeticStep(
  dependency: string,
  operation: ArithmeticOperation,
  configKey: string,
  fallback: number,
): StepHandlerFunction {
  return (ctx) => {
    const previous = dependencyNumber(ctx, dependency);
    if (!previous.ok) return previous.failure;
    const operand = configNumber(ctx, configKey, fallback);
    if (!operand.ok) return operand.failure;
    const value = operation === "add"
      ? previous.value + operand.value
      : previous.value * operand.value;
    return success(value, { operation, input: previous.value, [configKey]: operand.value });
  };
}
