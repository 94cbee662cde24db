/**
 * Durable-path benchmark: DurableWriter throughput (both batch statements), baselines on the same
 * rows in the same run (serial `pgmq.send`, `pgmq.send` with 16 in flight, and COPY into a plain
 * table of the queue table's shape: the physical reference), the writer's enqueue-to-commit
 * latency at a steady 5k events/s, and the DurableConsumer's events/s with batches of 100.
 *
 * Every contender writes the same ~600-byte envelopes. Writer throughput counts from the first
 * enqueue to the resolved `flush()`, with enqueues yielding to the event loop every 1,000 events
 * (as a real producer would), after a warmup batch that creates the queue.
 *
 * Run against a server: `bash scripts/pg-up.sh` prints `DATABASE_URL=...`; then
 * `DATABASE_URL=... deno run -A scripts/bench/durable.ts`. Without `DATABASE_URL` it runs on
 * embedded PGlite (one connection, no COPY reference) and says so.
 *
 * @module
 */

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Database } from "../../src/durable/db/database.ts";
import { openDatabase } from "../../src/durable/db/open.ts";
import { readEnv } from "../../src/env.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import { DurableConsumer } from "../../src/durable/consumer/consumer.ts";
import type { WriteStrategy } from "../../src/durable/writer/types.ts";

/** One measured contender. */
export interface DurableBenchRow {
  /** What was measured. */
  contender: string;
  /** Events written (or consumed). */
  events: number;
  /** Events per second. */
  eventsPerSecond: number;
  /** Extra detail (batches, latency). */
  note: string;
}

/** One target, its measured value, and whether it holds. */
export interface DurableBenchTarget {
  /** What is required. */
  target: string;
  /** What was measured. */
  measured: string;
  /** Whether it holds; null when it cannot be measured here (no server). */
  pass: boolean | null;
}

/** Everything {@link run} measured. */
export interface DurableBenchResult {
  /** Which database: a server, or embedded PGlite. */
  database: string;
  /** Bytes of one serialised envelope. */
  envelopeBytes: number;
  /** The measurements. */
  rows: DurableBenchRow[];
  /** The targets with PASS/FAIL. */
  targets: DurableBenchTarget[];
}

/** Options of {@link run}. */
export interface DurableBenchOptions {
  /** Server URL; default `DATABASE_URL`, else embedded PGlite. */
  url?: string;
  /** Events per writer and COPY run. Default 30,000. */
  events?: number;
  /** Events of the serial `pgmq.send` run. Default 2,000. */
  serialEvents?: number;
  /** Events of the 16-in-flight `pgmq.send` run. Default 8,000. */
  concurrentEvents?: number;
  /** Seconds of the steady 5k events/s latency run. Default 5. */
  latencySeconds?: number;
  /** Events of the consumer run. Default 20,000. */
  consumerEvents?: number;
  /** Interleaved repetitions of the writer and COPY runs (median reported). Default 3. */
  rounds?: number;
}

const RUN_ID = crypto.randomUUID().replaceAll("-", "").slice(0, 8);

function makeEvents(count: number, namespace: string): DomainEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    event_id: crypto.randomUUID(),
    event_name: "payment.processed",
    event_version: "1.0",
    payload: {
      task_sequence_step: { task_uuid: crypto.randomUUID(), name: "process_payment", index },
      execution_result: { success: true, result: { amount: 1250 + index, currency: "EUR" } },
      payload: { order_id: `order-${index}`, note: "bench" },
    },
    metadata: {
      task_uuid: crypto.randomUUID(),
      step_uuid: crypto.randomUUID(),
      step_name: "process_payment",
      namespace,
      correlation_id: crypto.randomUUID(),
      fired_at: new Date().toISOString(),
      fired_by: "PaymentPublisher",
    },
  }));
}

function headersOf(event: DomainEvent): string {
  return JSON.stringify({ "x-event-name": event.event_name });
}

