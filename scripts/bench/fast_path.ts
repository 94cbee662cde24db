/**
 * Fast-path benchmark: throughput and publish-to-handle latency of the `EventBus` with 1 and 10
 * pattern subscribers, side by side in the same run with baselines: a plain loop over handlers,
 * a plain per-subscriber async array queue, `node:events`, `mitt` and `eventemitter2` (wildcards).
 *
 * Throughput: the same number of events for every contender (200k after a 200k warmup), published
 * in bursts of 1000 (below the default mailbox capacity of 1024) with a wait for the handlers to
 * catch up after each burst; events/s = events / elapsed, median of three runs.
 * Latency: publishing paced at a steady 100k events/s (bursts of at most 10 events, i.e. 0.1 ms of
 * schedule, yielding with setImmediate between bursts; the achieved rate is printed),
 * each event stamped with `performance.now()` at publish, the handler records now - stamp; 100k
 * events per run after 20k paced warmup events, median p50 and median p99 of three runs (the
 * machine is shared, so a single run's tail is at the mercy of the scheduler).
 *
 * Then the isolate boundary (`fast_path_isolated.ts`): a worker-isolated subscriber beside the
 * in-process actor and beside bare Workers receiving the same events in batches (structured clone,
 * one JSON string per batch, JSON through a shared-memory ring), with its own targets.
 *
 * Run: `deno run -A scripts/bench/fast_path.ts`. Each row runs in its own worker (fresh JIT and
 * heap), which needs read access to this file; without it every row runs in this isolate and the
 * isolate-boundary rows are skipped.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { DomainEvent } from "../../src/events/types.ts";
import { type Contender, contenders, EVENT_NAME } from "./fast_path_contenders.ts";
import {
  evaluateIsolatedTargets,
  formatIsolatedTable,
  type IsolatedRow,
  runIsolated,
} from "./fast_path_isolated.ts";

/** One measured line of the table. */
export interface FastPathRow {
  /** Contender name. */
  contender: string;
  /** Number of subscribers attached. */
  subscribers: number;
  /** Published events per second (every subscriber handled every event). */
  eventsPerSecond: number;
  /** Median publish-to-handle latency at the paced rate, in microseconds. */
  p50Us: number;
  /** 99th percentile publish-to-handle latency at the paced rate, in microseconds. */
  p99Us: number;
  /** The publish rate actually held during the latency run, events/s. */
  pacedRate: number;
}

/** One target, its measured ratio or value, and whether it passed. */
export interface FastPathTarget {
  /** What is required. */
  target: string;
  /** The measured value. */
  measured: string;
  /** Whether it holds. */
  pass: boolean;
}

/** Options of {@link run}. */
export interface FastPathOptions {
  /** Events per throughput run. Default 200_000. */
  events?: number;
  /** Warmup events before each throughput run (latency runs warm up on at most 20k). Default 200_000. */
  warmup?: number;
  /** Paced publish rate of the latency runs, events/s. Default 100_000. */
  rate?: number;
  /** Events per latency run. Default 100_000 (one second at the default rate). */
  latencyEvents?: number;
  /** Print the table and verdicts to stdout. Default true. */
  print?: boolean;
  /** Also measure the isolate-boundary rows (needs read access). Default true. */
  isolatedRows?: boolean;
}

/** Publish bursts of the throughput runs (below the default mailbox capacity of 1024). */
const BURST = 1000;
/** Largest paced burst: 0.1 ms of schedule at 100k events/s. */
const MAX_PACED_BURST = 10;
/** Paced events published before a latency run is measured. */
const LATENCY_WARMUP = 20_000;

function makeEvents(count: number): DomainEvent[] {
  const payload = { task_sequence_step: {}, execution_result: { success: true }, payload: {} };
  return Array.from({ length: count }, (_, seq) => ({
    event_id: `0190a8c2-0000-7000-8000-${String(seq).padStart(12, "0")}`,
    event_name: EVENT_NAME,
    event_version: "1.0" as const,
    payload,
    metadata: {
      task_uuid: "t",
      step_uuid: "s",
      step_name: "charge",
      namespace: "payment",
      correlation_id: "c",
      fired_at: "2025-01-01T00:00:00.000Z",
      fired_by: "bench",
      seq,
    },
  }));
}

/** Counts handled deliveries and lets the publisher wait until a total is reached. */
class Counter {
  handled = 0;
  #target = Infinity;
  #wake: (() => void) | null = null;
  hit(): void {
    if (++this.handled >= this.#target) {
      this.#target = Infinity;
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    }
  }
  /** Resolves once `total` deliveries happened; rejects after 30 s (a dropped event). */
  until(total: number): Promise<void> {
    if (this.handled >= total) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        this.#target = Infinity;
        reject(new Error(`only ${this.handled} of ${total} deliveries arrived (events dropped?)`));
      }, 30_000);
      this.#target = total;
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const yieldMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

