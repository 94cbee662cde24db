/**
 * The demo behind `deno task start`: the example workflows end to end on the embedded database,
 * with the logging and metrics actors subscribed, a live progress line, each task's result and a
 * summary of the events that fired on each path. With `--serve` ({@link serveDemo}) it keeps
 * running behind the observability server and its live inspector, submitting an example task
 * every couple of seconds so that events keep flowing.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { createLoggingSubscriber } from "../../actors/logging.ts";
import { createMetricsSubscriber } from "../../actors/metrics.ts";
import { SubscriberRegistry } from "../bus/subscriber_registry.ts";
import { databaseHealth, describeDatabase } from "../durable/db/open.ts";
import { ObservabilityServerError, serveObservability } from "../observe/server.ts";
import { type TaskTemplate } from "../template/types.ts";
import { Tasker } from "../tasker.ts";
import type { TaskStatus } from "../worker/task_status.ts";
import { type ExampleRequest, exampleRequests, registerExamples } from "../../templates/mod.ts";
import { taskerEngine } from "../tasker_engine.ts";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The templates directory. */
  templatesDir: string;
  /** Where lines go. Default `console.log`. */
  print?: (line: string) => void;
  /** Rewrites the progress line in place (a terminal). Default: only the final line. */
  live?: boolean;
}

/** What the demo ran. */
export interface DemoReport {
  /** Each task's final status, in request order. */
  tasks: TaskStatus[];
  /** Fast events the metrics actor counted. */
  fastEvents: number;
  /** Durable events written to PGMQ. */
  durableEvents: number;
}

/**
 * Runs one task of every example template and prints what happened.
 *
 * @example
 * ```ts ignore
 * import { runDemo } from "./demo.ts";
 * const report = await runDemo({ templatesDir: "./templates" });
 * ```
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  const logLines: string[] = [];
  const metrics = createMetricsSubscriber();
  await using tasker = await openDemoTasker(
    options,
    new SubscriberRegistry()
      .register(createLoggingSubscriber({ sink: (line) => logLines.push(line) }))
      .register(metrics),
    print,
  );
  const submitted = [];
  let totalSteps = 0;
  for (const request of exampleRequests) {
    const task = await tasker.submit(request);
    submitted.push(task);
    totalSteps += task.step_count;
  }
  print(`running ${submitted.length} tasks (${totalSteps} steps):`);
  let stepsDone = 0;
  const progress = () => {
    const router = taskerEngine(tasker).worker.routerStats();
    const fast = router.fast_routed + router.broadcast_routed;
    const durable = router.durable_routed + router.broadcast_routed;
    return `  steps ${stepsDone}/${totalSteps} · events fast ${fast} · durable ${durable}`;
  };
  const encoder = new TextEncoder();
  const stop = taskerEngine(tasker).worker.onOutcome((_, outcome) => {
    if (outcome.state === "complete" || outcome.state === "error") stepsDone++;
    if (options.live) Deno.stdout.writeSync(encoder.encode(`\r${progress()}`));
  });
  const finished: TaskStatus[] = [];
  for (const task of submitted) {
    finished.push(await tasker.waitFor(task.task_uuid, { timeoutMs: 60_000 }));
  }
  stop();
  await tasker.bus.close({ deadlineMs: 5000 });
  await tasker.flush();
  if (options.live) Deno.stdout.writeSync(encoder.encode(`\r${progress()}\n`));
  else print(progress());

  print("results:");
  for (const [index, status] of finished.entries()) {
    print(`  ${status.namespace}/${status.name}: ${status.status} — ${summarise(status)}`);
    print(`    shows: ${exampleRequests[index]!.shows}`);
  }
  const durableCounts = new Map<string, number>();
  const fastCounts = new Map<string, number>();
  for (const status of finished) {
    for (const event of status.events) {
      if (event.delivery_mode !== "durable") bump(fastCounts, event.event_name);
      if (event.delivery_mode !== "fast") bump(durableCounts, event.event_name);
    }
  }
  const snapshot = metrics.snapshot();
  print("events:");
  print(`  fast (in-process bus): ${formatCounts(fastCounts)}`);
  print(`  durable (PGMQ {namespace}_domain_events): ${formatCounts(durableCounts)}`);
  print(
    `  metrics actor: ${snapshot.events_received} received, ${snapshot.success_events} success, ${snapshot.failure_events} failure`,
  );
  print(`  logging actor: ${logLines.length} lines, e.g. ${logLines[0] ?? "(none)"}`);
  const durableEvents = [...durableCounts.values()].reduce((a, b) => a + b, 0);
  return { tasks: finished, fastEvents: snapshot.events_received, durableEvents };
}

/** Opens the demo's Tasker on embedded PGlite, prints the database and templates, starts it. */
async function openDemoTasker(
  options: DemoOptions,
  subscribers: SubscriberRegistry,
  print: (line: string) => void,
): Promise<Tasker> {
  // Booting PGlite and migrating takes seconds on a cold start: say what is being waited for.
  print("starting the embedded database (PGlite with PGMQ, in memory) and applying migrations...");
  const tasker = await Tasker.open({
    templates: options.templatesDir,
    database: { embedded: true },
    subscribers,
    startWorker: false,
    concurrency: 20,
  });
  try {
    registerExamples(tasker.handlers, tasker.publishers);
    const health = await databaseHealth(tasker.db);
    print(
      `database: ${describeDatabase(tasker.db)} — ${health.ok ? "healthy" : "UNHEALTHY"}` +
        (health.pgmq_version ? `, pgmq ${health.pgmq_version}` : "") +
        `, ${health.latency_ms} ms` + (health.error ? ` (${health.error})` : ""),
    );
    const templates = tasker.templates.list();
    print(`templates: ${templates.length} loaded from ${options.templatesDir}`);
    for (const template of templates) print(`  ${describeTemplate(template)}`);
    await tasker.start();
    return tasker;
  } catch (error) {
    await tasker.close();
    throw error;
  }
}

