/**
 * The TaskerObserver: what `tasker.health()`, `tasker.metrics()` and `tasker.config()` answer.
 * One per Tasker, created when it opens, so step times are recorded from the first step on.
 *
 * @module
 */

import { databaseHealth } from "../durable/db/open.ts";
import { redactUrl } from "../durable/db/pg_url.ts";
import { errorMessage } from "../error_message.ts";
import { domainEventsQueue, stepQueue } from "../names.ts";
import { type HttpConfigView, type TaskerConfig, taskerConfig } from "./config.ts";
import type { TaskerConfigSource } from "./config.ts";
import {
  actorHealth,
  actorSystemComponent,
  databaseComponent,
  type HealthOptions,
  type HealthReport,
  queuesComponent,
  workerComponent,
  worstStatus,
  writerComponent,
} from "./health.ts";
import { actorMetrics, StepTimer, type TaskerMetrics } from "./metrics.ts";
import type { ObservedParts } from "./observed.ts";
import { type QueueDepth, queueDepths, type QueueRef, withDeadline } from "./queues.ts";
import { VERSION } from "./version.ts";

/** Readiness (`/health/ready`): may this process take work now? */
export interface ReadinessReport {
  /** True when the worker runs and the database answers. */
  ready: boolean;
  /** Why not, or null. */
  reason: string | null;
}

/**
 * Health, metrics and configuration of one Tasker (what `tasker.health()`, `metrics()`,
 * `config()` and `ready()` answer).
 *
 * @example
 * ```ts ignore
 * const observer = new TaskerObserver({ db, bus, worker, writer }, { databaseGiven: true });
 * const health = await observer.health();
 * console.log(health.status, health.components.database.latency_ms);
 * ```
 */
export class TaskerObserver implements Disposable {
  /** When the Tasker opened. */
  readonly startedAt: Date = new Date();
  readonly #tasker: ObservedParts;
  readonly #source: TaskerConfigSource;
  readonly #timer = new StepTimer();
  readonly #started = performance.now();
  readonly #unlisten: () => void;
  readonly #http = new Set<HttpConfigView>();
  #checkedFailedWrites = 0;

  /**
   * Starts observing: subscribes to the worker's outcomes to time steps.
   *
   * @param tasker the parts of the Tasker to observe
   * @param source what it was opened with (for `config()`)
   */
  constructor(tasker: ObservedParts, source: TaskerConfigSource) {
    this.#tasker = tasker;
    this.#source = source;
    this.#unlisten = tasker.worker.onOutcome((_claim, _outcome, timing) => {
      this.#timer.record(timing.handler_ms);
    });
  }

  /** Seconds since the Tasker opened. */
  uptimeSeconds(): number {
    return Math.round(performance.now() - this.#started) / 1000;
  }

  /**
   * Checks every component (the database with a real probe under a short deadline).
   * Never throws.
   *
   * @param options thresholds and the probe deadline
   */
  async health(options: HealthOptions = {}): Promise<HealthReport> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const tasker = this.#tasker;
    const probe = await databaseHealth(tasker.db, { timeoutMs });
    const database = databaseComponent(probe);
    const workerStats = tasker.worker.stats();
    const worker = workerComponent(
      tasker.worker.state,
      workerStats.in_progress,
      workerStats.foreign_templates,
    );
    const writerStats = tasker.writer.stats();
    const durable_writer = writerComponent(
      writerStats,
      this.#checkedFailedWrites,
      this.config().writer.buffer_limit,
    );
    this.#checkedFailedWrites = writerStats.failed_writes;
    const queues = probe.ok ? await this.#queues(timeoutMs) : { depths: [], error: null };
    const step_queues = queuesComponent(queues.depths, options.maxQueueWaitSeconds ?? 300);
    if (queues.error !== null) {
      step_queues.status = "degraded";
      step_queues.message = `queues could not be measured: ${queues.error}`;
    } else if (!probe.ok) {
      step_queues.message = "not measured: the database is unreachable";
    }
    const system = actorMetrics(tasker.bus.system.stats());
    const actors = system.actors.map((a) => actorHealth(a, options.saturationThreshold ?? 0.9));
    const actor_system = actorSystemComponent(system.totals, actors);
    const components = { database, worker, durable_writer, step_queues, actor_system };
    return {
      status: worstStatus(Object.values(components).map((c) => c.status)),
      ready: database.status !== "unhealthy" && worker.state === "running",
      version: VERSION,
      worker_id: tasker.worker.id,
      uptime_seconds: this.uptimeSeconds(),
      checked_at: new Date().toISOString(),
      components,
      actors,
    };
  }

  /**
   * Readiness: the worker runs (started, not closing) and the database answers.
   *
   * @param options `timeoutMs` caps the database probe (default 2000)
   */
  async ready(options: { timeoutMs?: number } = {}): Promise<ReadinessReport> {
    const state = this.#tasker.worker.state;
    if (state !== "running") {
      const reason = state === "created"
        ? "the worker has not been started"
        : `the worker is ${state}`;
      return { ready: false, reason };
    }
    const probe = await databaseHealth(this.#tasker.db, { timeoutMs: options.timeoutMs ?? 2000 });
    return probe.ok
      ? { ready: true, reason: null }
      : { ready: false, reason: `database unreachable: ${probe.error ?? "unknown error"}` };
  }

  /**
   * A metrics snapshot. In-process counters are read synchronously; queue depths take one query
   * per queue under `timeoutMs` (on failure `queues` is empty and `queues_error` says why).
   *
   * @param options `timeoutMs` caps the queue queries (default 2000)
   */
  async metrics(options: { timeoutMs?: number } = {}): Promise<TaskerMetrics> {
    const tasker = this.#tasker;
    const system = actorMetrics(tasker.bus.system.stats());
    const snapshot = {
      steps: tasker.worker.stats(),
      step_time: this.#timer.stats(),
      events: {
        router: tasker.worker.routerStats(),
        bus: tasker.bus.stats(),
        writer: tasker.writer.stats(),
      },
    };
    const queues = await this.#queues(options.timeoutMs ?? 2000);
    return {
      version: VERSION,
      worker_id: tasker.worker.id,
      uptime_seconds: this.uptimeSeconds(),
      ...snapshot,
      actor_totals: system.totals,
      actors: system.actors,
      queues: queues.depths,
      queues_error: queues.error,
    };
  }

  /** The effective configuration (no secrets). */
  config(): TaskerConfig {
    const http = [...this.#http].at(-1) ?? null;
    return taskerConfig(this.#tasker, this.#source, http ? { ...http } : null);
  }

  /**
   * Records that an HTTP server serves this Tasker (shown by `config()`); returns a function
   * that removes the record. `serveObservability` calls it.
   *
   * @param view where it listens and whether a token is set
   */
  attachHttp(view: HttpConfigView): () => void {
    const entry = { ...view };
    this.#http.add(entry);
    return () => this.#http.delete(entry);
  }

  /** Stops timing steps. Idempotent. */
  close(): void {
    this.#unlisten();
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #queues(timeoutMs: number): Promise<{ depths: QueueDepth[]; error: string | null }> {
    const refs: QueueRef[] = this.#tasker.worker.settings().namespaces.flatMap((namespace) => [
      { queue: stepQueue(namespace), kind: "step" as const },
      { queue: domainEventsQueue(namespace), kind: "events" as const },
    ]);
    try {
      return {
        depths: await withDeadline(queueDepths(this.#tasker.db, refs), timeoutMs, "queue depths"),
        error: null,
      };
    } catch (error) {
      return {
        depths: [],
        error: redactUrl(errorMessage(error)),
      };
    }
  }
}
