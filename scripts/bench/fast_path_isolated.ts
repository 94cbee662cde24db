/**
 * The isolated rows of the fast-path benchmark: a worker-isolated subscriber (`isolation:
 * "worker"`) beside the in-process actor and beside the physical baseline of crossing an isolate
 * boundary — a bare Worker receiving the same distinct event objects in batches of 256, by
 * structured clone, by one JSON string per batch, and by one JSON text per batch written into a
 * shared-memory ring (`shared_ring.ts`: no `postMessage` per batch, the Worker woken
 * only when it sleeps) — all measured in the same run, one fresh Worker per row.
 *
 * Throughput: 100k distinct events (after an untimed warm-up run) handed over in one go — posted
 * in batches to the bare Worker, published to the bus (whose mailbox holds them all) — and timed
 * until the last one is handled; events/s, median of 3 runs. Latency: publishing paced at a steady
 * 50k events/s (bursts of at most 10, yielding with setImmediate between them; a bare Worker gets
 * each burst as one batch), each event stamped at publish with `performance.timeOrigin +
 * performance.now()` and timed where it is handled on the same clock; 25k events after 100k paced
 * warm-up events (~2 s at 50k/s: with 5k, the JIT was still settling — in the Worker above all —
 * and that was most of the measured tail), medians of p50 and p99 over 3 runs.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { EventBus } from "../../src/bus/event_bus.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { createSharedRing, RingWriter } from "./shared_ring.ts";
import type { BareWorkerMessage, BareWorkerReply } from "./fast_path_bare_worker.ts";
import type { IsolatedBenchReport } from "./fast_path_isolated_handler.ts";

/** One measured row of the isolated table. */
export interface IsolatedRow {
  /** What was measured. */
  contender: string;
  /** Events handled per second. */
  eventsPerSecond: number;
  /** Median publish-to-handle latency at the paced rate, µs. */
  p50Us: number;
  /** 99th percentile publish-to-handle latency at the paced rate, µs. */
  p99Us: number;
  /** The publish rate actually held during the latency runs, events/s (the lowest of 3). */
  pacedRate: number;
  /** Events dropped by a full mailbox during the latency runs (all 3); bare Workers drop none. */
  dropped: number;
}

/** The rows, in table order. */
export const ISOLATED_CONTENDERS = [
  "bare Worker, structured clone per batch",
  "bare Worker, one JSON string per batch",
  "bare Worker, JSON per batch in a shared ring",
  "deno-tasker EventBus, in-process actor",
  'deno-tasker EventBus, isolation: "worker"',
] as const;

/** Options of {@link runIsolated}. */
export interface IsolatedOptions {
  /** Events per throughput run. Default 100_000. */
  events?: number;
  /** Paced rate of the latency runs, events/s. Default 50_000. */
  rate?: number;
  /** Events per latency run. Default 25_000. */
  latencyEvents?: number;
}

const BATCH = 256;
const MAX_PACED_BURST = 10;
const LATENCY_WARMUP = 100_000;
const HANDLER = new URL("./fast_path_isolated_handler.ts", import.meta.url);
const BARE = new URL("./fast_path_bare_worker.ts", import.meta.url);
const EVENT_NAME = "payment.processed";

/** Distinct envelopes shaped like real ones (~600 bytes of JSON each). */
function makeEvents(count: number): DomainEvent[] {
  return Array.from({ length: count }, (_, seq) => ({
    event_id: `0190a8c2-0000-7000-8000-${String(seq).padStart(12, "0")}`,
    event_name: EVENT_NAME,
    event_version: "1.0" as const,
    payload: {
      task_sequence_step: { task: { namespace: "payments", name: "charge", version: "1.0.0" } },
      execution_result: { success: true, result: { amount: 10, currency: "usd", ref: `r${seq}` } },
      payload: { amount: 10, order: `order-${seq}` },
    },
    metadata: {
      task_uuid: "0190a8c2-1111-7000-8000-000000000001",
      step_uuid: "0190a8c2-2222-7000-8000-000000000002",
      step_name: "charge_card",
      namespace: "payments",
      correlation_id: `corr-${seq}`,
      fired_at: "2025-01-02T03:04:05.678Z",
      fired_by: "PaymentHandler",
      seq,
    },
  }));
}