/** Options of {@link serveDemo}. */
export interface ServeDemoOptions extends DemoOptions {
  /** Stops the demo (SIGINT/SIGTERM in `deno task start --serve`). */
  signal: AbortSignal;
  /** Address of the inspector. Default `127.0.0.1`. */
  hostname?: string;
  /** Port of the inspector; 0 picks a free one. Default 8787. */
  port?: number;
  /** When `port` is taken, serve on a free port instead of failing (and say so). */
  anyPortIfTaken?: boolean;
  /** How often another example task is submitted, in ms. Default 2000. */
  intervalMs?: number;
  /** Called with the inspector's URL once it listens. Default: printed. */
  onListen?: (url: string) => void;
}

/** What {@link serveDemo} ran before it was stopped. */
export interface ServeDemoReport {
  /** Tasks submitted. */
  submitted: number;
  /** Tasks that finished (complete or error) before the stop. */
  finished: number;
}

/**
 * Runs the demo behind the observability server and its live inspector until `signal` aborts:
 * every example task once, then one example task (round-robin) every `intervalMs`.
 *
 * @example
 * ```ts ignore
 * import { serveDemo } from "./demo.ts";
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGINT", () => stop.abort());
 * await serveDemo({ templatesDir: "./templates", signal: stop.signal });
 * ```
 */
