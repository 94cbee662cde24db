/**
 * What the live inspector shows besides events: a periodic snapshot of the actors' mailboxes,
 * the bus, the durable writer, the router and the worker, throughput computed from successive
 * snapshots, and the last tasks with their step states (fed by `worker.onOutcome`, bounded).
 *
 * @module
 */

import type { ActorStats } from "../actors/types.ts";
import type { BusStats } from "../bus/types.ts";
import type { DurableWriterStats } from "../durable/writer/types.ts";
import type { EventRouterStats } from "../worker/event_router.ts";
import type { RecordedOutcome } from "../worker/step_outcomes.ts";
import type { ClaimedStep, StepState, TaskState } from "../worker/step_store.ts";
import type { EventBus } from "../bus/event_bus.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { WorkerStats } from "../worker/worker_options.ts";
import type { ObservedWorker, ObservedWriter } from "./observed.ts";

/** The parts of a Tasker the inspector reads. */
export interface InspectorSource {
  /** Events to stream, and the bus's and actors' counters. */
  readonly bus: EventBus;
  /** The templates of the tasks it lists. */
  readonly templates: TemplateRegistry;
  /** Outcomes, and the worker's and router's counters. */
  readonly worker: Pick<ObservedWorker, "onOutcome" | "stats" | "routerStats">;
  /** The durable writer's counters. */
  readonly writer: ObservedWriter;
}

/** One step of a {@link RecentTask}. */
export interface RecentStep {
  /** The step's name in its template. */
  name: string;
  /** Its last known state (`pending` until this process sees it enqueued or finished). */
  state: StepState;
  /** Attempts recorded so far (0 until the first outcome). */
  attempts: number;
}

/** A task this process worked on recently, as the inspector lists it. */
export interface RecentTask {
  /** The task's UUID. */
  task_uuid: string;
  /** Template namespace. */
  namespace: string;
  /** Template name. */
  name: string;
  /** The task's state after its latest recorded outcome. */
  state: TaskState;
  /** Its steps in template order. */
  steps: RecentStep[];
  /** Domain events its recorded outcomes fired here. */
  events: number;
  /** When its latest outcome was recorded (RFC 3339). */
  updated_at: string;
}

/** Events per second, from the difference of successive snapshots (over a few seconds). */
export interface InspectorRates {
  /** Step attempts recorded per second (the step queues' throughput). */
  steps_per_s: number;
  /** Events routed per second (all delivery modes). */
  routed_per_s: number;
  /** Events written to PGMQ per second by the durable writer. */
  written_per_s: number;
  /** Events published on the in-process bus per second. */
  published_per_s: number;
}

/** The `stats` event the inspector sends each interval. */
export interface InspectorStats {
  /** When it was taken (RFC 3339). */
  at: string;
  /** Every actor of the bus's system: mailbox depth and capacity, restarts, drops, state. */
  actors: ActorStats[];
  /** The bus's counters. */
  bus: BusStats;
  /** The durable writer's counters. */
  writer: DurableWriterStats;
  /** The event router's counters. */
  router: EventRouterStats;
  /** The worker's counters. */
  worker: WorkerStats;
  /** Throughput over the last few seconds. */
  rates: InspectorRates;
  /** The most recently updated tasks, newest first. */
  tasks: RecentTask[];
}

const ZERO_RATES: InspectorRates = Object.freeze({
  steps_per_s: 0,
  routed_per_s: 0,
  written_per_s: 0,
  published_per_s: 0,
});

/** Counter values at one moment, the input of {@link ratesBetween}. */
export interface RateSample {
  /** When, in ms on a monotonic clock (`performance.now()`). */
  atMs: number;
  /** Step attempts recorded (`worker.stats().processed`). */
  steps: number;
  /** Events routed (`worker.routerStats().total_routed`). */
  routed: number;
  /** Events written to PGMQ (`writer.stats().written`). */
  written: number;
  /** Events published on the bus (`bus.stats().published`). */
  published: number;
}

/**
 * Rates between two counter samples; zero when no time passed or a counter went backwards.
 *
 * @param previous the earlier sample
 * @param next the later sample
 * @returns events per second of each counter, rounded to 0.1
 *
 * @example
 * ```ts
 * import { ratesBetween } from "./inspector_stats.ts";
 * const a = { atMs: 0, steps: 0, routed: 0, written: 0, published: 0 };
 * const b = { atMs: 2000, steps: 10, routed: 30, written: 20, published: 8 };
 * ratesBetween(a, b).written_per_s; // 10
 * ```
 */
export function ratesBetween(
  previous: Readonly<RateSample>,
  next: Readonly<RateSample>,
): InspectorRates {
  const seconds = (next.atMs - previous.atMs) / 1000;
  if (!(seconds > 0)) return { ...ZERO_RATES };
  const rate = (a: number, b: number) => b < a ? 0 : Math.round(((b - a) / seconds) * 10) / 10;
  return {
    steps_per_s: rate(previous.steps, next.steps),
    routed_per_s: rate(previous.routed, next.routed),
    written_per_s: rate(previous.written, next.written),
    published_per_s: rate(previous.published, next.published),
  };
}