const now = () => performance.timeOrigin + performance.now();
const yieldMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A contender set up for one run: hand events over, and learn what the far side saw. */
interface Rig {
  /** Hands over events (a bare Worker gets them as one batch). */
  send(events: DomainEvent[]): void;
  /** Starts recording latency samples. */
  measure(): void;
  /** Resolves once `count` events were handled or dropped, with the latency samples (ms). */
  until(count: number): Promise<number[]>;
  /** Events dropped so far (a bus mailbox that was full). */
  dropped(): number;
  close(): Promise<void>;
}

/** The bare ring: 16 MiB, a few hundred batches of 256 envelopes. */
const RING_BYTES = 1 << 24;

function bareRig(mode: "clone" | "json" | "ring"): Rig {
  const worker = new Worker(BARE, { type: "module" });
  let pending: ((reply: BareWorkerReply) => void) | null = null;
  worker.onmessage = (message: MessageEvent<BareWorkerReply>) => pending?.(message.data);
  const post = (message: BareWorkerMessage) => worker.postMessage(message);
  let writer: RingWriter | null = null;
  if (mode === "ring") {
    const ring = createSharedRing(RING_BYTES);
    writer = new RingWriter(ring);
    post({ t: "ring", ring });
  }
  return {
    send(events) {
      for (let i = 0; i < events.length; i += BATCH) {
        const batch = events.slice(i, i + BATCH);
        if (mode === "clone") post({ t: "clone", events: batch });
        else if (mode === "json") post({ t: "json", events: JSON.stringify(batch) });
        else {
          const text = JSON.stringify(batch);
          // Full (only when 100k events are handed over at once): wait for the Worker, which
          // runs on its own thread, to free room — the bare baseline has no mailbox to hold them.
          while (!writer!.write(text)) { /* spin */ }
        }
      }
    },
    measure: () => post({ t: "measure" }),
    until(count) {
      return new Promise((resolve) => {
        pending = (reply) => resolve(reply.samples);
        post({ t: "until", count });
      });
    },
    dropped: () => 0,
    close: () => Promise.resolve(worker.terminate()),
  };
}

function droppedOf(bus: EventBus): number {
  return bus.stats().dropped;
}

function inProcessRig(capacity: number): Rig {
  const bus = new EventBus();
  let count = 0;
  let measuring = false;
  let samples: number[] = [];
  const seen = () => count + droppedOf(bus);
  bus.subscribe("payment.*", (event) => {
    count++;
    const stamp = event.metadata.stamp;
    if (measuring && typeof stamp === "number") samples.push(now() - stamp);
  }, { mailboxCapacity: capacity });
  return {
    send(events) {
      for (let i = 0; i < events.length; i++) bus.publish(events[i]!);
    },
    measure() {
      measuring = true;
      samples = [];
    },
    async until(total) {
      while (seen() < total) await sleep(1);
      return samples;
    },
    dropped: () => droppedOf(bus),
    close: () => bus.close(),
  };
}

function isolatedRig(capacity: number): Rig {
  const bus = new EventBus();
  const sub = bus.subscribe("#", {
    isolation: "worker",
    module: HANDLER,
    export: "handle",
    mailboxCapacity: capacity,
    shutdown: "brutal_kill",
  });
  const control = (name: string, report?: string) => {
    const event = makeEvents(1)[0]!;
    event.event_name = name;
    event.metadata.report = report;
    bus.publish(event);
  };
  let controls = 0;
  let measuring = false;
  return {
    send(events) {
      for (let i = 0; i < events.length; i++) bus.publish(events[i]!);
    },
    measure() {
      controls++;
      measuring = true;
      control("bench.measure");
    },
    async until(total) {
      while (sub.stats().processed + droppedOf(bus) < total + controls) await sleep(1);
      if (!measuring) return [];
      const file = Deno.makeTempFileSync({ prefix: "fast-path-isolated-" });
      try {
        controls++;
        control("bench.report", file);
        for (;;) {
          try {
            return (JSON.parse(Deno.readTextFileSync(file)) as IsolatedBenchReport).samples;
          } catch {
            await sleep(1); // not written yet, or half written
          }
        }
      } finally {
        Deno.removeSync(file);
      }
    },
    dropped: () => droppedOf(bus),
    close: () => bus.close(),
  };
}

