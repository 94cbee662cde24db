/**
 * Handlers of `tree_workflow/hierarchical_tree`: the root squares the even number `n`, each of
 * the two branches squares the root (n⁴), each of the four leaves squares its branch (n⁸), and
 * the final convergence squares the product of the four leaves ((n⁸)⁴)² = n⁶⁴. The integers are
 * exact (BigInt): a result is a JSON number while it is safe, a decimal string beyond.
 *
 * @module
 */

import type { StepHandlerFunction } from "../../src/worker/step_handler.ts";
import { squaredProductOf, squareEvenNumber } from "../shared.ts";

/**
 * The handlers of `tree_workflow/hierarchical_tree`, by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
 * import { treeWorkflowHandlers } from "./handlers.ts";
 * new HandlerRegistry().registerAll(treeWorkflowHandlers);
 * ```
 */
export const treeWorkflowHandlers: Readonly<Record<string, StepHandlerFunction>> = Object.freeze({
  "tree_workflow.tree_root": squareEvenNumber,
  "tree_workflow.tree_branch_left": squaredProductOf("tree_root"),
  "tree_workflow.tree_branch_right": squaredProductOf("tree_root"),
  "tree_workflow.tree_leaf_d": squaredProductOf("tree_branch_left"),
  "tree_workflow.tree_leaf_e": squaredProductOf("tree_branch_left"),
  "tree_workflow.tree_leaf_f": squaredProductOf("tree_branch_right"),
  "tree_workflow.tree_leaf_g": squaredProductOf("tree_branch_right"),
  "tree_workflow.tree_final_convergence": squaredProductOf(
    "tree_leaf_d",
    "tree_leaf_e",
    "tree_leaf_f",
    "tree_leaf_g",
  ),
});
