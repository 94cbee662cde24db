/**
 * A process-local signal from the DurableWriter to DurableConsumers of the same queue: "a batch
 * was just committed". It wakes a consumer in the same process at once, without a database
 * round trip, embedded (where PGlite's LISTEN would work too, but costs a trigger per row) and
 * on a server alike. Consumers in other processes rely on PGMQ's insert notifications; every
 * consumer also polls.
 *
 * @module
 */

const listeners = new Map<string, Set<() => void>>();

/**
 * Calls `onWritten` whenever a writer in this process commits a batch to `queue`.
 *
 * @param queue the queue name
 * @param onWritten the callback (must not throw; errors are swallowed)
 * @returns a function that unsubscribes
 *
 * @example
 * ```ts
 * import { onQueueWritten } from "./signal.ts";
 * const stop = onQueueWritten("payments_domain_events", () => console.log("new messages"));
 * stop();
 * ```
 */
export function onQueueWritten(queue: string, onWritten: () => void): () => void {
  let set = listeners.get(queue);
  if (set === undefined) listeners.set(queue, set = new Set());
  set.add(onWritten);
  return () => {
    set.delete(onWritten);
    if (set.size === 0 && listeners.get(queue) === set) listeners.delete(queue);
  };
}

/**
 * Tells this process's subscribers of `queue` that a batch was committed to it.
 *
 * @param queue the queue name
 */
export function signalQueueWritten(queue: string): void {
  const set = listeners.get(queue);
  if (set === undefined) return;
  for (const onWritten of set) {
    try {
      onWritten();
    } catch {
      // A subscriber's failure must not reach the writer.
    }
  }
}