function rigFor(contender: number, capacity: number): Rig {
  if (contender === 0) return bareRig("clone");
  if (contender === 1) return bareRig("json");
  if (contender === 2) return bareRig("ring");
  if (contender === 3) return inProcessRig(capacity);
  return isolatedRig(capacity);
}

async function throughputOnce(contender: number, events: DomainEvent[]): Promise<number> {
  const rig = rigFor(contender, events.length + 16);
  try {
    rig.send(events.slice(0, 1));
    await rig.until(1); // the Worker is up: its start-up is not timed
    const started = performance.now();
    rig.send(events);
    await rig.until(events.length + 1);
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    await rig.close();
  }
}

async function latencyOnce(
  contender: number,
  events: DomainEvent[],
  rate: number,
): Promise<{ p50: number; p99: number; pacedRate: number; dropped: number }> {
  const rig = rigFor(contender, 4096);
  try {
    const paced = async (slice: DomainEvent[]) => {
      const started = performance.now();
      let sent = 0;
      while (sent < slice.length) {
        const due = Math.min(
          slice.length,
          Math.floor(((performance.now() - started) * rate) / 1000) + 1,
        );
        const burst: DomainEvent[] = [];
        for (; sent < due && burst.length < MAX_PACED_BURST; sent++) {
          const event = slice[sent]!;
          event.metadata.stamp = now();
          burst.push(event);
        }
        rig.send(burst);
        await yieldMacrotask();
      }
      return slice.length / ((performance.now() - started) / 1000);
    };
    const warmup = events.slice(0, LATENCY_WARMUP);
    rig.send(warmup.slice(0, 1));
    await rig.until(1);
    await paced(warmup);
    await rig.until(warmup.length + 1);
    rig.measure();
    const measured = events.slice(LATENCY_WARMUP);
    const pacedRate = await paced(measured);
    const samples = await rig.until(warmup.length + measured.length + 1);
    const sorted = Float64Array.from(samples).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { p50: at(0.5), p99: at(0.99), pacedRate, dropped: rig.dropped() };
  } finally {
    await rig.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Job {
  contender: number;
  events: number;
  rate: number;
  latencyEvents: number;
}

async function measure(job: Job): Promise<IsolatedRow> {
  const events = makeEvents(job.events);
  await throughputOnce(job.contender, events); // warm-up
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await throughputOnce(job.contender, events));
  const lats = [];
  for (let i = 0; i < 3; i++) {
    const latencyEvents = makeEvents(LATENCY_WARMUP + job.latencyEvents);
    lats.push(await latencyOnce(job.contender, latencyEvents, job.rate));
  }
  return {
    contender: ISOLATED_CONTENDERS[job.contender]!,
    eventsPerSecond: median(runs),
    p50Us: median(lats.map((lat) => lat.p50)) * 1000,
    p99Us: median(lats.map((lat) => lat.p99)) * 1000,
    pacedRate: Math.min(...lats.map((lat) => lat.pacedRate)),
    dropped: lats.reduce((sum, lat) => sum + lat.dropped, 0),
  };
}

/** Runs one row in a fresh Worker (clean JIT and heap), as the other fast-path rows are. */
function measureInWorker(job: Job): Promise<IsolatedRow> {
  const worker = new Worker(import.meta.url, { type: "module" });
  return new Promise<IsolatedRow>((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<{ row?: IsolatedRow; error?: string }>) => {
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
 * Measures every isolated row, each in its own Worker (they need read access to these files).
 *
 * @param options event counts and the paced rate
 * @returns the rows, in {@link ISOLATED_CONTENDERS} order
 *
 * @example
 * ```ts ignore
 * import { runIsolated } from "./fast_path_isolated.ts";
 * const rows = await runIsolated({ events: 20_000, latencyEvents: 5_000 });
 * ```
 */
export async function runIsolated(options: IsolatedOptions = {}): Promise<IsolatedRow[]> {
  const base = {
    events: options.events ?? 100_000,
    rate: options.rate ?? 50_000,
    latencyEvents: options.latencyEvents ?? 25_000,
  };
  const rows: IsolatedRow[] = [];
  for (let contender = 0; contender < ISOLATED_CONTENDERS.length; contender++) {
    rows.push(await measureInWorker({ ...base, contender }));
  }
  return rows;
}

/** One target, its measured value, and whether it passed. */
export interface IsolatedTarget {
  /** What is required. */
  target: string;
  /** The measured value. */
  measured: string;
  /** Whether it holds. */
  pass: boolean;
}

/**
 * The targets of the isolated rows.
 *
 * @param rows rows from {@link runIsolated}
 * @param rate the paced rate they were measured at
 * @returns one verdict per target
 */
export function evaluateIsolatedTargets(rows: IsolatedRow[], rate: number): IsolatedTarget[] {
  const [clone, json, ring, , isolated] = rows as IsolatedRow[] as [
    IsolatedRow,
    IsolatedRow,
    IsolatedRow,
    IsolatedRow,
    IsolatedRow,
  ];
  const better = Math.max(clone.eventsPerSecond, json.eventsPerSecond, ring.eventsPerSecond);
  const ratio = isolated.eventsPerSecond / better;
  return [
    {
      target: "isolated subscriber: >= 0.7x the best bare-Worker baseline's throughput",
      measured: `${ratio.toFixed(2)}x (${Math.round(isolated.eventsPerSecond)} vs ${
        Math.round(better)
      } events/s)`,
      pass: ratio >= 0.7,
    },
    {
      target: `isolated subscriber at a steady ${
        rate / 1000
      }k events/s: p99 publish-to-handle <= 1 ms`,
      measured: `${(isolated.p99Us / 1000).toFixed(3)} ms at ${
        Math.round(isolated.pacedRate)
      } events/s, ${isolated.dropped} dropped`,
      pass: isolated.p99Us <= 1000 && isolated.pacedRate >= rate * 0.95 && isolated.dropped === 0,
    },
  ];
}

/**
 * The isolated table, in Markdown.
 *
 * @param rows rows from {@link runIsolated}
 * @param rate the paced rate
 * @returns the table
 */
export function formatIsolatedTable(rows: IsolatedRow[], rate: number): string {
  const lines = [
    `Isolate boundary: 100k distinct events per throughput run (median of 3), batches of ${BATCH}; ` +
    `latency paced at ${rate} events/s (medians of 3 runs); one worker per row`,
    "",
    "| contender | events/s | p50 µs | p99 µs | paced events/s | dropped |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.contender} | ${Math.round(row.eventsPerSecond).toLocaleString("en-US")} | ` +
        `${row.p50Us.toFixed(1)} | ${row.p99Us.toFixed(1)} | ${
          Math.round(row.pacedRate).toLocaleString("en-US")
        } | ${row.dropped} |`,
    );
  }
  return lines.join("\n");
}

const workerScope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown })
  .WorkerGlobalScope;
if (workerScope !== undefined && globalThis instanceof workerScope) {
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
  const rows = await runIsolated();
  console.log(formatIsolatedTable(rows, 50_000));
  for (const target of evaluateIsolatedTargets(rows, 50_000)) {
    console.log(`${target.pass ? "PASS" : "FAIL"}  ${target.target}: ${target.measured}`);
  }
}
