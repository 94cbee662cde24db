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
import type { Database } from "../durable/db/database.ts";
import { defaultPublisher } from "../events/publisher.ts";
import { PublisherRegistry } from "../events/publisher_registry.ts";
import type { JsonObject } from "../events/types.ts";
import { uuidv7 } from "../events/uuid.ts";
import { domainEventsQueue, stepQueue } from "../names.ts";
import { OutcomeCommitter } from "./committer.ts";
import { adHocEvent, EventPipeline } from "./event_pipeline.ts";
import { EventRouter, type EventRouterStats } from "./event_router.ts";
import { OwedEvents } from "./owed_events.ts";
import { ensureQueue } from "./queues.ts";
import { type Held, HeldClaims } from "./held_claims.ts";
import { saveCheckpoint } from "./checkpoints.ts";
import { PriorityBands } from "./priority_queues.ts";
import { StepWakeups } from "./step_wakeups.ts";
import { executeStep, findStep } from "./step_execution.ts";
import { type Attempt, outcomeRecord, settlement } from "./attempt_outcome.ts";
import type { ClaimedStep } from "./step_store.ts";
import { type ClaimRound, StepClaimer } from "./step_claimer.ts";
import type { StepTrace } from "./step_tracer.ts";
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
  /** Routes fired events; its stats are the router stats of Tasker (tasker-core). */
  readonly router: EventRouter;
  readonly #options: WorkerOptions;
  readonly #pipeline: EventPipeline;
  readonly #owed: OwedEvents;
  readonly #queues: string[];
  readonly #bands: PriorityBands;
  readonly #concurrency: number;
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
    commit_isolations: 0,
    released: 0,
    abandoned: 0,
    settled_exhausted: 0,
    settled_orphaned: 0,
    unstorable_events: 0,
    foreign_templates: [],
  };
  /** Claims this worker holds now, by step: renewed together, aborted or released together. */
  readonly #held: HeldClaims;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #renewing: Promise<void> | undefined;
  readonly #claimer: StepClaimer;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** A wake-up arrived while the loop was not asleep. */
  #wakePending = false;
  /** Handlers running now (each holds one of the `concurrency` slots). */
  #running = 0;
  /** Slots taken by a claim round in progress (the loop's, or a commit's follow-on claims). */
  #reserved = 0;
  /** Outcomes handed to the committer and not yet committed. */
  #recording = 0;
  /** The last read filled every free slot: the queues may hold more. */
  #saturated = false;
  #closing: Promise<void> | undefined;
  #recoveryTimer: ReturnType<typeof setInterval> | undefined;
  /** LISTEN/NOTIFY wake-ups for steps other processes send (step_wakeups.ts). */
  #wakeups: StepWakeups | undefined;
  readonly #committer: OutcomeCommitter;
  /** Most slots one commit's follow-on claim takes: the concurrency shared by the flights. */
  readonly #followOnSlots: number;
  readonly #lease: number;
  readonly #renewalMs: number;
  readonly #foreignTimeout: number;
  readonly #graceMs: number;

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
    if (!(this.#lease > 0) || !Number.isFinite(this.#lease)) {
      throw new WorkerConfigError(
        `leaseSeconds must be a positive number, got ${options.leaseSeconds}`,
      );
    }
    // Three renewals per lease: one late or failed renewal never lets a live claim expire.
    this.#renewalMs = Math.max(100, Math.floor((this.#lease * 1000) / 3));
    this.#held = new HeldClaims({ db: options.db, workerId: this.id, leaseSeconds: this.#lease });
    this.#foreignTimeout = options.foreignTimeoutSeconds ?? 600;
    this.#graceMs = options.shutdownGraceMs ?? 2_000;
    this.#committer = new OutcomeCommitter(options.db, this.id, {
      maxInFlight: commitFlights(options.db, this.#concurrency),
      ...(options.eventsWithOutcomes ? { events: options.eventsWithOutcomes } : {}),
      ...(options.recordStepTransitions ? { transitionActor: `worker:${this.id}` } : {}),
      // Each commit also claims the next steps, in its own transaction (committer.ts).
      claims: {
        // Each flight claims its share of the slots, so while one group commits, the steps
        // the other claimed run (two flights on a server: worker and server CPU overlap).
        reserve: () => this.#reserve(this.#followOnSlots),
        claim: async (tx, slots) => {
          const claimed = await this.#claimer.claim(tx, slots);
          return () => this.#startClaimRound(claimed);
        },
        release: (slots) => {
          this.#reserved -= slots;
        },
      },
    });
    this.#followOnSlots = Math.ceil(this.#concurrency / this.#committer.maxInFlight);
    const namespaces = options.namespaces ?? options.templates.namespaces();
    this.#queues = namespaces.map(stepQueue);
    this.#bands = new PriorityBands(namespaces);
    this.#claimer = new StepClaimer({
      workerId: this.id,
      leaseSeconds: this.#lease,
      foreignTimeoutSeconds: this.#foreignTimeout,
      bands: this.#bands,
      templates: options.templates,
    });
    const writer = options.writer;
    const owed = this.#owed;
    this.router = new EventRouter({
      ...(options.bus ? { fast: options.bus } : {}),
      ...(writer
        ? {
          durable: {
            enqueue(event) {
              owed.track(event.event_id);
              let accepted = false;
              try {
                accepted = writer.enqueue(event, {
                  queue: domainEventsQueue(event.metadata.namespace),
                });
              } finally {
                if (!accepted) owed.untrack(event.event_id);
              }
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
      commit_isolations: commits.isolations,
      released: this.#held.released,
      abandoned: this.#held.abandoned,
      foreign_templates: this.#claimer.foreignTemplates(),
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
      lease_renewal_ms: this.#renewalMs,
      foreign_timeout_seconds: this.#foreignTimeout,
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
    this.#wakeLoop();
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
    if (this.#options.listen !== false) {
      // Before the first read: a step sent after that read wakes the worker.
      this.#wakeups = new StepWakeups({
        db,
        bands: this.#bands,
        onWake: () => this.wake(),
        selfId: this.id,
        label: `worker ${this.id}`,
        pollIntervalMs: this.#options.pollIntervalMs ?? 50,
      });
      await this.#wakeups.start();
    }
    handlers.attachPublisher((name, payload, ctx) =>
      this.#publishAdHoc(name, payload, ctx.task, ctx)
    );
    const recovery = this.#options.recovery;
    if (recovery !== false && this.#options.writer) {
      await this.#recover();
      this.#recoveryTimer = setInterval(() => void this.#recover(), recovery?.intervalMs ?? 10_000);
    }
    this.#renewTimer = setInterval(() => {
      this.#renewing ??= this.#held.renew().finally(() => (this.#renewing = undefined));
    }, this.#renewalMs);
    this.#loop = this.#run();
  }

  /**
   * Stops claiming and lets in-flight steps finish within `deadlineMs`. Past it, their handlers'
   * signals are aborted ({@link WorkerShutdownError}); a step whose handler then fails, or that
   * has not settled `shutdownGraceMs` later, is released — claim cleared, message visible at
   * once, attempt not consumed — never recorded as failed. Always resolves; `stats().abandoned`
   * counts the handlers it had to leave running.
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
    await this.#wakeups?.close();
    if (!(await settledWithin(this.#inFlight, deadlineMs))) {
      const reason = new WorkerShutdownError(this.id);
      this.#held.interruptAll(reason);
      if (!(await settledWithin(this.#inFlight, this.#graceMs))) await this.#held.abandonRunning();
    }
    await this.#committer.idle();
    clearInterval(this.#renewTimer);
    await this.#renewing;
    this.#options.handlers.detachPublisher();
    this.#stopped = true;
  }

  #stopRequested: AbortSignal | undefined;
  #stopped = false;

  async #run(): Promise<void> {
    const poll = this.#options.pollIntervalMs ?? 50;
    // Idle polling backs off from 5 ms to pollIntervalMs; any work, or a wake-up (a local
    // submit, a released successor, a slot freed while the queues still had work), resets it.
    let idleDelay = Math.min(5, poll);
    while (!this.#stopRequested?.aborted) {
      // Messages consumed, not steps started: a batch of stale messages is work too, so a
      // backlog of them drains at read speed instead of one batch per idle poll.
      let read = 0;
      // Pipelined: claiming goes on while earlier outcomes commit, as long as the outcomes
      // waiting for their commit do not outnumber the slots (backpressure on a slow database).
      if (this.#free() > 0 && this.#recording <= this.#concurrency) {
        try {
          read = await this.#claimAndStart();
        } catch (error) {
          this.#stats.errors++;
          console.error(
            `deno-tasker: worker ${this.id} could not read its queues: ${text(error)}`,
          );
        }
      }
      if (this.#stopRequested?.aborted) break;
      if (read > 0 && this.#saturated && this.#free() > 0) {
        idleDelay = Math.min(5, poll);
        continue;
      }
      const busy = this.#free() <= 0 || this.#recording > this.#concurrency;
      const woken = await this.#sleep(busy ? poll : read > 0 ? Math.min(5, poll) : idleDelay);
      idleDelay = woken || read > 0 ? Math.min(5, poll) : Math.min(poll, idleDelay * 2);
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
    const slots = this.#reserve();
    if (slots === 0) return 0;
    let claimed: ClaimRound;
    try {
      claimed = this.#options.recordStepTransitions
        ? await db.transaction(async (tx) => {
          // The claims' transitions are recorded under this worker's name (transitions.ts).
          await tx.query("SELECT set_config('tasker.actor', $1, true)", [`worker:${this.id}`]);
          return await this.#claimer.claim(tx, slots);
        })
        : await this.#claimer.claim(db, slots);
    } finally {
      this.#reserved -= slots;
    }
    this.#startClaimRound(claimed);
    return claimed.read;
  }

  /** Starts the steps a claim round took (after its transaction committed). */
  #startClaimRound(claimed: ClaimRound): void {
    for (const batch of claimed.batches) {
      for (const claim of batch.claimed) this.#track(this.#execute(this.#held.hold(claim)));
    }
    this.#saturated = claimed.filled;
  }

  /** Takes every free slot for one claim round; 0 when none is free or the worker stops. */
  #reserve(most = Infinity): number {
    if (this.#stopRequested?.aborted) return 0;
    const slots = Math.max(0, Math.min(most, this.#free()));
    this.#reserved += slots;
    return slots;
  }

  /** Handler slots free now: concurrency bounds running handlers, not commits pending. */
  #free(): number {
    return this.#concurrency - this.#running - this.#reserved;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    work.finally(() => this.#inFlight.delete(work));
  }

  /**
   * Sleeps up to `ms`; resolves true when woken early. A wake-up that comes while the loop is
   * not asleep (it is claiming) is kept, so the next sleep returns at once.
   */
  #sleep(ms: number): Promise<boolean> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve(true);
    }
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

  /** Wakes the loop now, or at its next sleep when it is busy claiming. */
  #wakeLoop(): void {
    if (this.#wake) this.#wake();
    else this.#wakePending = true;
  }

  /** A handler finished: its slot is free for the next claim (its outcome may still commit). */
  #releaseSlot(): void {
    this.#running--;
    // Only worth a read when the last read filled every slot (the queues may hold more).
    if (this.#saturated) this.#wakeLoop();
  }

  async #execute(held: Held): Promise<void> {
    const { claim } = held;
    let trace: StepTrace | undefined;
    this.#running++;
    let slot = true;
    const releaseSlot = () => {
      if (slot) this.#releaseSlot();
      slot = false;
    };
    try {
      const run = claim.settle
        ? settlement(claim, this.#options.templates, this.#foreignTimeout)
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
      this.#recording++;
      let outcome;
      try {
        outcome = await this.#committer.record(
          outcomeRecord(claim, run, this.#pipeline, this.#options.random ?? Math.random),
        );
      } finally {
        this.#recording--;
        // The commit is done: slots it could not fill (freed while it ran) are the loop's now.
        if (this.#saturated && this.#free() > 0) this.#wakeLoop();
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
        this.#stats.unstorable_events++;
        this.router.counters.publisher_errors++;
        console.error(`deno-tasker: event not published, it cannot be stored: ${reason}`);
      }
      for (const prepared of outcome.events) this.router.route(prepared);
      if (outcome.enqueued.length > 0) this.#wakeLoop();
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
      signal: held.abort.signal,
      tracer: this.#options.stepTracer,
      // A yield stores its checkpoint and extends the lease in one statement (checkpoints.ts).
      saveCheckpoint: async (saved) => {
        const asked = performance.now();
        const stored = await saveCheckpoint(this.#options.db, held, this.id, this.#lease, saved);
        if (stored) {
          held.renewedAt = asked;
          // The step's events carry the checkpoint it last saved (workflow_step.checkpoint).
          claim.step.checkpoint = stored;
        }
        return stored;
      },
    });
  }

  #publishAdHoc(
    name: string,
    payload: JsonObject,
    task: ClaimedStep["task"],
    ctx: {
      step: {
        step_uuid: string;
        name: string;
        attempts: number;
        max_attempts: number;
        retryable: boolean;
      };
      dependencyResults: Record<string, unknown>;
    },
  ): void {
    try {
      let stepTemplate;
      try {
        stepTemplate = this.#options.templates.require(task.namespace, task.name, task.version)
          .steps.find((s) => s.name === ctx.step.name);
      } catch {
        stepTemplate = undefined; // the event still goes out, with a definition from the row
      }
      const event = adHocEvent({
        name,
        payload,
        task,
        step: ctx.step,
        ...(stepTemplate ? { stepTemplate } : {}),
        dependencyResults: ctx.dependencyResults,
        metadata: this.#options.stepTracer?.metadataFor(ctx.step.step_uuid),
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

/**
 * Resolves true when `work` is empty within `ms`, false otherwise. Work added meanwhile counts
 * too (a commit in flight at shutdown starts the steps it had claimed).
 */
async function settledWithin(work: ReadonlySet<Promise<void>>, ms: number): Promise<boolean> {
  if (work.size === 0) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    while (work.size > 0) {
      const all = Promise.allSettled([...work]).then(() => true as const);
      if (!(await Promise.race([all, deadline]))) return false;
    }
    return true;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Commit transactions in flight at once: two on a server from concurrency 50 up, so that while
 * one group commits the other's steps run (measured at concurrency 100, fsync-on server: 1.09×
 * without events, 1.15× with one durable event per step); one below that, where halving the
 * groups doubled the transactions (0.90× at concurrency 10), and on PGlite (one connection).
 */
function commitFlights(db: Database, concurrency: number): number {
  return db.kind === "postgres" && concurrency >= 50 ? 2 : 1;
}
