/**
 * Handlers of `linear_workflow/mathematical_sequence`: four steps in a chain on an even number
 * `n`: n², then +10, then ×3, then ÷2 (6 → 36 → 46 → 138 → 69). The addend, factor and divisor
 * come from the steps' YAML `initialization` (defaults 10, 3 and 2). Each result is the plain
 * number; the metadata says what was done to what.
 *
 * @module
 */

import {
  failure,
  type StepContext,
  type StepHandlerFunction,
  type StepResult,
  success,
} from "../../src/worker/step_handler.ts";
import { arithmeticStep, configNumber, dependencyNumber, squareEvenNumber } from "../shared.ts";

const linearStep2 = arithmeticStep("linear_step_1", "add", "addend", 10);
const linearStep3 = arithmeticStep("linear_step_2", "multiply", "factor", 3);

function linearStep4(ctx: StepContext): StepResult {
  const previous = dependencyNumber(ctx, "linear_step_3");
  if (!previous.ok) return previous.failure;
  const divisor = configNumber(ctx, "divisor", 2);
  if (!divisor.ok) return divisor.failure;
  if (divisor.value === 0) {
    return failure(`initialization.divisor of step ${ctx.step.name} must not be 0`, {
      errorType: "ConfigurationError",
      retryable: false,
    });
  }
  return success(previous.value / divisor.value, {
    operation: "divide",
    input: previous.value,
    divisor: divisor.value,
  });
}

/**
 * The handlers of `linear_workflow/mathematical_sequence`, by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
 * import { linearWorkflowHandlers } from "./handlers.ts";
 * new HandlerRegistry().registerAll(linearWorkflowHandlers);
 * ```
 */
export const linearWorkflowHandlers: Readonly<Record<string, StepHandlerFunction>> = Object.freeze({
  "linear_workflow.linear_step_1": squareEvenNumber,
  "linear_workflow.linear_step_2": linearStep2,
  "linear_workflow.linear_step_3": linearStep3,
  "linear_workflow.linear_step_4": linearStep4,
});
