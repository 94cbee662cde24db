/**
 * deno-tasker against pg-boss and graphile-worker on the PostgreSQL server named by
 * `DATABASE_URL`, each in a throwaway database of its own (created here, dropped at the end):
 * 500 workflows of a 4-step linear chain with trivial handlers, submitted first, then completed
 * by ONE worker process at concurrency 10 and 100, and at 100 with one PGMQ event per step; the
 * end-to-end latency of one workflow submitted by another process to an idle worker; and the
 * database transactions per second of an idle worker serving 1 and 50 namespaces (queues).
 *
 * Every measurement runs the worker in a fresh child process (`peers/child.ts`). A run starts at
 * the worker's first handler call and ends when the driver, polling one count of the
 * contender's remaining work every 10 ms (the same for every contender), reads zero. Rounds are
 * interleaved (deno-tasker, pg-boss, graphile-worker, then again); the figures are medians.
 *
 *   deno task bench peers [--quick] [--tasks 500] [--rounds 3] [--samples 30] [--only a,b]
 *
 * @module
 */

import { type Database, openDatabase } from "../../src/durable/mod.ts";
import { CHAIN_STEPS, CONTENDER_INFO, type ContenderKey, CONTENDERS } from "./peers/contenders.ts";
import { PeerProcess } from "./peers/process.ts";
import { epochMs } from "./peers/child.ts";
import { formatPeers, type PeerResults } from "./peers/report.ts";

/** Options of {@link run}. */
export interface PeersOptions {
  /** Workflows per throughput run. Default 500. */
  tasks?: number;
  /** Interleaved rounds. Default 3. */
  rounds?: number;
  /** Latency samples per contender, over all rounds. Default 30. */
  samples?: number;
  /** Seconds each idle-cost window lasts. Default 10. */
  idleSeconds?: number;
  /** Only these contenders (for development). Default all. */
  only?: ContenderKey[];
}

/** The throughput configurations, in the order each round runs them. */
export const CONFIGS = [
  { key: "c10", concurrency: 10, events: false },
  { key: "c100", concurrency: 100, events: false },
  { key: "c100_events", concurrency: 100, events: true },
] as const;

const POLL_MS = 10;
const LATENCY_POLL_MS = 2;
const IDLE_NAMESPACES = [1, 50] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Set by Ctrl-C: no new measurement starts, the databases are dropped. */
let interrupted = false;