/**
 * The last `limit` tasks with their step states, updated from recorded outcomes. Step names come
 * from the task's template, so steps not reached yet show as `pending`.
 *
 * @example
 * ```ts ignore
 * const recent = new RecentTasks(tasker.templates, 50);
 * const stop = worker.onOutcome((claim, outcome) => recent.record(claim, outcome));
 * recent.list(); // newest first
 * ```
 */
export class RecentTasks {
  readonly #templates: InspectorSource["templates"];
  readonly #limit: number;
  // A Map keeps insertion order: re-inserting on every update makes the last entry the newest.
  readonly #tasks = new Map<string, RecentTask>();

  /**
   * Creates an empty list.
   *
   * @param templates where each task's step names are looked up
   * @param limit tasks kept at most
   */
  constructor(templates: InspectorSource["templates"], limit: number) {
    this.#templates = templates;
    this.#limit = Math.max(1, limit);
  }

  /** Records one outcome: the step's state and attempts, released successors, the task state. */
  record(claim: ClaimedStep, outcome: RecordedOutcome): void {
    const { task } = claim;
    let entry = this.#tasks.get(task.task_uuid);
    if (entry === undefined) {
      entry = {
        task_uuid: task.task_uuid,
        namespace: task.namespace,
        name: task.name,
        state: outcome.task_state,
        steps: this.#stepsOf(task.namespace, task.name, task.version),
        events: 0,
        updated_at: "",
      };
    }
    this.#tasks.delete(task.task_uuid);
    entry.state = outcome.task_state;
    entry.events += outcome.events.length;
    entry.updated_at = new Date().toISOString();
    setStep(entry, claim.step.name, outcome.state, claim.step.attempts);
    for (const name of outcome.enqueued) setStep(entry, name, "enqueued");
    this.#tasks.set(task.task_uuid, entry);
    if (this.#tasks.size > this.#limit) {
      this.#tasks.delete(this.#tasks.keys().next().value!);
    }
  }

  /** The tasks, newest first (copies). */
  list(): RecentTask[] {
    return [...this.#tasks.values()].reverse().map((task) => ({
      ...task,
      steps: task.steps.map((step) => ({ ...step })),
    }));
  }

  #stepsOf(namespace: string, name: string, version: string): RecentStep[] {
    const template = this.#templates.get(namespace, name, version);
    return (template?.steps ?? []).map((step) => ({
      name: step.name,
      state: "pending",
      attempts: 0,
    }));
  }
}

function setStep(task: RecentTask, name: string, state: StepState, attempts?: number): void {
  let step = task.steps.find((candidate) => candidate.name === name);
  if (step === undefined) {
    step = { name, state, attempts: 0 };
    task.steps.push(step);
  }
  // A successor released by one outcome may already have finished by a later one in the group.
  if (attempts === undefined && step.state !== "pending") return;
  step.state = state;
  if (attempts !== undefined) step.attempts = attempts;
}

/**
 * Takes snapshots of a Tasker's counters and computes throughput over the last few seconds.
 *
 * @example
 * ```ts ignore
 * const stats = new StatsSampler({ bus, templates, worker, writer }, recent);
 * const snapshot = stats.take(); // rates over the last five seconds
 * ```
 */
export class StatsSampler {
  readonly #source: InspectorSource;
  readonly #recent: RecentTasks;
  readonly #windowMs: number;
  #samples: RateSample[] = [];
  #rates: InspectorRates = { ...ZERO_RATES };

  /**
   * Creates a sampler.
   *
   * @param source a Tasker's bus, writer, worker and templates
   * @param recent the recent-task list to include
   * @param windowMs rates are averaged over this much history, so bursty work reads steadily
   */
  constructor(source: InspectorSource, recent: RecentTasks, windowMs = 5000) {
    this.#source = source;
    this.#recent = recent;
    this.#windowMs = windowMs;
  }

  /**
   * A snapshot. With `advance` (the periodic tick) the rates are recomputed over the window;
   * without it (a client just connected) the last rates are reused, so an extra snapshot
   * between ticks does not distort them.
   */
  take(advance = true): InspectorStats {
    const { bus, writer, worker } = this.#source;
    const workerStats = worker.stats();
    const router = worker.routerStats();
    const writerStats = writer.stats();
    const busStats = bus.stats();
    if (advance) {
      const sample: RateSample = {
        atMs: performance.now(),
        steps: workerStats.processed,
        routed: router.total_routed,
        written: writerStats.written,
        published: busStats.published,
      };
      // Keep the newest sample at least `windowMs` old (plus the ones after it) as the base.
      const samples = [...this.#samples, sample];
      while (samples.length > 2 && sample.atMs - samples[1]!.atMs >= this.#windowMs) {
        samples.shift();
      }
      if (samples.length > 1) this.#rates = ratesBetween(samples[0]!, sample);
      this.#samples = samples;
    }
    return {
      at: new Date().toISOString(),
      actors: bus.system.stats().perActor,
      bus: busStats,
      writer: writerStats,
      router,
      worker: workerStats,
      rates: { ...this.#rates },
      tasks: this.#recent.list(),
    };
  }
}
