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

import { errorMessage as text } from "../error_message.ts";
import { PublisherRegistry } from "../events/publisher_registry.ts";
import { stepQueue } from "../names.ts";
import { AdHocPublisher } from "./ad_hoc_events.ts";
import { ClaimLoop } from "./claim_loop.ts";
import { OutcomeCommitter } from "./committer.ts";
import { EventPipeline } from "./event_pipeline.ts";
import { EventRouter, type EventRouterStats, sumRouterStats } from "./event_router.ts";
import { InFlightSteps } from "./in_flight_steps.ts";
import { OutcomeListeners } from "./outcome_listeners.ts";
import { OwedEvents } from "./owed_events.ts";
import { OwedRecoveryTimer, trackedDurableSink } from "./owed_recovery.ts";
import { ensureQueue } from "./queues.ts";
import { type Held, HeldClaims } from "./held_claims.ts";
import { saveCheckpoint } from "./checkpoints.ts";
import { PriorityBands } from "./priority_queues.ts";
import { StepWakeups } from "./step_wakeups.ts";
import { executeStep, findStep } from "./step_execution.ts";
import { type Attempt, outcomeRecord, settlement } from "./attempt_outcome.ts";
import { StepClaimer } from "./step_claimer.ts";
import type { StepTrace } from "./step_tracer.ts";
import { type ResolvedWorkerConfig, resolveWorkerConfig, workerSettings } from "./worker_config.ts";
import { WorkerConfigError, WorkerShutdownError } from "./worker_errors.ts";
import type {
  OutcomeListener,
  WorkerOptions,
  WorkerSettings,
  WorkerState,
  WorkerStats,
} from "./worker_options.ts";

export { ClaimLostError, WorkerConfigError, WorkerShutdownError } from "./worker_errors.ts";

