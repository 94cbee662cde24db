/**
 * `result_schema`: a step's declared result shape, compiled once at load. A successful result
 * that fails it is not stored as a success: it becomes a non-retryable `InvalidStepResult`
 * failure naming each JSON pointer, because running the same handler again would return the
 * same wrong shape and its successors must not read it.
 *
 * @module
 */

import { failure, type StepResult } from "./step_handler.ts";
import type { StepTemplate } from "../template/types.ts";

/** The `error_type` of a result that fails its step's `result_schema`. */
export const INVALID_STEP_RESULT = "InvalidStepResult";

/**
 * `result` unchanged when it is a failure, when the step has no `result_schema`, or when the
 * result satisfies it; otherwise a non-retryable failure listing every violation.
 *
 * @param step the step's template
 * @param result what its handler returned
 * @returns the result to record
 *
 * @example
 * ```ts
 * import { parseTemplate } from "@deno-tasker/tasker";
 * import { checkResultSchema } from "./result_schema.ts";
 * import { success } from "@deno-tasker/tasker";
 * const step = parseTemplate(`
 * name: a
 * namespace_name: demo
 * version: 1.0.0
 * steps:
 *   - name: s
 *     handler: { callable: demo.s }
 *     result_schema: { type: object, required: [total] }
 * `).steps[0]!;
 * const checked = checkResultSchema(step, success({ count: 1 }));
 * // { success: false, error: { message: "result of step s fails its result_schema: /total must have required property 'total'", error_type: "InvalidStepResult", retryable: false }, ... }
 * ```
 */
export function checkResultSchema(step: StepTemplate, result: StepResult): StepResult {
  if (!result.success || step.result_schema === undefined) return result;
  const failures = step.result_schema.validate(result.result ?? null);
  if (failures.length === 0) return result;
  const listed = failures.map((f) => `${f.pointer || "(root)"} ${f.message}`).join("; ");
  return failure(`result of step ${step.name} fails its result_schema: ${listed}`, {
    errorType: INVALID_STEP_RESULT,
    retryable: false,
    metadata: { result_schema_failures: failures.map((f) => ({ ...f })) },
  });
}
