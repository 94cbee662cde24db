/**
 * Waiting for a promise with a time limit. Every "give it N ms, then carry on" of the library
 * (draining subscribers and actors at close, grace for open connections, probing a database)
 * goes through here, so each one clears its timer when the work wins: a timer left behind would
 * keep a process alive and fail `deno test`'s resource sanitizer.
 *
 * @module
 */

/** How a wait under {@link withinDeadline} ended: the work's value, or why it stopped waiting. */
export type DeadlineOutcome<T> =
  | { finished: true; value: T }
  | { finished: false; reason: "timeout" | "aborted" };

/** Options of {@link withinDeadline}. */
export interface DeadlineOptions {
  /** Stops waiting early (as `"aborted"`) when this signal aborts; the work itself goes on. */
  signal?: AbortSignal;
}

/**
 * Waits for `work` at most `ms` milliseconds. The work is not cancelled when the time is up (a
 * promise cannot be); the caller decides what giving up means, typically aborting the work's own
 * signal. A rejection of `work` within the limit rejects the returned promise; a rejection after
 * it is swallowed, as nobody waits for it any more.
 *
 * @param work what to wait for
 * @param ms the limit in milliseconds (as `setTimeout` reads it: 0 or less waits one turn)
 * @param options a signal that ends the wait early
 * @returns `{ finished: true, value }`, or `{ finished: false, reason }` on timeout or abort
 *
 * @example
 * ```ts
 * import { withinDeadline } from "./deadline.ts";
 * const quick = await withinDeadline(Promise.resolve(42), 100);
 * console.log(quick); // { finished: true, value: 42 }
 * const stuck = await withinDeadline(new Promise(() => {}), 10);
 * console.log(stuck); // { finished: false, reason: "timeout" }
 * ```
 */
export async function withinDeadline<T>(
  work: PromiseLike<T>,
  ms: number,
  options: DeadlineOptions = {},
): Promise<DeadlineOutcome<T>> {
  const { signal } = options;
  if (signal?.aborted) return { finished: false, reason: "aborted" };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const gaveUp = new Promise<DeadlineOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ finished: false, reason: "timeout" }), ms);
    onAbort = () => resolve({ finished: false, reason: "aborted" });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const finished = Promise.resolve(work).then((value): DeadlineOutcome<T> => ({
    finished: true,
    value,
  }));
  finished.catch(() => {});
  try {
    return await Promise.race([finished, gaveUp]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
}
