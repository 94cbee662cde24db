/**
 * Restart pacing: exponential backoff with full jitter, and the sliding window that counts
 * restarts against a supervisor's intensity. Pure functions, so they are tested on numbers rather
 * than on wall-clock time.
 *
 * @module
 */

import { backoffDelay as jitteredBackoff } from "../backoff.ts";
import { ActorConfigError } from "./errors.ts";
import type { BackoffOptions } from "./types.ts";

/** Default delay before the first restart, before jitter. */
export const DEFAULT_BACKOFF_MIN_MS = 10;
/** Default upper bound of a restart delay. */
export const DEFAULT_BACKOFF_MAX_MS = 1000;

/**
 * Fills in backoff defaults and checks `0 <= minMs <= maxMs`.
 *
 * @param options the configured backoff, if any
 * @param owner who configured it, for the error message
 * @returns both bounds, in milliseconds
 * @throws {ActorConfigError} when a bound is negative, not finite, or `minMs > maxMs`
 *
 * @example
 * ```ts
 * import { resolveBackoff } from "./backoff.ts";
 * console.log(resolveBackoff({ minMs: 5 }, "group")); // { minMs: 5, maxMs: 1000 }
 * ```
 */
export function resolveBackoff(
  options: BackoffOptions | undefined,
  owner: string,
): Required<BackoffOptions> {
  const minMs = options?.minMs ?? DEFAULT_BACKOFF_MIN_MS;
  const maxMs = options?.maxMs ?? Math.max(DEFAULT_BACKOFF_MAX_MS, minMs);
  if (!Number.isFinite(minMs) || minMs < 0 || !Number.isFinite(maxMs) || maxMs < minMs) {
    throw new ActorConfigError(
      `backoff of supervisor ${JSON.stringify(owner)} needs 0 <= minMs <= maxMs, got minMs=${
        String(minMs)
      } maxMs=${String(maxMs)}`,
    );
  }
  return { minMs, maxMs };
}

/**
 * The delay before a restart: `minMs` doubled once per earlier restart in the window, capped at
 * `maxMs`, then full jitter: a uniform pick in `[minMs, cap]` (the library's one backoff formula,
 * `src/backoff.ts`, fed with the supervisor's bounds).
 *
 * @param restartsInWindow restarts counted in the intensity window, this one included (>= 1)
 * @param backoff the resolved bounds
 * @param random a source of numbers in `[0, 1)`, `Math.random` by default
 * @returns the delay in milliseconds, within `[minMs, maxMs]`
 *
 * @example
 * ```ts
 * import { backoffDelay } from "@deno-tasker/tasker/actors";
 * // third restart in the window: cap = min(1000, 10 * 2 ** 2) = 40
 * console.log(backoffDelay(3, { minMs: 10, maxMs: 1000 }, () => 0.5)); // 25
 * ```
 */
export function backoffDelay(
  restartsInWindow: number,
  backoff: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  return jitteredBackoff(restartsInWindow, backoff.minMs, backoff.maxMs, random);
}

/**
 * Forgets restarts that fell out of the sliding window `(now - periodMs, now]`, in place.
 *
 * @param history restart timestamps, oldest first
 * @param now the current time in milliseconds
 * @param periodMs the window length
 * @returns the same array, holding only timestamps inside the window
 *
 * @example
 * ```ts
 * import { pruneWindow } from "./backoff.ts";
 * console.log(pruneWindow([0, 4000, 9000], 10_000, 5000)); // [9000]
 * ```
 */
export function pruneWindow(history: number[], now: number, periodMs: number): number[] {
  const horizon = now - periodMs;
  let stale = 0;
  while (stale < history.length && (history[stale] as number) <= horizon) stale++;
  if (stale > 0) history.splice(0, stale);
  return history;
}
