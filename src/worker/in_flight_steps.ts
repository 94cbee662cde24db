/**
 * The steps a worker runs now, and how shutdown settles them: they get `deadlineMs` to finish;
 * past it their handlers' signals are aborted, and the ones still running `graceMs` later are
 * abandoned — their claims released so another worker runs them again, attempt not consumed.
 *
 * @module
 */

import { withinDeadline } from "../deadline.ts";
import type { HeldClaims } from "./held_claims.ts";

/**
 * In-flight step work of one worker.
 *
 * @example
 * ```ts ignore
 * const inFlight = new InFlightSteps();
 * inFlight.track(execute(claim));
 * await inFlight.settle(held, { deadlineMs: 10_000, graceMs: 2_000, reason });
 * ```
 */
export class InFlightSteps {
  readonly #work = new Set<Promise<void>>();

  /** Steps running or recording now. */
  get size(): number {
    return this.#work.size;
  }

  /**
   * Tracks one step's work until it settles.
   *
   * @param work the step's run, up to its recorded outcome
   */
  track(work: Promise<void>): void {
    this.#work.add(work);
    work.finally(() => this.#work.delete(work));
  }

  /**
   * Waits for the tracked steps within `deadlineMs`; then aborts the handlers of `held` with
   * `reason`, and abandons the ones still running `graceMs` later.
   *
   * @param held the worker's held claims
   * @param options the deadline, the grace period, and the abort reason
   */
  async settle(
    held: HeldClaims,
    options: { deadlineMs: number; graceMs: number; reason: unknown },
  ): Promise<void> {
    if (await settledWithin(this.#work, options.deadlineMs)) return;
    held.interruptAll(options.reason);
    if (!(await settledWithin(this.#work, options.graceMs))) await held.abandonRunning();
  }
}

/**
 * Resolves true when `work` is empty within `ms`, false otherwise. Work added meanwhile counts
 * too (a commit in flight at shutdown starts the steps it had claimed).
 */
async function settledWithin(work: ReadonlySet<Promise<void>>, ms: number): Promise<boolean> {
  if (work.size === 0) return true;
  const drained = (async () => {
    while (work.size > 0) await Promise.allSettled([...work]);
  })();
  return (await withinDeadline(drained, ms)).finished;
}
