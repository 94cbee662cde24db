/**
 * The worker's outcome listeners (CLI progress lines, tests, metrics): called after every
 * recorded outcome, each isolated from the others' throws so no listener can fail a step.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { RecordedOutcome } from "./step_outcomes.ts";
import type { ClaimedStep } from "./step_store.ts";
import type { OutcomeListener, StepTiming } from "./worker_options.ts";

/**
 * A set of outcome listeners.
 *
 * @example
 * ```ts ignore
 * const listeners = new OutcomeListeners();
 * const remove = listeners.add((claim, outcome) => console.log(claim.step.name, outcome.state));
 * listeners.notify(claim, outcome, { handler_ms: 3 });
 * remove();
 * ```
 */
export class OutcomeListeners {
  readonly #listeners = new Set<OutcomeListener>();

  /**
   * Adds a listener.
   *
   * @param listener called after every recorded outcome
   * @returns a function that removes it
   */
  add(listener: OutcomeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Calls every listener; one that throws is logged, the others still run.
   *
   * @param claim the step's claim
   * @param outcome its recorded outcome
   * @param timing how long its handler took
   */
  notify(claim: ClaimedStep, outcome: RecordedOutcome, timing: StepTiming): void {
    for (const listener of this.#listeners) {
      try {
        listener(claim, outcome, timing);
      } catch (error) {
        console.error(`deno-tasker: an outcome listener threw: ${errorMessage(error)}`);
      }
    }
  }
}
