/**
 * One process of the scale-out benchmark. The driver (`scripts/bench/scale_out.ts`) starts it as
 *
 *   deno run ... child.ts <setup|submit|worker|loadavg> '<json>'
 *
 * with `SCALE_DATABASE_URL` set, and reads the lines it prints that start with `@@scale ` (JSON).
 * A worker opens its Tasker with the worker not started, says `ready`, starts the worker when it
 * reads `go` on stdin (so every process of a run starts together), and on `stop` (or end of
 * input) closes the Tasker and writes its handler log — every call's step, attempt and start
 * and end times — to the JSON file the driver named. On `cpu` it prints the CPU time it used
 * since `go`. The `cpu` role prints the machine's cumulative CPU ticks on each `sample` line.
 *
 * @module
 */

import process from "node:process";
import { Tasker } from "../../../mod.ts";
import { readCpuTicks } from "./cpu.ts";
import {
  epochMs,
  SCALE_NAMESPACE,
  SCALE_TEMPLATE,
  scaleHandlers,
  scaleTemplates,
} from "./workload.ts";

/** Prefix of the lines the driver reads. */
export const MESSAGE_PREFIX = "@@scale ";

/** One handler call: step uuid, attempt, start and end (epoch ms). */
export type HandlerRun = [step: string, attempt: number, start: number, end: number];

/** What a worker writes to its log file at stop. */
export interface WorkerLog {
  /** The driver's number for this process (1..n). */
  process: number;
  /** Its OS process id. */
  pid: number;
  /** Every handler call, in call order. */
  runs: HandlerRun[];
  /** The worker's counters at stop (`tasker.stats()`). */
  stats: Record<string, unknown>;
}

function say(message: Record<string, unknown>): void {
  console.log(MESSAGE_PREFIX + JSON.stringify(message));
}

/** Resolves with each stdin line the driver writes, in order; "eof" once input ends. */
async function* stdinLines(): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) yield line.trim();
  }
  yield "eof";
}

async function setup(url: string): Promise<void> {
  // Opening migrates and creates the namespace's step queue.
  const tasker = await Tasker.open({
    templates: scaleTemplates(),
    handlers: scaleHandlers(() => {}),
    database: { url },
    startWorker: false,
    recovery: false,
    namespaces: [SCALE_NAMESPACE],
  });
  // The writer creates the events queue on first use; the driver counts its rows from the start.
  await tasker.db.query("SELECT pgmq.create($1::text)", [`${SCALE_NAMESPACE}_domain_events`]);
  await tasker.close();
}

async function submit(url: string, count: number): Promise<void> {
  const tasker = await Tasker.open({
    templates: scaleTemplates(),
    handlers: scaleHandlers(() => {}),
    database: { url },
    startWorker: false,
    recovery: false,
  });
  try {
    for (let i = 0; i < count; i += 25) {
      await Promise.all(
        Array.from(
          { length: Math.min(25, count - i) },
          () =>
            tasker.submit({ namespace: SCALE_NAMESPACE, name: SCALE_TEMPLATE, context: { n: 0 } }),
        ),
      );
    }
  } finally {
    await tasker.close();
  }
}

/** User plus system CPU time of this process, ms. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function worker(url: string, index: number, concurrency: number, logPath: string) {
  const runs: HandlerRun[] = [];
  const tasker = await Tasker.open({
    templates: scaleTemplates(),
    handlers: scaleHandlers((ctx, started) => {
      if (runs.length === 0) say({ first: started });
      runs.push([ctx.step.step_uuid, ctx.step.attempts, started, epochMs()]);
    }),
    database: { url },
    concurrency,
    namespaces: [SCALE_NAMESPACE],
    startWorker: false,
  });
  say({ ready: true });
  const lines = stdinLines();
  let started = false;
  let cpuAtGo = 0;
  try {
    for await (const line of lines) {
      if (line === "go" && !started) {
        started = true;
        cpuAtGo = cpuMs();
        await tasker.start();
        say({ started: epochMs() });
      } else if (line === "cpu") {
        say({ cpu_ms: cpuMs() - cpuAtGo });
      } else if (line === "stop" || line === "eof") {
        break;
      }
    }
  } finally {
    await tasker.close();
  }
  const log: WorkerLog = {
    process: index,
    pid: Deno.pid,
    runs,
    stats: { ...tasker.stats() },
  };
  await Deno.writeTextFile(logPath, JSON.stringify(log));
  say({ stopped: runs.length });
}

async function main(): Promise<void> {
  const [role, json] = Deno.args;
  const args = JSON.parse(json ?? "{}") as Record<string, number | string>;
  const url = Deno.env.get("SCALE_DATABASE_URL");
  if (!url) throw new Error("child.ts: SCALE_DATABASE_URL is not set");
  switch (role) {
    case "loadavg":
      // The driver runs without --allow-sys; its children have it.
      say({ loadavg: Deno.loadavg().map((n) => n.toFixed(2)).join(" ") });
      return;
    case "cpu": {
      // Reading /proc/stat needs --allow-all (Deno refuses --allow-read there); this role gets it.
      let n = 0;
      for await (const line of stdinLines()) {
        if (line === "sample") say({ sample: ++n, ticks: await readCpuTicks() ?? null });
        else if (line === "stop" || line === "eof") return;
      }
      return;
    }
    case "setup":
      await setup(url);
      say({ setup: true });
      return;
    case "submit":
      await submit(url, Number(args.count));
      say({ submitted: Number(args.count) });
      return;
    case "worker":
      await worker(url, Number(args.process), Number(args.concurrency), String(args.logPath));
      return;
    default:
      throw new Error(`child.ts: unknown role ${JSON.stringify(role)}`);
  }
}

if (import.meta.main) {
  await main();
  // The work is done and the log written; do not wait on a client's leftover timers.
  Deno.exit(0);
}