export type {
  OutcomeListener,
  StepTiming,
  WorkerOptions,
  WorkerSettings,
  WorkerState,
  WorkerStats,
} from "./worker_options.ts";

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
  /** Routes fired events; its stats, with the pipeline's, are the router stats of Tasker. */
  readonly router: EventRouter;
  readonly #options: WorkerOptions;
  /** The options with their defaults applied, resolved once (worker_config.ts). */
  readonly #config: ResolvedWorkerConfig;
  readonly #pipeline: EventPipeline;
  /** Where handlers' `ctx.publishDomainEvent` calls go (handed to each step's execution). */
  readonly #adHoc: AdHocPublisher;
  readonly #owed: OwedEvents;
  readonly #queues: string[];
  readonly #bands: PriorityBands;
  readonly #listeners = new OutcomeListeners();
  readonly #inFlight = new InFlightSteps();
  /** The counters this class keeps; `stats()` adds the ones its parts keep. */
  readonly #stats = {
    processed: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    lost_claims: 0,
    errors: 0,
    handler_ms_total: 0,
    handler_ms_max: 0,
    settled_exhausted: 0,
    settled_orphaned: 0,
    unstorable_events: 0,
  };
  /** Claims this worker holds now, by step: renewed together, aborted or released together. */
  readonly #held: HeldClaims;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #renewing: Promise<void> | undefined;
  readonly #claimer: StepClaimer;
  /** Claim rounds and handler slots (claim_loop.ts). */
  readonly #claims: ClaimLoop;
  #closing: Promise<void> | undefined;
  #stopped = false;
  #recovery: OwedRecoveryTimer | undefined;
  /** LISTEN/NOTIFY wake-ups for steps other processes send (step_wakeups.ts). */
  #wakeups: StepWakeups | undefined;
  readonly #committer: OutcomeCommitter;

  /**
   * Creates a worker; nothing runs until `start()`.
   *
   * @param options components and tuning
   * @throws {WorkerConfigError} when `leaseSeconds` is not a positive number
   */
  constructor(options: WorkerOptions) {
    const config = resolveWorkerConfig(options);
    this.#options = options;
    this.#config = config;
    this.id = config.workerId;
    this.#owed = options.owed ?? new OwedEvents();
    this.#held = new HeldClaims({
      db: options.db,
      workerId: this.id,
      leaseSeconds: config.leaseSeconds,
    });
    this.#queues = config.namespaces.map(stepQueue);
    this.#bands = new PriorityBands([...config.namespaces]);
    this.#claimer = new StepClaimer({
      workerId: this.id,
      leaseSeconds: config.leaseSeconds,
      foreignTimeoutSeconds: config.foreignTimeoutSeconds,
      bands: this.#bands,
      templates: options.templates,
    });
    this.#claims = new ClaimLoop({
      db: options.db,
      claimer: this.#claimer,
      workerId: this.id,
      concurrency: config.concurrency,
      pollIntervalMs: config.pollIntervalMs,
      listeningPollIntervalMs: config.listeningPollIntervalMs,
      listening: () => this.#wakeups?.listening ?? false,
      recordStepTransitions: config.recordStepTransitions,
      start: (claim) => this.#inFlight.track(this.#execute(this.#held.hold(claim))),
    });
    this.#committer = new OutcomeCommitter(options.db, this.id, {
      maxInFlight: config.commitFlights,
      ...(options.eventsWithOutcomes ? { events: options.eventsWithOutcomes } : {}),
      ...(config.recordStepTransitions ? { transitionActor: `worker:${this.id}` } : {}),
      // Each commit also claims the next steps, in its own transaction (committer.ts). Each
      // flight claims its share of the slots, so while one group commits, the steps the other
      // claimed run (two flights on a server: worker and server CPU overlap).
      claims: this.#claims.followOnClaims(Math.ceil(config.concurrency / config.commitFlights)),
    });
    this.router = new EventRouter({
      ...(options.bus ? { fast: options.bus } : {}),
      ...(options.writer ? { durable: trackedDurableSink(options.writer, this.#owed) } : {}),
    });
    this.#pipeline = new EventPipeline(options.publishers ?? new PublisherRegistry());
    this.#adHoc = new AdHocPublisher({
      templates: options.templates,
      router: this.router,
      ...(options.stepTracer ? { tracer: options.stepTracer } : {}),
    });
  }

  /** A snapshot of the worker's counters. */
  stats(): WorkerStats {
    const commits = this.#committer.stats();
    return {
      ...this.#stats,
      errors: this.#stats.errors + this.#claims.readErrors,
      in_progress: this.#inFlight.size,
      recovered_events: this.#owed.recovered,
      commit_groups: commits.groups,
      commit_ms_total: commits.busy_ms,
      claim_ms_total: this.#claims.claimMs,
      queue_reads: this.#claims.reads,
      commit_isolations: commits.isolations,
      released: this.#held.released,
      abandoned: this.#held.abandoned,
      foreign_templates: this.#claimer.foreignTemplates(),
    };
  }

  /**
   * The event counters: the router's, the pipeline's, and this worker's own (events it could not
   * store or build count as publisher and routing errors).
   */
  routerStats(): EventRouterStats {
    return sumRouterStats(
      this.router.stats(),
      this.#pipeline.stats(),
      { publisher_errors: this.#stats.unstorable_events, routing_errors: this.#adHoc.failed },
    );
  }

  /** The effective settings, defaults applied. */
  settings(): WorkerSettings {
    return workerSettings(this.#config);
  }

  /** Where the worker is in its life (readiness checks use it). */
  get state(): WorkerState {
    if (this.#closing) return this.#stopped ? "stopped" : "stopping";
    return this.#claims.started ? "running" : "created";
  }

  /** Calls `listener` after every recorded outcome; returns a function that removes it. */
  onOutcome(listener: OutcomeListener): () => void {
    return this.#listeners.add(listener);
  }

  /** Reads the queues now instead of at the next poll (e.g. right after a submit). */
  wake(): void {
    this.#claims.wake();
  }

  /**
   * Validates handlers, creates the step queues, runs a first recovery pass, and starts reading.
   *
   * @throws {MissingHandlersError} when a template step has no registered handler
   */
  async start(): Promise<void> {
    if (this.#claims.started) return;
    const { handlers, templates, db } = this.#options;
    const config = this.#config;
    handlers.assertValid(templates.list());
    if (this.#queues.length === 0) throw new WorkerConfigError("no namespaces to work on");
    for (const queue of this.#queues) await ensureQueue(db, queue);
    if (config.listen) {
      // Before the first read: a step sent after that read wakes the worker.
      this.#wakeups = new StepWakeups({
        db,
        bands: this.#bands,
        onWake: () => this.wake(),
        selfId: this.id,
        label: `worker ${this.id}`,
        pollIntervalMs: config.pollIntervalMs,
      });
      await this.#wakeups.start();
    }
    const writer = this.#options.writer;
    if (config.recovery && writer) {
      this.#recovery = new OwedRecoveryTimer({ db, writer, owed: this.#owed, ...config.recovery });
      await this.#recovery.start();
    }
    this.#renewTimer = setInterval(() => {
      this.#renewing ??= this.#held.renew().finally(() => (this.#renewing = undefined));
    }, config.leaseRenewalMs);
    this.#claims.start();
  }

  /**
   * Stops claiming and lets in-flight steps finish within `deadlineMs`. Past it, their handlers'
   * signals are aborted ({@link WorkerShutdownError}); a step whose handler then fails, or that
   * has not settled `shutdownGraceMs` later, is released — claim cleared, message visible at
   * once, attempt not consumed — never recorded as failed. Always resolves; `stats().abandoned`
   * counts the handlers it had to leave running.
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#stop(options.deadlineMs ?? this.#config.closeDeadlineMs);
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#recovery?.stop();
    await this.#claims.stop();
    await this.#wakeups?.close();
    await this.#inFlight.settle(this.#held, {
      deadlineMs,
      graceMs: this.#config.shutdownGraceMs,
      reason: new WorkerShutdownError(this.id),
    });
    await this.#committer.idle();
    clearInterval(this.#renewTimer);
    await this.#renewing;
    // A handler left running past the grace period publishes nothing more.
    this.#adHoc.close();
    this.#stopped = true;
  }

  async #execute(held: Held): Promise<void> {
    const { claim } = held;
    let trace: StepTrace | undefined;
    this.#claims.handlerStarted();
    let slot = true;
    const releaseSlot = () => {
      if (slot) this.#claims.handlerFinished();
      slot = false;
    };
    try {
      const run = claim.settle
        ? settlement(claim, this.#options.templates, this.#config.foreignTimeoutSeconds)
        : await this.#attempt(held);
      releaseSlot();
      if (!run) return;
      trace = run.trace;
      const { result, elapsed } = run;
      if (held.abandoned) return; // released at shutdown: another worker runs it again
      if (held.lost) {
        this.#stats.lost_claims++;
        trace?.end(null);
        return;
      }
      if (held.interrupted && !result.success) {
        // Aborted by shutdown (or a lease it could not renew): hand the attempt back.
        await this.#held.release(held);
        trace?.end(null);
        return;
      }
      this.#stats.handler_ms_total += elapsed;
      if (elapsed > this.#stats.handler_ms_max) this.#stats.handler_ms_max = elapsed;
      held.recording = true;
      this.#claims.recordingStarted();
      let outcome;
      try {
        outcome = await this.#committer.record(
          outcomeRecord(claim, run, this.#pipeline, this.#config.random),
        );
      } finally {
        this.#claims.recordingFinished();
      }
      if (!outcome) {
        this.#stats.lost_claims++;
        trace?.end(null);
        return;
      }
      this.#stats.processed++;
      if (outcome.state === "complete") this.#stats.succeeded++;
      else this.#stats.failed++;
      if (outcome.state === "waiting_for_retry") this.#stats.retried++;
      if (claim.settle === "exhausted") this.#stats.settled_exhausted++;
      if (claim.settle === "orphaned") this.#stats.settled_orphaned++;
      for (const reason of outcome.unstorable_events ?? []) {
        // Also a publisher error of the event counters (routerStats()).
        this.#stats.unstorable_events++;
        console.error(`deno-tasker: event not published, it cannot be stored: ${reason}`);
      }
      for (const prepared of outcome.events) this.router.route(prepared);
      if (outcome.enqueued.length > 0) this.#claims.wake();
      // Its message turns visible then; no notification says so, and the idle poll may be long.
      if (outcome.retry_delay_ms !== undefined) this.#claims.wakeAfter(outcome.retry_delay_ms);
      this.#listeners.notify(claim, outcome, { handler_ms: elapsed });
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
    } finally {
      releaseSlot();
      this.#held.drop(held);
    }
  }

  /** Runs the handler; a step this worker cannot find in its template is released, not run. */
  async #attempt(held: Held): Promise<Attempt | undefined> {
    const { claim } = held;
    try {
      findStep(claim, this.#options.templates);
    } catch (error) {
      // Only tasks created before template hashes were recorded get here: hand the step back.
      console.error(
        `deno-tasker: worker ${this.id} cannot run step ${claim.step.name} of task ${claim.task.task_uuid}, released: ${
          text(error)
        }`,
      );
      await this.#held.release(held);
      return undefined;
    }
    return await executeStep(claim, {
      templates: this.#options.templates,
      handlers: this.#options.handlers,
      publish: this.#adHoc.publish,
      signal: held.abort.signal,
      tracer: this.#options.stepTracer,
      // A yield stores its checkpoint and extends the lease in one statement (checkpoints.ts).
      saveCheckpoint: async (saved) => {
        const asked = performance.now();
        const stored = await saveCheckpoint(
          this.#options.db,
          held,
          this.id,
          this.#config.leaseSeconds,
          saved,
        );
        if (stored) {
          held.renewedAt = asked;
          // The step's events carry the checkpoint it last saved (workflow_step.checkpoint).
          claim.step.checkpoint = stored;
        }
        return stored;
      },
    });
  }
}
