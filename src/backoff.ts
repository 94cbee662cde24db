/**
 * Exponential backoff with full jitter: the one formula behind every "wait, then try again"
 * delay of the library (a supervisor restarting a child, the durable writer and the step
 * committer retrying a database that failed). A step's retry policy is another concept, with its
 * own shapes and jitter: see `worker/backoff.ts`.
 *
 * @module
 */

/**
 * The delay before retry number `attempt` (1-based): a uniformly random delay between `minMs`
 * and `min(maxMs, minMs × 2^(attempt-1))` ("full jitter"). The floor at `minMs` keeps a dead
 * peer from being hammered in a tight loop; the jitter spreads the retries of many callers that
 * failed at the same moment.
 *
 * @param attempt how many consecutive failures so far (1 for the first retry)
 * @param minMs the smallest delay (negative counts as 0)
 * @param maxMs the largest delay (below `minMs` counts as `minMs`)
 * @param random a source of numbers in `[0, 1)`, `Math.random` by default
 * @returns the delay in milliseconds, within `[minMs, max(minMs, maxMs)]`
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * // third attempt: ceiling = min(5000, 50 × 2²) = 200, halfway between 50 and 200
 * console.log(backoffDelay(3, 50, 5000, () => 0.5)); // 125
 * ```
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const floor = Math.max(0, minMs);
  // 2^52 is far past any cap; clamping the exponent keeps `floor × 2^exponent` finite.
  const exponent = Math.min(Math.max(0, attempt - 1), 52);
  const ceiling = Math.max(floor, Math.min(maxMs, floor * 2 ** exponent));
  return floor + random() * (ceiling - floor);
}
