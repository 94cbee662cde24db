/**
 * Worker processes for `deno task chaos`: real `tasker worker` processes (the command line, as a
 * deployment runs it) on the domain-events example with `handlers.ts`, their output in log
 * files, and a pool that replaces a worker that exits on its own, as a process supervisor
 * (systemd, Kubernetes) would, counting such exits.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { ProcessEnd } from "./measure.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** How the workers of a scenario run. */
export interface WorkerSettings {
  /** The task engine's database. */
  engineUrl: string;
  /** Where `handlers.ts` records runs. */
  runsUrl: string;
  /** The scenario's key in the run records. */
  scenario: string;
  /** How long each domain-events handler takes, ms. */
  stepMs: number;
  /** `--lease` seconds. */
  leaseSeconds: number;
  /** `--deadline` ms. */
  deadlineMs: number;
  /** `--recovery-ms`. */
  recoveryMs: number;
  /** `--concurrency`. */
  concurrency: number;
  /** Directory for the log files. */
  logDir: string;
}

/** One running worker process. */
export interface WorkerProcess {
  readonly pid: number;
  /** Its stderr log file. */
  readonly errLog: string;
  /** Resolves with the exit code and time once the process ended. */
  readonly exited: Promise<{ code: number; signal: string | null; at: Date }>;
  kill(signal: Deno.Signal): void;
}

let serial = 0;

/** Starts one `tasker worker` process. */
export function spawnWorker(settings: WorkerSettings): WorkerProcess {
  const index = ++serial;
  const child = new Deno.Command("deno", {
    cwd: root,
    args: [
      "run",
      "--no-lock",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-run=deno",
      "src/cli/main.ts",
      "worker",
      "--templates",
      "templates/domain_events",
      "--handlers",
      "scripts/chaos/handlers.ts",
      "--namespaces",
      "domain_events",
      "--no-http",
      "--concurrency",
      String(settings.concurrency),
      "--lease",
      String(settings.leaseSeconds),
      "--deadline",
      String(settings.deadlineMs),
      "--recovery-ms",
      String(settings.recoveryMs),
    ],
    env: {
      DATABASE_URL: settings.engineUrl,
      TASKER_DATA_DIR: "",
      CHAOS_RUNS_URL: settings.runsUrl,
      CHAOS_SCENARIO: settings.scenario,
      CHAOS_STEP_MS: String(settings.stepMs),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const base = `${settings.logDir}/${settings.scenario}-worker-${index}`;
  const logs = Promise.all([
    Deno.open(`${base}.out`, { write: true, create: true }).then((f) =>
      child.stdout.pipeTo(f.writable)
    ),
    Deno.open(`${base}.err`, { write: true, create: true }).then((f) =>
      child.stderr.pipeTo(f.writable)
    ),
  ]).catch(() => {});
  const exited = (async () => {
    const status = await child.status;
    await logs;
    return { code: status.code, signal: status.signal, at: new Date() };
  })();
  return {
    pid: child.pid,
    errLog: `${base}.err`,
    exited,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
  };
}

/** A scenario's workers: replaced when one exits on its own; stopped together at the end. */
export class WorkerPool {
  readonly #settings: WorkerSettings;
  readonly #running = new Set<WorkerProcess>();
  readonly #ends: ProcessEnd[] = [];
  readonly #pending: Promise<unknown>[] = [];
  #stopping = false;
  readonly #logs: string[] = [];
  /** Replacements stop after this many unexpected exits: a worker that cannot start at all. */
  static readonly MAX_REPLACEMENTS = 10;
  /** Exit codes of workers that ended without being told to (then replaced). */
  readonly unexpectedExits: number[] = [];
  /** Exit codes (and shutdown times) of workers told to stop with SIGTERM. */
  readonly terminations: { code: number; ms: number }[] = [];

  constructor(settings: WorkerSettings, count: number) {
    this.#settings = settings;
    for (let i = 0; i < count; i++) this.#start();
  }

  /**
   * Workers that died of an uncaught error (their log says `Uncaught`): a crash, not a refusal
   * to start while the database is down.
   */
  async crashes(): Promise<number> {
    let count = 0;
    for (const log of this.#logs) {
      const text = await Deno.readTextFile(log).catch(() => "");
      if (text.includes("Uncaught")) count++;
    }
    return count;
  }

  /** Ended processes, for the overlap measure. */
  get ends(): readonly ProcessEnd[] {
    return this.#ends;
  }

  /** Whether workers keep dying on their own (replacements were given up). */
  get broken(): boolean {
    return this.unexpectedExits.length > WorkerPool.MAX_REPLACEMENTS;
  }

  /** A running worker, chosen at random, if any. */
  any(): WorkerProcess | undefined {
    const all = [...this.#running];
    return all[Math.floor(Math.random() * all.length)];
  }

  /** SIGKILLs one worker and starts its replacement at once. */
  async kill(worker: WorkerProcess | undefined): Promise<void> {
    if (worker === undefined) return;
    this.#running.delete(worker);
    worker.kill("SIGKILL");
    await worker.exited;
    this.#start();
  }

  /** SIGTERMs one worker, waits for it to drain (SIGKILL after `graceMs`), then replaces it. */
  async terminate(worker: WorkerProcess | undefined, graceMs: number): Promise<void> {
    if (worker === undefined) return;
    this.#running.delete(worker);
    const started = performance.now();
    worker.kill("SIGTERM");
    const timer = setTimeout(() => worker.kill("SIGKILL"), graceMs);
    const { code } = await worker.exited;
    clearTimeout(timer);
    this.terminations.push({ code, ms: Math.round(performance.now() - started) });
    this.#start();
  }

  /** Stops every worker (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const all = [...this.#running];
    this.#running.clear();
    for (const worker of all) worker.kill("SIGTERM");
    const timer = setTimeout(() => all.forEach((w) => w.kill("SIGKILL")), graceMs);
    await Promise.all(all.map((w) => w.exited));
    clearTimeout(timer);
    await Promise.all(this.#pending);
  }

  #start(): void {
    const worker = spawnWorker(this.#settings);
    this.#logs.push(worker.errLog);
    this.#running.add(worker);
    this.#pending.push(worker.exited.then(async ({ code, at }) => {
      this.#ends.push({ pid: worker.pid, at });
      if (!this.#running.delete(worker) || this.#stopping) return;
      this.unexpectedExits.push(code);
      if (this.unexpectedExits.length > WorkerPool.MAX_REPLACEMENTS) return;
      // A supervisor's restart delay: a worker that cannot start yet is not respawned hot.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (!this.#stopping) this.#start();
    }));
  }
}
