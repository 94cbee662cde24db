/**
 * The DurableWriter's pending events: one FIFO per queue, in enqueue order (a global sequence
 * number), from which batches are cut. A batch that failed goes back to the front of its queue,
 * merged by sequence number, so order within a queue survives any number of retries.
 *
 * @module
 */

import type { DomainEvent } from "../../events/types.ts";

/** Resolves or rejects a `publish` caller once its event is committed or given up. */
export interface Settle {
  /** Called with the event's `msg_id` after COMMIT. */
  resolve(msgId: number): void;
  /** Called when the event will not be written. */
  reject(error: Error): void;
}

/** One accepted event waiting to be written (or being written). */
export interface PendingEntry {
  /** Global enqueue order. */
  readonly seq: number;
  /** The validated target queue. */
  readonly queue: string;
  /** The event as JSON text, serialised when it was accepted. */
  readonly body: string;
  /** The message headers as JSON text. */
  readonly headers: string;
  /** The event itself, handed to the `onCommitted` hook. */
  readonly event: DomainEvent;
  /** `performance.now()` at acceptance, for the enqueue-to-commit latency. */
  readonly enqueuedAt: number;
  /** The `publish` caller waiting for this event, if any. */
  readonly settle: Settle | undefined;
  /**
   * Set while isolating an event the database refuses: a batch starting at this entry holds at
   * most `cap` entries, so the halves of a split batch are not merged again.
   */
  cap?: number;
}

/**
 * Per-queue FIFOs of pending entries.
 *
 * @example
 * ```ts
 * import { WriteBuffer } from "./buffer.ts";
 * const buffer = new WriteBuffer();
 * buffer.pendingCount; // 0
 * ```
 */
export class WriteBuffer {
  #queues = new Map<string, PendingEntry[]>();
  #pending = 0;

  /** How many entries wait to be cut into batches. */
  get pendingCount(): number {
    return this.#pending;
  }

  /**
   * Appends an entry to its queue's FIFO.
   *
   * @returns that queue's length afterwards
   */
  push(entry: PendingEntry): number {
    let fifo = this.#queues.get(entry.queue);
    if (fifo === undefined) this.#queues.set(entry.queue, fifo = []);
    fifo.push(entry);
    this.#pending++;
    return fifo.length;
  }

  /**
   * Cuts the next batch: from the first queue (round robin) not in `busy` that holds a full
   * batch, whose oldest entry has lingered `lingerMs`, or any such queue when `force` is set.
   *
   * @returns up to `batchSize` entries of one queue, oldest first, or undefined
   */
  take(
    batchSize: number,
    now: number,
    lingerMs: number,
    force: boolean,
    busy?: ReadonlySet<string>,
  ): PendingEntry[] | undefined {
    for (const [queue, fifo] of this.#queues) {
      const head = fifo[0];
      if (head === undefined || busy?.has(queue)) continue;
      const full = fifo.length >= Math.min(batchSize, head.cap ?? batchSize);
      if (!force && !full && now - head.enqueuedAt < lingerMs) continue;
      const limit = Math.min(batchSize, head.cap ?? batchSize);
      const batch = fifo.length <= limit ? fifo : fifo.splice(0, limit);
      // Re-inserting moves the queue to the end of the map: the next cut serves another queue.
      this.#queues.delete(queue);
      if (batch !== fifo) this.#queues.set(queue, fifo);
      this.#pending -= batch.length;
      return batch;
    }
    return undefined;
  }

  /**
   * When the oldest waiting entry of a queue not in `busy` lingered enough
   * (`performance.now()` scale), if any.
   */
  nextDeadline(lingerMs: number, busy?: ReadonlySet<string>): number | undefined {
    let earliest: number | undefined;
    for (const [queue, fifo] of this.#queues) {
      const head = fifo[0];
      if (
        head !== undefined && !busy?.has(queue) &&
        (earliest === undefined || head.enqueuedAt < earliest)
      ) {
        earliest = head.enqueuedAt;
      }
    }
    return earliest === undefined ? undefined : earliest + lingerMs;
  }

  /**
   * Puts entries of one queue back, in front of every later entry of that queue.
   *
   * @param batch entries of one queue in sequence order
   */
  requeue(batch: readonly PendingEntry[]): void {
    const first = batch[0];
    if (first === undefined) return;
    const fifo = this.#queues.get(first.queue);
    if (fifo === undefined) {
      this.#queues.set(first.queue, [...batch]);
    } else {
      let index = 0;
      while (index < fifo.length && fifo[index]!.seq < first.seq) index++;
      fifo.splice(index, 0, ...batch);
    }
    this.#pending += batch.length;
  }

  /** The smallest sequence number still waiting (Infinity when empty). */
  minSeq(): number {
    let min = Infinity;
    for (const fifo of this.#queues.values()) {
      const head = fifo[0];
      if (head !== undefined && head.seq < min) min = head.seq;
    }
    return min;
  }

  /** Removes and returns every waiting entry. */
  drain(): PendingEntry[] {
    const all: PendingEntry[] = [];
    for (const fifo of this.#queues.values()) for (const entry of fifo) all.push(entry);
    this.#queues.clear();
    this.#pending = 0;
    return all;
  }
}