async function freshQueue(db: Database, label: string): Promise<{ ns: string; queue: string }> {
  const ns = `b${RUN_ID}_${label}`.slice(0, 29);
  const queue = `${ns}_domain_events`;
  await db.query("SELECT pgmq.create($1::text), pgmq.create($2::text)", [queue, `${queue}_dlq`]);
  return { ns, queue };
}

async function dropQueue(db: Database, queue: string): Promise<void> {
  await db.query("SELECT pgmq.drop_queue($1::text), pgmq.drop_queue($2::text)", [
    queue,
    `${queue}_dlq`,
  ]);
}

function retarget(events: DomainEvent[], namespace: string): DomainEvent[] {
  return events.map((event) => ({ ...event, metadata: { ...event.metadata, namespace } }));
}

function median(samples: DurableBenchRow[]): DurableBenchRow {
  const sorted = [...samples].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)]!;
  const all = samples.map((row) => Math.round(row.eventsPerSecond)).join(", ");
  return samples.length === 1 ? middle : { ...middle, note: `${middle.note}; median of ${all}` };
}

const yieldToLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

async function writerRun(
  db: Database,
  events: DomainEvent[],
  label: string,
  options: { strategy: WriteStrategy; preserveOrder?: boolean; notify?: boolean },
): Promise<DurableBenchRow> {
  const { ns, queue } = await freshQueue(db, label);
  if (options.notify) await db.query("SELECT pgmq.enable_notify_insert($1::text)", [queue]);
  const batch = retarget(events, ns);
  const writer = new DurableWriter({
    db,
    strategy: options.strategy,
    preserveOrder: options.preserveOrder ?? false,
    bufferLimit: batch.length + 10_000,
  });
  for (const event of retarget(events.slice(0, 1000), ns)) writer.enqueue(event);
  await writer.flush();
  const before = writer.stats();
  const started = performance.now();
  for (let index = 0; index < batch.length; index++) {
    writer.enqueue(batch[index]!);
    if (index % 1000 === 999) await yieldToLoop();
  }
  await writer.flush();
  const seconds = (performance.now() - started) / 1000;
  const stats = writer.stats();
  await writer.close();
  await dropQueue(db, queue);
  const batches = stats.batches - before.batches;
  return {
    contender: `DurableWriter ${options.strategy}` +
      (options.preserveOrder === true ? " (preserveOrder)" : "") +
      (options.notify ? " + notify trigger" : ""),
    events: batch.length,
    eventsPerSecond: batch.length / seconds,
    note: `${batches} batches, mean ${((stats.written - before.written) / batches).toFixed(0)}`,
  };
}

async function sendRun(
  db: Database,
  events: DomainEvent[],
  inFlight: number,
): Promise<DurableBenchRow> {
  const { queue } = await freshQueue(db, `send${inFlight}`);
  const sql = "SELECT pgmq.send($1::text, $2::text::jsonb, $3::text::jsonb)";
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < events.length) {
      const event = events[next++]!;
      await db.query(sql, [queue, JSON.stringify(event), headersOf(event)]);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await dropQueue(db, queue);
  return {
    contender: inFlight === 1 ? "pgmq.send, serial" : `pgmq.send, ${inFlight} in flight`,
    events: events.length,
    eventsPerSecond: events.length / seconds,
    note: "one statement per event",
  };
}

function copyEscape(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\t", "\\t");
}

