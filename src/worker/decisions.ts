/**
 * Decision points: the outcome a `decision` step's handler returns (Tasker's
 * `decision_point_outcome`, inside the step's `result`), the helpers that build it, and the check
 * that turns an invalid outcome into a clear, non-retryable failure of the decision step before
 * anything is recorded (tasker-core logs and drops it).
 *
 * @module
 */

import type { StepTemplate, TaskTemplate } from "../template/types.ts";
import { allowedBranches } from "./step_set.ts";
import { failure, type StepFailure, type StepSuccess } from "./step_handler.ts";

/** Tasker's decision outcome: the branch steps to create, or none. */
export type DecisionPointOutcome =
  | { type: "create_steps"; step_names: string[] }
  | { type: "no_branches" };

/** At most this many step names in one `create_steps` (tasker-core's base configuration). */
export const MAX_STEPS_PER_DECISION = 100;

/**
 * A decision step's success that creates `steps` (Tasker's `decisionSuccess`): `result` is
 * `{decision_point_outcome: {type: "create_steps", step_names}, routing_context?}` plus nothing
 * else; `routingContext` is added only when it has keys.
 *
 * @example
 * ```ts
 * import { decisionSuccess } from "@deno-tasker/tasker";
 * const result = decisionSuccess(["manager_approval"], { amount: 3000 });
 * ```
 */
export function decisionSuccess(
  steps: readonly string[],
  routingContext: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): StepSuccess {
  const result: Record<string, unknown> = {
    decision_point_outcome: { type: "create_steps", step_names: [...steps] },
  };
  if (Object.keys(routingContext).length > 0) result.routing_context = routingContext;
  return { success: true, result, metadata };
}

/**
 * A decision step's success that creates no branch (Tasker's `skipBranches`): `result` is
 * `{decision_point_outcome: {type: "no_branches"}, reason, routing_context?}`.
 *
 * @example
 * ```ts
 * import { skipBranches } from "@deno-tasker/tasker";
 * const result = skipBranches("nothing to approve");
 * ```
 */
export function skipBranches(
  reason: string,
  routingContext: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): StepSuccess {
  const result: Record<string, unknown> = {
    decision_point_outcome: { type: "no_branches" },
    reason,
  };
  if (Object.keys(routingContext).length > 0) result.routing_context = routingContext;
  return { success: true, result, metadata };
}

function invalid(step: string, why: string): StepFailure {
  return failure(`decision step ${step} returned an invalid decision_point_outcome: ${why}`, {
    errorType: "InvalidDecisionOutcome",
    retryable: false,
  });
}

/**
 * Reads and checks a decision step's successful result.
 *
 * @returns the names to create (empty for `no_branches`), or the non-retryable failure of type
 *   `InvalidDecisionOutcome` that stands for the result: the outcome is missing or malformed,
 *   names a step the template lacks, names a step that is not a branch of this decision, or names
 *   more than {@link MAX_STEPS_PER_DECISION} steps
 */
export function readDecisionOutcome(
  template: TaskTemplate,
  step: StepTemplate,
  result: StepSuccess,
): { requested: string[] } | { failure: StepFailure } {
  const body = result.result;
  const outcome = typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>).decision_point_outcome
    : undefined;
  if (typeof outcome !== "object" || outcome === null || Array.isArray(outcome)) {
    return {
      failure: invalid(
        step.name,
        "the result has no decision_point_outcome object (return decisionSuccess(...) or skipBranches(...))",
      ),
    };
  }
  const { type, step_names: names } = outcome as Record<string, unknown>;
  if (type === "no_branches") return { requested: [] };
  if (type !== "create_steps") {
    return {
      failure: invalid(
        step.name,
        `type is ${JSON.stringify(type)}; expected "create_steps" or "no_branches"`,
      ),
    };
  }
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
    return { failure: invalid(step.name, "step_names must be an array of step names") };
  }
  if (names.length === 0) {
    return {
      failure: invalid(step.name, 'step_names is empty; return { type: "no_branches" } instead'),
    };
  }
  const unique = [...new Set(names as string[])];
  if (unique.length > MAX_STEPS_PER_DECISION) {
    return {
      failure: invalid(
        step.name,
        `${unique.length} steps named; at most ${MAX_STEPS_PER_DECISION} per decision`,
      ),
    };
  }
  const known = new Set(template.steps.map((s) => s.name));
  const unknown = unique.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    return {
      failure: invalid(
        step.name,
        `unknown step ${
          unknown.map((n) => JSON.stringify(n)).join(", ")
        } (not in template ${template.name})`,
      ),
    };
  }
  const allowed = allowedBranches(template, step.name);
  const outside = unique.filter((n) => !allowed.has(n));
  if (outside.length > 0) {
    return {
      failure: invalid(
        step.name,
        `${
          outside.map((n) => JSON.stringify(n)).join(", ")
        } is not a branch of decision ${step.name}; allowed: ${[...allowed].join(", ")}`,
      ),
    };
  }
  return { requested: unique };
}
