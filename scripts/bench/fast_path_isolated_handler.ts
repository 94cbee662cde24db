/**
 * The isolated subscriber of the fast-path benchmark, loaded by its Worker: it counts events and,
 * between a `bench.measure` and a `bench.report` control event, records publish-to-handle latency
 * from the stamp the publisher put in `metadata.stamp` (`performance.timeOrigin + now()`, one
 * clock for both isolates). The report is written as JSON to the file the control event names
 * (`metadata.report`); a `BroadcastChannel` proved unreliable across Worker restarts in Deno 2.9.
 *
 * @module
 */

import type { DomainEvent } from "../../src/events/types.ts";

/** What `bench.report` sends: events seen and latency samples in ms. */
export interface IsolatedBenchReport {
  count: number;
  samples: number[];
}

let count = 0;
let measuring = false;
let samples: number[] = [];

/** Counts (and, while measuring, times) every event; control events steer the measurement. */
export function handle(event: DomainEvent): void {
  const name = event.event_name;
  if (name === "bench.measure") {
    measuring = true;
    samples = [];
    return;
  }
  if (name === "bench.report") {
    const report: IsolatedBenchReport = { count, samples };
    Deno.writeTextFileSync(String(event.metadata.report), JSON.stringify(report));
    return;
  }
  count++;
  const stamp = event.metadata.stamp;
  if (measuring && typeof stamp === "number") {
    samples.push(performance.timeOrigin + performance.now() - stamp);
  }
}
