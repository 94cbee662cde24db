/**
 * The Worker: reads its namespaces' step queues, claims steps, runs their handlers, records each
 * outcome in one transaction, and routes the domain events the outcome fired.
 *
 * Several worker processes on one PostgreSQL share the work: a claim is an atomic lease on the
 * step row, so a step never runs twice at once even when two workers see the same message after a
 * visibility timeout. Embedded (PGlite) mode runs one process.
 *
 * @module
 */

import type { Database } from "../durable/database.ts";
import { buildDomainEvent } from "../events/envelope.ts";
import { defaultPublisher } from "../events/publisher.ts";
import { PublisherRegistry } from "../events/publisher_registry.ts";
import type { JsonObject } from "../events/types.ts";
import { uuidv7 } from "../events/uuid.ts";
import { domainEventsQueue, stepQueue } from "../names.ts";
import { retryDelayMs } from "./backoff.ts";
import { OutcomeCommitter } from "./committer.ts";
import { EventPipeline } from "./event_pipeline.ts";
import { EventRouter, type EventRouterStats } from "./event_router.ts";
import { OwedEvents } from "./owed_events.ts";
import { ensureQueue } from "./queues.ts";
import { executeStep } from "./step_execution.ts";
import { type ClaimedStep, claimSteps, type QueuedStep, type StepMessage } from "./step_store.ts";
import type { StepTrace } from "./step_tracer.ts";
import { WorkerConfigError } from "./worker_errors.ts";
import type {
  OutcomeListener,
  WorkerOptions,
  WorkerSettings,
  WorkerState,
  WorkerStats,
} from "./worker_types.ts";

export { WorkerConfigError } from "./worker_errors.ts";

export type {
  OutcomeListener,
  StepTiming,
  WorkerOptions,
  WorkerSettings,
  WorkerState,
  WorkerStats,
} from "./worker_types.ts";

/**
 * A step worker.
 *
 * @example
 * ```ts ignore
 * await using worker = new Worker({ db, templates, handlers, bus, writer, owed });
 * await worker.start();
 * ```
 */