async function throughputOnce(
  contender: Contender,
  subscribers: number,
  events: DomainEvent[],
  warmup: number,
): Promise<number> {
  const counter = new Counter();
  const harness = contender.setup(subscribers, () => counter.hit());
  try {
    harness.publish(events[0]!);
    await counter.until(subscribers);
    await yieldMacrotask();
    if (counter.handled !== subscribers) {
      throw new Error(`${contender.name}: ${counter.handled} deliveries for ${subscribers} subs`);
    }
    const burstsOf = async (count: number) => {
      for (let sent = 0; sent < count;) {
        const end = Math.min(count, sent + BURST);
        for (; sent < end; sent++) harness.publish(events[sent]!);
        await counter.until(base + end * subscribers);
      }
      base = counter.handled;
    };
    let base = counter.handled;
    await burstsOf(warmup);
    const started = performance.now();
    await burstsOf(events.length);
    const elapsed = performance.now() - started;
    return events.length / (elapsed / 1000);
  } finally {
    await harness.close();
  }
}

async function latency(
  contender: Contender,
  subscribers: number,
  events: DomainEvent[],
  rate: number,
  warmup: number,
): Promise<{ p50: number; p99: number; pacedRate: number }> {
  const stamps = new Float64Array(events.length);
  const samples = new Float64Array(events.length * subscribers);
  let recorded = 0;
  let measuring = false;
  const counter = new Counter();
  const harness = contender.setup(subscribers, (event) => {
    if (measuring) samples[recorded++] = performance.now() - stamps[event.metadata.seq as number]!;
    counter.hit();
  });
  try {
    const paced = async (count: number) => {
      const base = counter.handled;
      const started = performance.now();
      let sent = 0;
      while (sent < count) {
        const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        // At most MAX_PACED_BURST per turn: after a stall (GC, a descheduled CPU) the loop
        // catches up in small bursts, as a steady publisher would, instead of publishing a
        // backlog in one go (which would also overflow the 1024-event mailboxes).
        for (let burst = 0; sent < due && burst < MAX_PACED_BURST; sent++, burst++) {
          stamps[sent] = performance.now();
          harness.publish(events[sent]!);
        }
        await yieldMacrotask();
      }
      await counter.until(base + count * subscribers);
      return count / ((performance.now() - started) / 1000);
    };
    await paced(Math.min(warmup, LATENCY_WARMUP, events.length));
    measuring = true;
    const pacedRate = await paced(events.length);
    const sorted = samples.slice(0, recorded).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { p50: at(0.5) * 1000, p99: at(0.99) * 1000, pacedRate };
  } finally {
    await harness.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** What one measurement (one contender, one subscriber count) needs. */
interface Job {
  contender: number;
  subscribers: number;
  events: number;
  warmup: number;
  rate: number;
  latencyEvents: number;
}

/** Measures one contender: throughput (median of 3 runs) and latency (medians of 3 runs). */
async function measure(job: Job): Promise<FastPathRow> {
  const contender = contenders[job.contender]!;
  const events = makeEvents(Math.max(job.events, job.warmup));
  const latencyEvents = makeEvents(job.latencyEvents);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    runs.push(
      await throughputOnce(contender, job.subscribers, events.slice(0, job.events), job.warmup),
    );
  }
  const lats = [];
  for (let i = 0; i < 3; i++) {
    lats.push(await latency(contender, job.subscribers, latencyEvents, job.rate, job.warmup));
  }
  return {
    contender: contender.name,
    subscribers: job.subscribers,
    eventsPerSecond: median(runs),
    p50Us: median(lats.map((lat) => lat.p50)),
    p99Us: median(lats.map((lat) => lat.p99)),
    pacedRate: Math.min(...lats.map((lat) => lat.pacedRate)),
  };
}

/**
 * Runs `job` in a fresh worker, so every contender starts from a clean JIT and heap: measured in
 * one isolate, later contenders inherit megamorphic call sites and garbage from earlier ones.
 */
function measureInWorker(job: Job): Promise<FastPathRow> {
  const worker = new Worker(import.meta.url, { type: "module" });
  return new Promise<FastPathRow>((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<{ row?: FastPathRow; error?: string }>) => {
      if (message.data.row !== undefined) resolve(message.data.row);
      else reject(new Error(message.data.error));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(event.message));
    };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

/**
 * Runs every contender with 1 and 10 subscribers, each in its own worker when module workers
 * can be started (they need read access to this file; otherwise all run in this isolate), and
 * returns the rows, printing the table and the target verdicts unless `print: false`.
 *
 * @example
 * ```ts
 * import { run } from "./fast_path.ts";
 * const rows = await run({ events: 20_000, print: false });
 * ```
 */
export async function run(options: FastPathOptions = {}): Promise<FastPathRow[]> {
  const base = {
    events: options.events ?? 200_000,
    warmup: options.warmup ?? 200_000,
    rate: options.rate ?? 100_000,
    latencyEvents: options.latencyEvents ?? 100_000,
  };
  const isolated = (await Deno.permissions.query({ name: "read" })).state === "granted";
  const rows: FastPathRow[] = [];
  for (const subscribers of [1, 10]) {
    for (let contender = 0; contender < contenders.length; contender++) {
      const job = { ...base, contender, subscribers };
      rows.push(isolated ? await measureInWorker(job) : await measure(job));
    }
  }
  if (options.print ?? true) {
    console.log(formatTable(rows, base.events, base.rate, isolated));
    for (const target of evaluateTargets(rows)) {
      console.log(`${target.pass ? "PASS" : "FAIL"}  ${target.target}: ${target.measured}`);
    }
  }
  if (isolated && (options.isolatedRows ?? true)) {
    const boundaryRate = 50_000;
    const boundary: IsolatedRow[] = await runIsolated({ rate: boundaryRate });
    if (options.print ?? true) {
      console.log(`\n${formatIsolatedTable(boundary, boundaryRate)}`);
      for (const target of evaluateIsolatedTargets(boundary, boundaryRate)) {
        console.log(`${target.pass ? "PASS" : "FAIL"}  ${target.target}: ${target.measured}`);
      }
    }
  }
  return rows;
}

function find(rows: FastPathRow[], prefix: string, subscribers: number): FastPathRow {
  const row = rows.find((r) => r.contender.startsWith(prefix) && r.subscribers === subscribers);
  if (row === undefined) throw new Error(`no row for ${prefix} with ${subscribers} subscribers`);
  return row;
}

/**
 * The three targets of the fast path, judged on rows from {@link run}.
 *
 * @example
 * ```ts
 * import { evaluateTargets, run } from "./fast_path.ts";
 * const verdicts = evaluateTargets(await run({ events: 20_000, print: false }));
 * ```
 */
export function evaluateTargets(rows: FastPathRow[]): FastPathTarget[] {
  const bus1 = find(rows, "deno-tasker", 1);
  const bus10 = find(rows, "deno-tasker", 10);
  const ee2 = find(rows, "eventemitter2", 1);
  const queue1 = find(rows, "plain async", 1);
  const queue10 = find(rows, "plain async", 10);
  const ratio = (a: number, b: number) => a / b;
  const vsEe2 = ratio(bus1.eventsPerSecond, ee2.eventsPerSecond);
  const vsQueue1 = ratio(bus1.eventsPerSecond, queue1.eventsPerSecond);
  const vsQueue10 = ratio(bus10.eventsPerSecond, queue10.eventsPerSecond);
  return [
    {
      target: "1 subscriber: >= 2x eventemitter2-with-wildcards throughput",
      measured: `${vsEe2.toFixed(2)}x`,
      pass: vsEe2 >= 2,
    },
    {
      target: "1 subscriber: >= 0.35x plain async-queue throughput",
      measured: `${vsQueue1.toFixed(2)}x`,
      pass: vsQueue1 >= 0.35,
    },
    {
      target: "10 subscribers: >= 0.35x plain async-queue throughput",
      measured: `${vsQueue10.toFixed(2)}x`,
      pass: vsQueue10 >= 0.35,
    },
    {
      target: "10 subscribers at a steady 100k events/s: p99 publish-to-handle <= 20 us",
      measured: `${bus10.p99Us.toFixed(1)} us at ${Math.round(bus10.pacedRate)} events/s`,
      pass: bus10.p99Us <= 20 && bus10.pacedRate >= 95_000,
    },
  ];
}

function formatTable(
  rows: FastPathRow[],
  count: number,
  rate: number,
  isolated: boolean,
): string {
  const lines = [
    `Fast path: ${count} events per throughput run (median of 3); latency paced at ${rate} ` +
    `events/s (medians of 3 runs); ${isolated ? "one worker per row" : "all rows in one isolate"}`,
    "",
    "| contender | subs | events/s | p50 µs | p99 µs | paced events/s |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.contender} | ${row.subscribers} | ${
        Math.round(row.eventsPerSecond).toLocaleString("en-US")
      } | ` +
        `${row.p50Us.toFixed(1)} | ${row.p99Us.toFixed(1)} | ${
          Math.round(row.pacedRate).toLocaleString("en-US")
        } |`,
    );
  }
  return lines.join("\n");
}

const workerScope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown })
  .WorkerGlobalScope;
const inWorker = workerScope !== undefined && globalThis instanceof workerScope;
if (inWorker) {
  const scope = globalThis as unknown as {
    onmessage: ((message: MessageEvent<Job>) => void) | null;
    postMessage(data: unknown): void;
  };
  scope.onmessage = (message) => {
    measure(message.data).then(
      (row) => scope.postMessage({ row }),
      (error) => scope.postMessage({ error: String(error?.stack ?? error) }),
    );
  };
} else if (import.meta.main) {
  await run();
}
