/**
 * Handlers of `mixed_dag_workflow/complex_dag`: init squares the even number `n`; the left and
 * right paths square init (n⁴ each); validate squares left × right, transform squares left,
 * analyze squares right; finalize squares validate × transform × analyze (n⁶⁴ in all). The
 * integers are exact (BigInt): a result is a JSON number while it is safe, a decimal string
 * beyond.
 *
 * @module
 */

import type { StepHandlerFunction } from "../../src/worker/step_handler.ts";
import { squaredProductOf, squareEvenNumber } from "../shared.ts";

/**
 * The handlers of `mixed_dag_workflow/complex_dag`, by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
 * import { mixedDagWorkflowHandlers } from "./handlers.ts";
 * new HandlerRegistry().registerAll(mixedDagWorkflowHandlers);
 * ```
 */
export const mixedDagWorkflowHandlers: Readonly<Record<string, StepHandlerFunction>> = Object
  .freeze({
    "mixed_dag_workflow.dag_init": squareEvenNumber,
    "mixed_dag_workflow.dag_process_left": squaredProductOf("dag_init"),
    "mixed_dag_workflow.dag_process_right": squaredProductOf("dag_init"),
    "mixed_dag_workflow.dag_validate": squaredProductOf("dag_process_left", "dag_process_right"),
    "mixed_dag_workflow.dag_transform": squaredProductOf("dag_process_left"),
    "mixed_dag_workflow.dag_analyze": squaredProductOf("dag_process_right"),
    "mixed_dag_workflow.dag_finalize": squaredProductOf(
      "dag_validate",
      "dag_transform",
      "dag_analyze",
    ),
  });