export class Worker implements AsyncDisposable {
  /** This worker's id. */
  readonly id: string;
  /** Routes fired events; its stats are the router stats of the original system. */
  readonly router: EventRouter;
  readonly #options: WorkerOptions;
  readonly #pipeline: EventPipeline;
  readonly #owed: OwedEvents;
  readonly #queues: string[];
  readonly #concurrency: number;
  readonly #shutdown = new AbortController();
  readonly #listeners = new Set<OutcomeListener>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stats: WorkerStats = {
    processed: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    in_progress: 0,
    lost_claims: 0,
    errors: 0,
    handler_ms_total: 0,
    handler_ms_max: 0,
    recovered_events: 0,
    commit_groups: 0,
    commit_ms_total: 0,
    claim_ms_total: 0,
  };
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #recoveryTimer: ReturnType<typeof setInterval> | undefined;
  readonly #committer: OutcomeCommitter;
  readonly #lease: number;

  /**
   * Creates a worker; nothing runs until `start()`.
   *
   * @param options components and tuning
   */
  constructor(options: WorkerOptions) {
    this.#options = options;
    this.id = options.workerId ?? uuidv7();
    this.#owed = options.owed ?? new OwedEvents();
    this.#concurrency = Math.max(1, options.concurrency ?? 10);
    this.#lease = options.leaseSeconds ?? 30;
    this.#committer = new OutcomeCommitter(options.db, this.id);
    const namespaces = options.namespaces ?? options.templates.namespaces();
    this.#queues = namespaces.map(stepQueue);
    const writer = options.writer;
    const owed = this.#owed;
    this.router = new EventRouter({
      ...(options.bus ? { fast: options.bus } : {}),
      ...(writer
        ? {
          durable: {
            enqueue(event) {
              owed.track(event.event_id);
              const accepted = writer.enqueue(event, {
                queue: domainEventsQueue(event.metadata.namespace),
              });
              if (!accepted) owed.untrack(event.event_id);
              return accepted;
            },
          },
        }
        : {}),
    });
    this.#pipeline = new EventPipeline(
      options.publishers ?? new PublisherRegistry(),
      this.router.counters,
    );
  }

  /** A snapshot of the worker's counters. */
  stats(): WorkerStats {
    const commits = this.#committer.stats();
    return {
      ...this.#stats,
      in_progress: this.#inFlight.size,
      recovered_events: this.#owed.recovered,
      commit_groups: commits.groups,
      commit_ms_total: commits.busy_ms,
    };
  }

  /** The router's counters. */
  routerStats(): EventRouterStats {
    return this.router.stats();
  }

  /** The effective settings, defaults applied. */
  settings(): WorkerSettings {
    const options = this.#options;
    const recovery = options.recovery;
    return {
      namespaces: [...(options.namespaces ?? options.templates.namespaces())],
      concurrency: this.#concurrency,
      lease_seconds: this.#lease,
      poll_interval_ms: options.pollIntervalMs ?? 50,
      recovery: recovery === false || !options.writer ? null : {
        older_than_ms: recovery?.olderThanMs ?? 30_000,
        interval_ms: recovery?.intervalMs ?? 10_000,
      },
    };
  }

  /** Where the worker is in its life (readiness checks use it). */
  get state(): WorkerState {
    if (this.#closing) return this.#stopped ? "stopped" : "stopping";
    return this.#loop ? "running" : "created";
  }

  /** Calls `listener` after every recorded outcome; returns a function that removes it. */
  onOutcome(listener: OutcomeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads the queues now instead of at the next poll (e.g. right after a submit). */
  wake(): void {
    this.#wake?.();
  }

  /**
   * Validates handlers, creates the step queues, runs a first recovery pass, and starts reading.
   *
   * @throws {MissingHandlersError} when a template step has no registered handler
   */
  async start(): Promise<void> {
    if (this.#loop) return;
    const { handlers, templates, db } = this.#options;
    handlers.assertValid(templates.list());
    if (this.#queues.length === 0) throw new WorkerConfigError("no namespaces to work on");
    for (const queue of this.#queues) await ensureQueue(db, queue);
    handlers.attachPublisher((name, payload, ctx) =>
      this.#publishAdHoc(name, payload, ctx.task, ctx)
    );
    const recovery = this.#options.recovery;
    if (recovery !== false && this.#options.writer) {
      await this.#recover();
      this.#recoveryTimer = setInterval(() => void this.#recover(), recovery?.intervalMs ?? 10_000);
    }
    this.#loop = this.#run();
  }

  /**
   * Stops claiming, lets in-flight steps finish within `deadlineMs` (their signal is aborted
   * past it; unfinished steps become visible again when their lease ends), then stops.
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#stop(options.deadlineMs ?? 10_000);
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(deadlineMs: number): Promise<void> {
    clearInterval(this.#recoveryTimer);
    const stopRequested = new AbortController();
    this.#stopRequested = stopRequested.signal;
    stopRequested.abort();
    this.#wake?.();
    await this.#loop;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlight]), deadline]);
    clearTimeout(timer);
    if (this.#inFlight.size > 0) {
      this.#shutdown.abort(new WorkerConfigError("worker shut down"));
      await Promise.allSettled([...this.#inFlight]);
    }
    this.#options.handlers.detachPublisher();
    this.#stopped = true;
  }

  #stopRequested: AbortSignal | undefined;
  #stopped = false;

  async #run(): Promise<void> {
    const poll = this.#options.pollIntervalMs ?? 50;
    // Idle polling backs off from 5 ms to pollIntervalMs; any work, or a wake-up (a local
    // submit, a released successor, a freed slot), resets it.
    let idleDelay = Math.min(5, poll);
    while (!this.#stopRequested?.aborted) {
      let started = 0;
      try {
        started = await this.#claimAndStart();
      } catch (error) {
        this.#stats.errors++;
        console.error(`deno-tasker: worker ${this.id} could not read its queues: ${text(error)}`);
      }
      if (this.#stopRequested?.aborted) break;
      if (started > 0 && this.#inFlight.size < this.#concurrency) {
        idleDelay = Math.min(5, poll);
        continue;
      }
      const woken = await this.#sleep(this.#inFlight.size >= this.#concurrency ? poll : idleDelay);
      idleDelay = woken ? Math.min(5, poll) : Math.min(poll, idleDelay * 2);
    }
  }

  /** Reads up to the free slots from the queues, claims the steps, starts them. */
  async #claimAndStart(): Promise<number> {
    const { db } = this.#options;
    const started = performance.now();
    try {
      return await this.#readAndClaim(db);
    } finally {
      this.#stats.claim_ms_total += performance.now() - started;
    }
  }

  async #readAndClaim(db: Database): Promise<number> {
    const messages: QueuedStep[] = [];
    let free = this.#concurrency - this.#inFlight.size;
    for (const queue of this.#queues) {
      if (free <= 0) break;
      const rows = await db.query<{ msg_id: number; message: StepMessage }>(
        "SELECT msg_id, message FROM pgmq.read($1::text, $2::int, $3::int)",
        [queue, this.#lease, free],
      );
      for (const row of rows) {
        messages.push({ queue, msg_id: Number(row.msg_id), message: row.message });
      }
      free -= rows.length;
    }
    if (messages.length === 0) return 0;
    const batch = await claimSteps(db, messages, this.id, this.#lease);
    if (batch.stale.length > 0) await this.#deleteMessages(batch.stale);
    for (const claim of batch.claimed) this.#track(this.#execute(claim));
    return batch.claimed.length;
  }

  async #deleteMessages(messages: readonly QueuedStep[]): Promise<void> {
    const byQueue = new Map<string, number[]>();
    for (const m of messages) byQueue.set(m.queue, [...(byQueue.get(m.queue) ?? []), m.msg_id]);
    for (const [queue, ids] of byQueue) {
      await this.#options.db.query("SELECT pgmq.delete($1::text, $2::bigint[])", [queue, ids]);
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    work.finally(() => {
      this.#inFlight.delete(work);
      this.#wake?.();
    });
  }

  /** Sleeps up to `ms`; resolves true when woken early. */
  #sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, ms);
      this.#wake = () => {
        this.#wake = undefined;
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  async #execute(claim: ClaimedStep): Promise<void> {
    let trace: StepTrace | undefined;
    try {
      const run = await executeStep(claim, {
        templates: this.#options.templates,
        handlers: this.#options.handlers,
        signal: this.#shutdown.signal,
        tracer: this.#options.stepTracer,
      });
      trace = run.trace;
      const { stepTemplate, graph, result, elapsed } = run;
      this.#stats.handler_ms_total += elapsed;
      if (elapsed > this.#stats.handler_ms_max) this.#stats.handler_ms_max = elapsed;

      const random = this.#options.random ?? Math.random;
      const outcome = await this.#committer.record({
        claim,
        successors: graph.successors.get(stepTemplate.name) ?? [],
        result,
        retryDelayMs: (attempts) => retryDelayMs(stepTemplate.retry, attempts, random),
        prepareEvents: (step) =>
          this.#pipeline.prepare({
            declarations: stepTemplate.publishes_events,
            task: claim.task,
            step,
            result,
            metadata: trace?.eventMetadata,
          }),
      });
      if (!outcome) {
        this.#stats.lost_claims++;
        trace?.end(null);
        return;
      }
      this.#stats.processed++;
      if (outcome.state === "complete") this.#stats.succeeded++;
      else this.#stats.failed++;
      if (outcome.state === "waiting_for_retry") this.#stats.retried++;
      for (const prepared of outcome.events) this.router.route(prepared);
      if (outcome.enqueued.length > 0) this.#wake?.();
      for (const listener of this.#listeners) {
        try {
          listener(claim, outcome, { handler_ms: elapsed });
        } catch (error) {
          console.error(`deno-tasker: an outcome listener threw: ${text(error)}`);
        }
      }
      trace?.end(outcome);
    } catch (error) {
      trace?.end(null, error);
      // The message stays in the queue and becomes visible again after its lease: the step is
      // retried by whichever worker reads it next (at least once, never twice at once).
      this.#stats.errors++;
      console.error(
        `deno-tasker: step ${claim.step.name} of task ${claim.task.task_uuid} failed in the worker: ${
          text(error)
        }`,
      );
    }
  }

  #publishAdHoc(
    name: string,
    payload: JsonObject,
    task: ClaimedStep["task"],
    ctx: { step: { step_uuid: string; name: string } },
  ): void {
    try {
      const event = buildDomainEvent({
        event_name: name,
        payload,
        task_sequence_step: { task: { ...task }, step: { ...ctx.step } },
        execution_result: {},
        metadata: {
          ...this.#options.stepTracer?.metadataFor(ctx.step.step_uuid),
          task_uuid: task.task_uuid,
          step_uuid: ctx.step.step_uuid,
          step_name: ctx.step.name,
          namespace: task.namespace,
          correlation_id: task.correlation_id,
          fired_by: "publishDomainEvent",
        },
      });
      this.router.route({ event, delivery_mode: "durable", publisher: defaultPublisher });
    } catch (error) {
      this.router.counters.routing_errors++;
      console.error(`deno-tasker: ad-hoc event ${name} was not published: ${text(error)}`);
    }
  }

  async #recover(): Promise<void> {
    const writer = this.#options.writer;
    if (!writer) return;
    try {
      await this.#owed.recover(this.#options.db, writer, {
        olderThanMs: (this.#options.recovery || {}).olderThanMs ?? 30_000,
      });
    } catch (error) {
      console.error(`deno-tasker: owed-event recovery failed: ${text(error)}`);
    }
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
