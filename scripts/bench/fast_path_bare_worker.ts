/**
 * The physical baseline of the isolated rows of the fast-path benchmark: a bare Worker that
 * receives batches of events (one structured-clone array, one JSON string per batch, or one JSON
 * text per batch through a shared-memory ring, `shared_ring.ts`) and does nothing with
 * them but count them and, when asked, record publish-to-handle latency from a
 * stamp taken on the publisher's clock (`performance.timeOrigin + performance.now()`).
 *
 * @module
 */

import type { DomainEvent } from "../../src/events/types.ts";
import { RingReader, type SharedRingBuffers } from "./shared_ring.ts";

/** What the benchmark sends this Worker. */
export type BareWorkerMessage =
  | { t: "clone"; events: DomainEvent[] }
  | { t: "json"; events: string }
  | { t: "ring"; ring: SharedRingBuffers }
  | { t: "measure" }
  | { t: "until"; count: number };

/** What this Worker replies to `until`: events seen, and latency samples since `measure`. */
export interface BareWorkerReply {
  count: number;
  samples: number[];
}

const scope = globalThis as unknown as {
  onmessage: ((message: MessageEvent<BareWorkerMessage>) => void) | null;
  postMessage(data: BareWorkerReply): void;
};

let count = 0;
let measuring = false;
let samples: number[] = [];
let waitingFor = Infinity;

function take(events: DomainEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const stamp = events[i]!.metadata.stamp;
    count++;
    if (measuring && typeof stamp === "number") {
      samples.push(performance.timeOrigin + performance.now() - stamp);
    }
  }
  if (count >= waitingFor) {
    waitingFor = Infinity;
    scope.postMessage({ count, samples });
  }
}

/** Reads the ring until the Worker is terminated, sleeping only while it is empty. */
async function readRing(ring: SharedRingBuffers): Promise<void> {
  const reader = new RingReader(ring);
  for (;;) {
    for (let text = reader.read(); text !== undefined; text = reader.read()) {
      take(JSON.parse(text) as DomainEvent[]);
    }
    await reader.wait();
  }
}

scope.onmessage = (message) => {
  const data = message.data;
  if (data.t === "clone") take(data.events);
  else if (data.t === "ring") void readRing(data.ring);
  else if (data.t === "json") take(JSON.parse(data.events) as DomainEvent[]);
  else if (data.t === "measure") {
    measuring = true;
    samples = [];
  } else if (count >= data.count) scope.postMessage({ count, samples });
  else waitingFor = data.count;
};