async function copyRun(url: string, events: DomainEvent[]): Promise<DurableBenchRow> {
  const { default: postgres } = await import("npm:postgres@3.4.9");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const table = `bench_copy_${RUN_ID}`;
  try {
    // The shape of a PGMQ queue table, its primary key and vt index included.
    await sql.unsafe(`CREATE TABLE ${table} (
      msg_id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
      read_ct INT DEFAULT 0 NOT NULL,
      enqueued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
      last_read_at TIMESTAMP WITH TIME ZONE,
      vt TIMESTAMP WITH TIME ZONE NOT NULL,
      message JSONB,
      headers JSONB)`);
    await sql.unsafe(`CREATE INDEX ON ${table} (vt ASC)`);
    const vt = new Date().toISOString();
    const started = performance.now();
    const lines = function* () {
      let chunk = "";
      for (let index = 0; index < events.length; index++) {
        const event = events[index]!;
        chunk += `${vt}\t${copyEscape(JSON.stringify(event))}\t${copyEscape(headersOf(event))}\n`;
        if (index % 500 === 499) {
          yield chunk;
          chunk = "";
        }
      }
      if (chunk.length > 0) yield chunk;
    };
    const writable = await sql.unsafe(`COPY ${table} (vt, message, headers) FROM STDIN`)
      .writable();
    await pipeline(Readable.from(lines()), writable);
    const seconds = (performance.now() - started) / 1000;
    const counted = await sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`);
    const n = Number(counted[0]?.n);
    if (n !== events.length) throw new Error(`COPY stored ${n} of ${events.length} rows`);
    return {
      contender: "COPY into a plain table of the same shape",
      events: events.length,
      eventsPerSecond: events.length / seconds,
      note: "physical reference (serialisation included)",
    };
  } finally {
    await sql.unsafe(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

async function latencyRun(
  db: Database,
  events: DomainEvent[],
  rate: number,
  seconds: number,
): Promise<DurableBenchRow & { p50: number; p99: number }> {
  const { ns, queue } = await freshQueue(db, "latency");
  const batch = retarget(events, ns);
  const writer = new DurableWriter({ db });
  const total = Math.min(batch.length, Math.round(rate * seconds));
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    while (sent < due) writer.enqueue(batch[sent++]!);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await writer.flush();
  const held = sent / ((performance.now() - started) / 1000);
  const stats = writer.stats();
  await writer.close();
  await dropQueue(db, queue);
  return {
    contender: `DurableWriter at a steady ${rate} events/s`,
    events: total,
    eventsPerSecond: held,
    note: `enqueue-to-commit p50 ${stats.latency_p50_ms.toFixed(2)} ms, p99 ${
      stats.latency_p99_ms.toFixed(2)
    } ms, mean batch ${stats.mean_batch_size.toFixed(1)}`,
    p50: stats.latency_p50_ms,
    p99: stats.latency_p99_ms,
  };
}

async function consumerRun(db: Database, events: DomainEvent[]): Promise<DurableBenchRow> {
  const { ns, queue } = await freshQueue(db, "consumer");
  const writer = new DurableWriter({ db, bufferLimit: events.length + 1 });
  for (const event of retarget(events, ns)) writer.enqueue(event);
  await writer.flush();
  await writer.close();
  const consumer = new DurableConsumer({ db, queue, batchSize: 100, listen: false });
  let handled = 0;
  consumer.on("#", () => {
    handled++;
  });
  const started = performance.now();
  await consumer.start();
  while (consumer.stats().processed < events.length) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  await dropQueue(db, queue);
  return {
    contender: "DurableConsumer, batches of 100 (read + handler + delete)",
    events: handled,
    eventsPerSecond: handled / seconds,
    note: "concurrency 1, no-op handler",
  };
}

/**
 * Runs every measurement and returns the rows and targets.
 *
 * @param options sizes and the server URL
 * @returns what was measured
 *
 * @example
 * ```ts
 * import { formatDurableBench, run } from "./durable.ts";
 * const result = await run({ events: 5_000 });
 * console.log(formatDurableBench(result));
 * ```
 */
export async function run(options: DurableBenchOptions = {}): Promise<DurableBenchResult> {
  const url = options.url ?? readEnv("DATABASE_URL");
  const count = options.events ?? 30_000;
  const db = await openDatabase({ url, poolSize: 20, migrate: true });
  try {
    const events = makeEvents(count, "bench");
    const envelopeBytes = new TextEncoder().encode(JSON.stringify(events[0])).length;
    // The machine may be shared: the contenders that the targets compare run interleaved,
    // `rounds` times each, and report their median.
    const rounds = Math.max(1, options.rounds ?? 3);
    const samples = new Map<string, DurableBenchRow[]>();
    const sample = (row: DurableBenchRow) => {
      const list = samples.get(row.contender) ?? [];
      list.push(row);
      samples.set(row.contender, list);
    };
    for (let round = 0; round < rounds; round++) {
      if (db.kind === "postgres" && url !== undefined) sample(await copyRun(url, events));
      sample(await writerRun(db, events, `ins${round}`, { strategy: "insert" }));
      sample(await writerRun(db, events, `sb${round}`, { strategy: "send_batch" }));
      sample(
        await writerRun(db, events, `ord${round}`, { strategy: "insert", preserveOrder: true }),
      );
    }
    const medians = [...samples.values()].map(median);
    const find = (prefix: string) => medians.find((row) => row.contender.startsWith(prefix));
    const insert = find("DurableWriter insert")!;
    const sendBatch = find("DurableWriter send_batch")!;
    const copy = find("COPY");
    const rows: DurableBenchRow[] = [...medians];
    rows.push(await writerRun(db, events, "notify", { strategy: "insert", notify: true }));
    const serial = await sendRun(db, events.slice(0, options.serialEvents ?? 2_000), 1);
    const sixteen = await sendRun(db, events.slice(0, options.concurrentEvents ?? 8_000), 16);
    rows.push(serial, sixteen);
    const latency = await latencyRun(db, events, 5_000, options.latencySeconds ?? 5);
    rows.push(latency);
    rows.push(await consumerRun(db, events.slice(0, options.consumerEvents ?? 20_000)));

    // The writer as configured by default (strategy "insert", unordered batches).
    const best = insert.eventsPerSecond;
    const targets: DurableBenchTarget[] = [
      {
        target: "strategy insert ≥ strategy send_batch (the default is the faster)",
        measured: `${(insert.eventsPerSecond / sendBatch.eventsPerSecond).toFixed(2)}×`,
        pass: insert.eventsPerSecond >= sendBatch.eventsPerSecond,
      },
      {
        target: "writer ≥ 6× pgmq.send with 16 in flight",
        measured: `${(best / sixteen.eventsPerSecond).toFixed(2)}×`,
        pass: best >= 6 * sixteen.eventsPerSecond,
      },
      copy === undefined
        ? { target: "writer ≥ 0.6× COPY", measured: "n/a (no server)", pass: null }
        : {
          target: "writer ≥ 0.6× COPY",
          measured: `${(best / copy.eventsPerSecond).toFixed(2)}×`,
          pass: best >= 0.6 * copy.eventsPerSecond,
        },
      {
        target: "p99 enqueue-to-commit ≤ 25 ms at 5k events/s",
        measured: `${latency.p99.toFixed(2)} ms`,
        pass: latency.p99 <= 25,
      },
    ];
    const database = db.kind === "postgres"
      ? "PostgreSQL server (postgres.js pool of 20)"
      : "embedded PGlite (no DATABASE_URL): one connection, no COPY reference";
    return { database, envelopeBytes, rows, targets };
  } finally {
    await db.close();
  }
}

/**
 * Renders a result as markdown tables.
 *
 * @param result what {@link run} returned
 * @returns markdown
 *
 * @example
 * ```ts
 * import { formatDurableBench, run } from "./durable.ts";
 * console.log(formatDurableBench(await run()));
 * ```
 */
export function formatDurableBench(result: DurableBenchResult): string {
  const lines = [
    `Database: ${result.database}; envelope ${result.envelopeBytes} bytes`,
    "",
    "| contender | events | events/s | note |",
    "|---|---:|---:|---|",
    ...result.rows.map((row) =>
      `| ${row.contender} | ${row.events} | ${Math.round(row.eventsPerSecond)} | ${row.note} |`
    ),
    "",
    "| target | measured | result |",
    "|---|---|---|",
    ...result.targets.map((target) =>
      `| ${target.target} | ${target.measured} | ${
        target.pass === null ? "n/a" : target.pass ? "PASS" : "FAIL"
      } |`
    ),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(formatDurableBench(await run()));
}
