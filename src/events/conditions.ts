/**
 * When a declared event fires: the publication condition judged against a step's outcome.
 *
 * Retryability is never the handler's word. It is computed from the persisted step row
 * ({@link stepRetryability}: `retryable && attempts < max_attempts`), so the events agree with
 * the orchestration's own retry decision and an exhausted step reads as a permanent failure.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import type { PublicationCondition } from "./types.ts";

/** The outcome of one step attempt, as the event conditions see it. */
export interface StepOutcome {
  /** Whether the attempt succeeded. */
  succeeded: boolean;
  /**
   * On a failure, whether the step will be retried, from {@link stepRetryability} over the
   * persisted row. Ignored on success. Left out on a failure, neither `retryable_failure` nor
   * `permanent_failure` fires (only `failure` and `always` do).
   */
  retryable?: boolean;
}

/** The persisted retry state of a step row, the source of truth for retryability. */
export interface StepRetryState {
  /** The step definition's retry flag, as stored with the step. */
  retryable: boolean;
  /** Attempts made so far, including the one that just finished. */
  attempts: number;
  /** Attempts allowed in total. */
  max_attempts: number;
}

/**
 * Whether a failed step will be retried: `retryable && attempts < max_attempts`.
 *
 * Compute it from the step row as committed (attempts already counting the failed attempt), not
 * from what the handler said about its error: a handler may call an error retryable on the last
 * allowed attempt, and the event must then say the failure is permanent.
 *
 * @param state the persisted step row's `retryable`, `attempts` and `max_attempts`
 * @returns true when another attempt will be made
 *
 * @example
 * ```ts
 * import { stepRetryability } from "./conditions.ts";
 * stepRetryability({ retryable: true, attempts: 1, max_attempts: 3 }); // true
 * stepRetryability({ retryable: true, attempts: 3, max_attempts: 3 }); // false: exhausted
 * stepRetryability({ retryable: false, attempts: 1, max_attempts: 3 }); // false
 * ```
 */
export function stepRetryability(state: StepRetryState): boolean {
  return state.retryable && state.attempts < state.max_attempts;
}

/**
 * Whether an event declared with `condition` fires for `outcome`.
 *
 * | condition           | success | retryable failure | permanent failure | failure, retryability unknown |
 * | ------------------- | ------- | ----------------- | ----------------- | ----------------------------- |
 * | `success`           | yes     | no                | no                | no                            |
 * | `failure`           | no      | yes               | yes               | yes                           |
 * | `retryable_failure` | no      | yes               | no                | no                            |
 * | `permanent_failure` | no      | no                | yes               | no                            |
 * | `always`            | yes     | yes               | yes               | yes                           |
 *
 * A retryable failure is `{succeeded: false, retryable: true}`; a permanent failure (a
 * non-retryable step or exhausted attempts) is `{succeeded: false, retryable: false}`.
 *
 * @param condition the declaration's `condition`
 * @param outcome whether the step succeeded and, on failure, whether it will be retried
 * @returns true when the event fires
 * @throws {TaskerError} with code `E_INVALID_CONDITION` for a value outside
 *   {@link PublicationCondition} (only reachable from untyped callers)
 *
 * @example
 * ```ts
 * import { shouldPublish, stepRetryability } from "./conditions.ts";
 * const retryable = stepRetryability({ retryable: true, attempts: 3, max_attempts: 3 });
 * shouldPublish("permanent_failure", { succeeded: false, retryable }); // true
 * shouldPublish("retryable_failure", { succeeded: false, retryable }); // false
 * ```
 */
export function shouldPublish(condition: PublicationCondition, outcome: StepOutcome): boolean {
  switch (condition) {
    case "success":
      return outcome.succeeded;
    case "failure":
      return !outcome.succeeded;
    case "retryable_failure":
      return !outcome.succeeded && outcome.retryable === true;
    case "permanent_failure":
      return !outcome.succeeded && outcome.retryable === false;
    case "always":
      return true;
    default: {
      const unknown: never = condition;
      throw new TaskerError(
        "E_INVALID_CONDITION",
        `unknown publication condition ${JSON.stringify(unknown)}: expected success, failure, ` +
          "retryable_failure, permanent_failure or always",
      );
    }
  }
}
