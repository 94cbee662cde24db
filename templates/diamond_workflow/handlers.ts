/**
 * Handlers of `diamond_workflow/parallel_computation`: a start step squares the even number `n`,
 * two branches run in parallel from it (b = start + 25, c = start × 2; the addend and factor come
 * from YAML `initialization`), and the end joins them: (b + c) / 2. For 6: 36, 61 and 72, 66.5.
 *
 * @module
 */

import {
  type StepContext,
  type StepHandlerFunction,
  type StepResult,
  success,
} from "../../src/worker/step_handler.ts";
import { arithmeticStep, dependencyNumber, squareEvenNumber } from "../shared.ts";

const diamondBranchB = arithmeticStep("diamond_start", "add", "addend", 25);
const diamondBranchC = arithmeticStep("diamond_start", "multiply", "factor", 2);

function diamondEnd(ctx: StepContext): StepResult {
  const b = dependencyNumber(ctx, "diamond_branch_b");
  if (!b.ok) return b.failure;
  const c = dependencyNumber(ctx, "diamond_branch_c");
  if (!c.ok) return c.failure;
  return success((b.value + c.value) / 2, {
    operation: "average",
    inputs: { diamond_branch_b: b.value, diamond_branch_c: c.value },
  });
}

/**
 * The handlers of `diamond_workflow/parallel_computation`, by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
 * import { diamondWorkflowHandlers } from "./handlers.ts";
 * new HandlerRegistry().registerAll(diamondWorkflowHandlers);
 * ```
 */
export const diamondWorkflowHandlers: Readonly<Record<string, StepHandlerFunction>> = Object
  .freeze({
    "diamond_workflow.diamond_start": squareEvenNumber,
    "diamond_workflow.diamond_branch_b": diamondBranchB,
    "diamond_workflow.diamond_branch_c": diamondBranchC,
    "diamond_workflow.diamond_end": diamondEnd,
  });
