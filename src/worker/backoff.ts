/**
 * Retry delays from a step's retry policy. The delay before attempt `n + 1` grows with the number
 * of attempts made so far, is capped by `max_backoff_ms`, and gets jitter so that steps failing
 * together do not all come back in the same instant.
 *
 * @module
 */

import type { RetryPolicy } from "../template/types.ts";

/**
 * The longest delay ever scheduled between attempts, whatever the policy says (one hour, the
 * most a template may set). Templates are checked at load; this also bounds policies built in
 * code, so a retry can never be scheduled years ahead.
 */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/** A policy bound as a number in `0..MAX_RETRY_DELAY_MS`; anything not finite counts as the cap. */
function bound(value: number): number {
  if (Number.isNaN(value)) return MAX_RETRY_DELAY_MS;
  return Math.min(Math.max(0, value), MAX_RETRY_DELAY_MS);
}

/**
 * The un-jittered delay after `attempts` failed attempts (1 after the first failure), at most
 * `max_backoff_ms` and never more than {@link MAX_RETRY_DELAY_MS}.
 *
 * - `exponential`: base × 2^(attempts − 1)
 * - `linear`: base × attempts
 * - `fibonacci`: base × fib(attempts) with fib(1) = fib(2) = 1
 * - `none`: 0
 *
 * @example
 * ```ts
 * import { baseRetryDelayMs } from "./backoff.ts";
 * const policy = { retryable: true, max_attempts: 5, backoff: "exponential" as const,
 *   backoff_base_ms: 100, max_backoff_ms: 1000 };
 * baseRetryDelayMs(policy, 3); // 400
 * ```
 */
export function baseRetryDelayMs(policy: RetryPolicy, attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  const base = bound(policy.backoff_base_ms);
  let delay: number;
  switch (policy.backoff) {
    case "none":
      return 0;
    case "linear":
      delay = base * n;
      break;
    case "fibonacci":
      delay = base * fibonacci(n);
      break;
    case "exponential":
      // 2^30 is far past any cap; clamping the exponent keeps the product finite.
      delay = base * 2 ** Math.min(n - 1, 30);
      break;
  }
  return Math.min(delay, bound(policy.max_backoff_ms));
}

function fibonacci(n: number): number {
  let previous = 0;
  let current = 1;
  for (let i = 1; i < n && current < Number.MAX_SAFE_INTEGER; i++) {
    [previous, current] = [current, previous + current];
  }
  return current;
}

/**
 * The delay to wait before the next attempt: the base delay with "equal jitter" (half fixed, half
 * random), so it never drops below half the policy's delay and never exceeds it.
 *
 * @param policy the step's retry policy
 * @param attempts attempts made so far (≥ 1)
 * @param random a source of numbers in [0, 1); injectable for tests
 *
 * @example
 * ```ts
 * import { retryDelayMs } from "./backoff.ts";
 * const policy = { retryable: true, max_attempts: 3, backoff: "linear" as const,
 *   backoff_base_ms: 200, max_backoff_ms: 30000 };
 * const delay = retryDelayMs(policy, 2); // between 200 and 400
 * ```
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempts: number,
  random: () => number = Math.random,
): number {
  const delay = baseRetryDelayMs(policy, attempts);
  const half = delay / 2;
  return Math.round(half + random() * half);
}

/**
 * The retry delay a failure asks for itself (`retry_after_ms`, e.g. from a server's
 * `Retry-After`), capped at {@link MAX_RETRY_DELAY_MS}; undefined when it asks for none or the
 * value is not a finite number ≥ 0 (the step's policy applies then).
 *
 * @example
 * ```ts
 * import { requestedRetryDelayMs } from "./backoff.ts";
 * requestedRetryDelayMs({ success: false, retry_after_ms: 2000 }); // 2000
 * ```
 */
export function requestedRetryDelayMs(
  result: { success: boolean; retry_after_ms?: unknown },
): number | undefined {
  const asked = result.success ? undefined : result.retry_after_ms;
  if (typeof asked !== "number" || !Number.isFinite(asked) || asked < 0) return undefined;
  return Math.min(Math.round(asked), MAX_RETRY_DELAY_MS);
}
