/**
 * Small helpers for the actor tests: polling without leaking timers, and deferred promises.
 *
 * @module
 */

/**
 * Polls `predicate` every millisecond until it holds, failing after `timeoutMs`.
 *
 * @example
 * ```ts
 * await waitFor(() => ref.stats().processed === 3);
 * ```
 */
export async function waitFor(
  predicate: () => boolean,
  what = "condition",
  timeoutMs = 3000,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

/** Lets queued microtasks and a few macrotask turns run. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/** A promise with its resolve function. */
export interface Deferred<T> {
  /** The promise. */
  promise: Promise<T>;
  /** Resolves it. */
  resolve: (value: T) => void;
}

/** Creates a `Deferred`. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