function checkInterrupted(): void {
  if (interrupted) throw new Error("peers: interrupted");
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One contender's throwaway database. */
interface Arena {
  key: ContenderKey;
  name: string;
  url: string;
  db: Database;
}

async function clean(arena: Arena): Promise<void> {
  for (const sql of CONTENDER_INFO[arena.key].cleanSql) await arena.db.query(sql);
}

async function child(
  arena: Arena,
  role: string,
  args: Record<string, unknown>,
  timeoutMs: number,
): Promise<PeerProcess> {
  checkInterrupted();
  const process = new PeerProcess(arena.key, role, args, arena.url);
  await process.finished(timeoutMs);
  return process;
}

/** One throughput run: steps per second from the first handler call to the last completion. */
async function throughput(
  arena: Arena,
  tasks: number,
  concurrency: number,
  events: boolean,
): Promise<number> {
  await clean(arena);
  await child(arena, "submit", { count: tasks, events }, 120_000);
  const expectedEvents = events ? tasks * CHAIN_STEPS : 0;
  const sql = CONTENDER_INFO[arena.key].remainingSql(events);
  const worker = new PeerProcess(arena.key, "worker", { concurrency, idleQueues: 1 }, arena.url);
  try {
    const deadline = performance.now() + 300_000;
    let ended: number;
    for (;;) {
      const rows = await arena.db.query<{ n: number }>(sql, events ? [expectedEvents] : []);
      if (rows[0]!.n === 0) {
        ended = epochMs();
        break;
      }
      worker.assertRunning();
      checkInterrupted();
      if (performance.now() > deadline) throw new Error(`${arena.key}: run not done in 300 s`);
      await sleep(POLL_MS);
    }
    const first = Number(await worker.waitFor("first", 5_000));
    await worker.stop();
    return Math.round((tasks * CHAIN_STEPS) / ((ended - first) / 1000));
  } catch (error) {
    await worker.kill();
    throw error;
  }
}

/** Latency samples of one workflow submitted by another process to an idle worker. */
async function latency(arena: Arena, samples: number): Promise<number[]> {
  checkInterrupted();
  await clean(arena);
  const worker = new PeerProcess(
    arena.key,
    "worker",
    { concurrency: 10, idleQueues: 1 },
    arena.url,
  );
  try {
    await worker.waitFor("ready", 60_000);
    await sleep(1000);
    const submitter = await child(
      arena,
      "latency",
      { samples, pollMs: LATENCY_POLL_MS, pauseMs: 200 },
      120_000,
    );
    await worker.stop();
    return submitter.messages.filter((m) => "latency_ms" in m).map((m) => Number(m.latency_ms));
  } catch (error) {
    await worker.kill();
    throw error;
  }
}

async function xactCommit(admin: Database, name: string): Promise<number> {
  const rows = await admin.query<{ n: string }>(
    "SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1",
    [name],
  );
  return Number(rows[0]!.n);
}

/** Committed transactions per second in the contender's database while its worker is idle. */
async function idleCost(
  admin: Database,
  arena: Arena,
  idleQueues: number,
  seconds: number,
): Promise<number> {
  checkInterrupted();
  await clean(arena);
  const worker = new PeerProcess(arena.key, "worker", { concurrency: 10, idleQueues }, arena.url);
  try {
    await worker.waitFor("ready", 60_000);
    // A backend that goes idle flushes its pending statistics only after 10 s (PostgreSQL 15's
    // PGSTAT_IDLE_INTERVAL): a window opened sooner counts the start-up's transactions too (a
    // worker's LISTEN per queue: 150 of them for 50 namespaces, an extra 15/s in the window).
    await sleep(11_000);
    const before = await xactCommit(admin, arena.name);
    const started = performance.now();
    await sleep(seconds * 1000);
    const after = await xactCommit(admin, arena.name);
    const elapsed = (performance.now() - started) / 1000;
    await worker.stop();
    return (after - before) / elapsed;
  } catch (error) {
    await worker.kill();
    throw error;
  }
}

async function serverFacts(admin: Database): Promise<string> {
  const rows = await admin.query<{ version: string; fsync: string; sync: string }>(
    "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, " +
      "current_setting('synchronous_commit') AS sync",
  );
  const row = rows[0]!;
  return `PostgreSQL ${row.version}, fsync ${row.fsync}, synchronous_commit ${row.sync}`;
}

async function loadAverage(url: string): Promise<string> {
  const process = new PeerProcess("tasker", "loadavg", {}, url);
  await process.finished(60_000);
  return String(await process.waitFor("loadavg", 0));
}

async function eventBytes(arena: Arena): Promise<number> {
  const rows = await arena.db.query<{ bytes: number | null }>(
    `SELECT avg(octet_length(message::text))::int AS bytes FROM ${
      CONTENDER_INFO[arena.key].eventsTable
    }`,
  );
  return rows[0]?.bytes ?? 0;
}

/** Runs the benchmark, prints its report and returns the figures. */
export async function run(options: PeersOptions = {}): Promise<PeerResults | undefined> {
  const base = Deno.env.get("DATABASE_URL");
  if (!base) {
    console.log("(DATABASE_URL not set: the peers benchmark needs a PostgreSQL server with PGMQ)");
    return undefined;
  }
  const tasks = options.tasks ?? 500;
  const rounds = options.rounds ?? 3;
  const samples = options.samples ?? 30;
  const idleSeconds = options.idleSeconds ?? 10;
  await using admin = await openDatabase({ url: base, poolSize: 1, migrate: false });
  const results: PeerResults = {
    tasks,
    rounds,
    server: await serverFacts(admin),
    loadBefore: await loadAverage(base),
    loadAfter: "",
    throughput: {},
    latency: {},
    idle: {},
    eventBytes: {},
  };
  const tag = crypto.randomUUID().slice(0, 8);
  const arenas: Arena[] = [];
  const created: string[] = [];
  // Ctrl-C also stops the children (same process group); the driver stays to drop its databases.
  const onInterrupt = () => interrupted = true;
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    for (const key of options.only ?? CONTENDERS) {
      const name = `peers_${tag}_${key}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      console.error(`created database ${name} (dropped at the end)`);
      const url = databaseUrl(base, name);
      arenas.push({ key, name, url, db: await openDatabase({ url, poolSize: 1, migrate: false }) });
      await child(arenas.at(-1)!, "setup", { idleQueues: Math.max(...IDLE_NAMESPACES) }, 180_000);
    }
    const perRound = Math.max(1, Math.ceil(samples / rounds));
    for (let round = 1; round <= rounds; round++) {
      for (const config of CONFIGS) {
        for (const arena of arenas) {
          const stepsPerSecond = await throughput(arena, tasks, config.concurrency, config.events);
          ((results.throughput[config.key] ??= {})[arena.key] ??= []).push(stepsPerSecond);
          if (config.events) results.eventBytes[arena.key] = await eventBytes(arena);
          console.error(`round ${round} ${config.key} ${arena.key}: ${stepsPerSecond} steps/s`);
        }
      }
      for (const arena of arenas) {
        const taken = await latency(arena, perRound);
        (results.latency[arena.key] ??= []).push(...taken);
        console.error(`round ${round} latency ${arena.key}: ${taken.map(Math.round).join(" ")} ms`);
      }
    }
    for (const idleQueues of IDLE_NAMESPACES) {
      for (const arena of arenas) {
        const perSecond = await idleCost(admin, arena, idleQueues, idleSeconds);
        (results.idle[arena.key] ??= {})[idleQueues] = perSecond;
        console.error(`idle ${idleQueues} ${arena.key}: ${perSecond.toFixed(1)} xact/s`);
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    for (const arena of arenas) await arena.db.close();
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (interrupted) console.error(`interrupted; dropped ${created.join(", ")}`);
  }
  results.loadAfter = await loadAverage(base);
  console.log(formatPeers(results));
  return results;
}

/**
 * Reads `--quick` (100 workflows, 1 round, 5 latency samples, 3 s idle windows), `--tasks N`,
 * `--rounds N`, `--samples N`, `--idle-seconds N` and `--only tasker,pgboss,graphile`.
 */
export function parsePeersArgs(args: string[]): PeersOptions {
  const number = (name: string): number | undefined => {
    const i = args.indexOf(`--${name}`);
    if (i === -1) return undefined;
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(args[i + 1])}`);
    }
    return value;
  };
  const quick = args.includes("--quick");
  const i = args.indexOf("--only");
  const only = i === -1 ? undefined : (args[i + 1] ?? "").split(",");
  const unknown = only?.filter((key) => !CONTENDERS.includes(key as ContenderKey));
  if (unknown && unknown.length > 0) {
    throw new Error(
      `--only: unknown contender(s) ${unknown.join(", ")} (${CONTENDERS.join(", ")})`,
    );
  }
  return {
    tasks: number("tasks") ?? (quick ? 100 : undefined),
    rounds: number("rounds") ?? (quick ? 1 : undefined),
    samples: number("samples") ?? (quick ? 5 : undefined),
    idleSeconds: number("idle-seconds") ?? (quick ? 3 : undefined),
    only: only as ContenderKey[] | undefined,
  };
}

if (import.meta.main) await run(parsePeersArgs(Deno.args));