export async function serveDemo(options: ServeDemoOptions): Promise<ServeDemoReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  let logged = 0;
  // A long-running demo must not keep every log line: count them only.
  const subscribers = new SubscriberRegistry()
    .register(createLoggingSubscriber({ sink: () => void logged++ }))
    .register(createMetricsSubscriber());
  const tasker = await openDemoTasker(options, subscribers, print);
  const report: ServeDemoReport = { submitted: 0, finished: 0 };
  const pending = new Set<Promise<void>>();
  let server: ReturnType<typeof serveObservability> | undefined;
  try {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 8787;
    try {
      server = serveObservability(tasker, { hostname, port });
    } catch (error) {
      const inUse = error instanceof ObservabilityServerError &&
        error.cause instanceof Deno.errors.AddrInUse;
      if (!inUse || !options.anyPortIfTaken) throw error;
      print(`port ${port} on ${hostname} is in use; serving on a free port (choose with --port N)`);
      server = serveObservability(tasker, { hostname, port: 0 });
    }
    (options.onListen ?? ((url) => print(`inspector: ${url}/ (Ctrl-C to stop)`)))(server.url);
    const submitOne = async (request: ExampleRequest) => {
      const task = await tasker.submit(request);
      report.submitted++;
      const done = tasker.waitFor(task.task_uuid, { timeoutMs: 120_000 })
        .then(() => void report.finished++)
        .catch((error) => {
          // After the stop, waits end because the database closed: not worth a line.
          if (!options.signal.aborted) {
            print(`  ${request.namespace}/${request.name}: ${errorMessage(error)}`);
          }
        });
      pending.add(done);
      void done.finally(() => pending.delete(done));
    };
    for (const request of exampleRequests) {
      if (options.signal.aborted) break;
      await submitOne(request);
    }
    print(
      `running the ${exampleRequests.length} example tasks, then more every ` +
        `${(options.intervalMs ?? 2000) / 1000} s`,
    );
    for (let tick = 0; !options.signal.aborted; tick++) {
      await sleep(options.intervalMs ?? 2000, options.signal);
      if (options.signal.aborted) break;
      for (const request of tickRequests(tick)) await submitOne(request);
      if (report.submitted % 10 === 0) {
        print(
          `  ${report.submitted} tasks submitted, ${report.finished} finished, ` +
            `${logged} events logged`,
        );
      }
    }
  } finally {
    print(`stopping: ${report.submitted} tasks submitted, ${report.finished} finished`);
    await server?.close();
    await tasker.close({ deadlineMs: 5000 });
    await Promise.allSettled([...pending]);
  }
  return report;
}

/**
 * What one tick of the served demo submits: a domain-events order (only that template declares
 * events) cycling through success, a retryable and a permanent payment failure, plus one of the
 * other examples in turn.
 */
function tickRequests(tick: number): ExampleRequest[] {
  const orders = exampleRequests.find((r) => r.namespace === "domain_events")!;
  const others = exampleRequests.filter((r) => r !== orders);
  const failure = [undefined, "retryable", undefined, undefined, "permanent"][tick % 5];
  const context: Record<string, unknown> = {
    ...orders.context,
    order_id: `ORD-${2000 + tick}`,
    amount: 10 + ((tick * 37) % 190) + 0.5,
  };
  if (failure === undefined) delete context.simulate_failure;
  else context.simulate_failure = failure;
  return [{ ...orders, context }, others[tick % others.length]!];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function describeTemplate(template: TaskTemplate): string {
  const events = template.steps.reduce((n, s) => n + s.publishes_events.length, 0);
  return `${template.namespace_name}/${template.name}@${template.version}: ${template.steps.length} steps, ${events} declared events`;
}

function summarise(status: TaskStatus): string {
  const steps = Object.entries(status.steps);
  const failed = steps.find(([, s]) => s.state === "error");
  if (failed) return `${failed[0]} failed: ${String(failed[1].error?.message ?? "error")}`;
  const [lastName, last] = steps[steps.length - 1]!;
  const retried = steps.filter(([, s]) => s.attempts > 1).map(([name, s]) =>
    `${name} ×${s.attempts}`
  );
  const value = typeof last.result === "object" ? JSON.stringify(last.result) : String(last.result);
  return `${lastName} = ${value.length > 80 ? `${value.slice(0, 77)}...` : value}` +
    (retried.length > 0 ? ` (attempts: ${retried.join(", ")})` : "");
}

function bump(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

function formatCounts(counts: Map<string, number>): string {
  if (counts.size === 0) return "none";
  return [...counts].map(([name, n]) => `${name} ×${n}`).join(", ");
}
