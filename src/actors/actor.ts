/**
 * One actor: a mailbox that outlives its incarnations, and a loop that feeds the current
 * incarnation's behaviour one message at a time. Crashes are reported to the parent supervisor,
 * which decides between restart, stop and escalation; the actor only carries out the decision.
 *
 * The loop is the hot path: it polls the mailbox synchronously while messages are queued, awaits
 * only handlers that return a promise, and parks on a single promise (no timer) when idle. `tell`
 * only enqueues and resolves that promise, so a handler never runs inside the caller.
 *
 * @module
 */

import { type ActorParent, checkActorSpec } from "./actor_contract.ts";
import { MailboxFeed } from "./actor_feed.ts";
import { ActorConfigError, ActorExit, MessageTimeoutError } from "./errors.ts";
import { Mailbox } from "./mailbox.ts";
import type {
  ActorBehavior,
  ActorRef,
  ActorSpec,
  ActorState,
  ActorStats,
  DeadLetter,
  OfferOutcome,
  PumpBehavior,
  RestartType,
  ShutdownPolicy,
} from "./types.ts";

/** Sync handlers run in batches; every this many messages the loop yields to other actors. */
const YIELD_EVERY = 256;
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A supervised actor. Created by `Supervisor.spawn` (or `ActorSystem.spawn`), which hands it out
 * as an `ActorRef`; the other public methods are the supervisor's controls.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@deno-tasker/tasker/actors";
 * await using system = new ActorSystem();
 * const counter = system.spawn<number>({
 *   name: "counter",
 *   factory: () => {
 *     let total = 0; // state lives in the behaviour, rebuilt on restart
 *     return { receive: (n) => void (total += n) };
 *   },
 * });
 * counter.tell(1);
 * ```
 */
export class Actor<M> implements ActorRef<M> {
  /** The actor's name, unique within its system. */
  readonly name: string;
  /** Its restart type. */
  readonly restartType: RestartType;
  /** Whether a crashing message is re-delivered once to the restarted actor. */
  readonly retryCrashedMessageOnce: boolean;
  readonly #factory: ActorSpec<M>["factory"];
  readonly #onDeadLetter: ((letter: DeadLetter<M>) => void) | undefined;
  readonly #timeoutMs: number;
  readonly #shutdown: ShutdownPolicy;
  readonly #parent: ActorParent;
  readonly #mailbox: Mailbox<M>;
  #state: ActorState = "restarting";
  /** Incarnation generation: a loop whose generation is stale stops at its next step. */
  #gen = 0;
  #started = false;
  #loop: Promise<void> | null = null;
  #controller: AbortController | null = null;
  #cancel: ((reason: unknown) => void) | null = null;
  #retry: { message: M; error: unknown } | null = null;
  #inFlight: M | undefined = undefined;
  #hasInFlight = false;
  #inFlightRetry = false;
  #draining = false;
  #settled = false;
  #settledPromise: Promise<void> | null = null;
  #resolveSettled: (() => void) | null = null;
  #stopping: Promise<void> | null = null;
  #processed = 0;
  #failed = 0;
  #restarts = 0;
  /** The running pump incarnation's feed, to interrupt it. */
  #feed: MailboxFeed<M> | null = null;
  /** Whether an incarnation ran a pump (a killable one whose end `exited()` waits for). */
  #pumped = false;

  /**
   * Creates an actor; `Supervisor.spawn` is the way to get a started one.
   *
   * @param spec how to run the actor
   * @param parent its supervisor's hooks
   * @throws {ActorConfigError} when the spec has an invalid field
   */
  constructor(spec: ActorSpec<M>, parent: ActorParent) {
    const { restart, timeoutMs, shutdown } = checkActorSpec(spec);
    this.name = spec.name;
    this.restartType = restart;
    this.retryCrashedMessageOnce = spec.retryCrashedMessageOnce === true;
    this.#factory = spec.factory;
    this.#onDeadLetter = spec.onDeadLetter;
    this.#timeoutMs = timeoutMs;
    this.#shutdown = shutdown;
    this.#parent = parent;
    this.#mailbox = new Mailbox<M>({
      capacity: spec.mailbox?.capacity,
      overflow: spec.mailbox?.overflow,
      owner: spec.name,
    });
  }

  /** Current state. */
  get state(): ActorState {
    return this.#state;
  }

  /**
   * Offers a message to the mailbox; never waits, never throws, never runs the handler.
   *
   * @param message the message
   * @returns whether it was queued and which drop it caused
   */
  tell(message: M): OfferOutcome {
    return this.#mailbox.offer(message);
  }

  /**
   * Offers a message, waiting up to `deadlineMs` for room in a `backpressure` mailbox.
   *
   * @param message the message
   * @param options `deadlineMs`: how long to wait for room
   * @returns the outcome once queued, timed out or refused
   */
  tellAndWait(message: M, options: { deadlineMs: number }): Promise<OfferOutcome> {
    return this.#mailbox.offerAndWait(message, options);
  }

  /**
   * A snapshot of the actor's counters.
   *
   * @returns state, mailbox depth and capacity, processed, failed, drops by reason, restarts
   */
  stats(): ActorStats {
    return {
      name: this.name,
      state: this.#state,
      mailboxDepth: this.#mailbox.size,
      mailboxCapacity: this.#mailbox.capacity,
      processed: this.#processed,
      failed: this.#failed,
      dropped: this.#mailbox.dropped(),
      restarts: this.#restarts,
    };
  }

  /**
   * Stops the actor for good after its current message (which is not aborted: a handler that
   * never settles keeps this pending) and removes it from its supervisor and system. Queued
   * messages are dropped as `stopped`. Never restarted, whatever the restart type. Idempotent.
   *
   * @returns resolves once the current message and the `stopped()` hook are done
   */
  stop(): Promise<void> {
    if (this.#stopping === null) {
      this.halt("stopped");
      this.#stopping = (this.#loop ?? RESOLVED).then(() => this.#parent.actorStopped(this.#self));
    }
    return this.#stopping;
  }

  /** Supervisor control: starts a new incarnation if the actor is `restarting`. */
  start(): void {
    if (this.#state !== "restarting") return;
    if (this.#started) this.#restarts++;
    this.#started = true;
    this.#state = "running";
    const gen = ++this.#gen;
    const previous = this.#loop;
    this.#loop = previous === null ? this.#run(gen) : previous.then(() => this.#run(gen));
  }

  /** Supervisor control: marks a crashed actor as waiting for its restart. */
  markRestarting(): void {
    if (this.#state === "running") this.#state = "restarting";
  }

  /**
   * Supervisor control: ends the current incarnation so a sibling restart can rebuild it. Its
   * signal is aborted with `reason`; the returned promise waits for the in-flight handler (bounded
   * by `messageTimeoutMs` when set) and the `stopped()` hook.
   *
   * @param reason the abort reason handed to the handler's signal
   * @returns resolves when the old incarnation is gone
   */
  terminate(reason: unknown): Promise<void> {
    if (this.#state === "running") {
      this.#state = "restarting";
      this.#gen++;
      const controller = this.#controller;
      if (controller !== null && !controller.signal.aborted) controller.abort(reason);
      this.#mailbox.wake();
      this.#feed?.interrupt();
    }
    return this.#loop ?? RESOLVED;
  }

  /**
   * Supervisor control: stops the actor where it stands (the in-flight message may finish),
   * closes the mailbox and drops what it holds as `stopped`. A pending re-delivery goes to the
   * dead-letter hook. Idempotent; the first final state wins.
   *
   * @param state `stopped`, or `escalated` when the restart intensity was exceeded
   */
  halt(state: "stopped" | "escalated"): void {
    if (this.#state === "stopped" || this.#state === "escalated") return;
    this.#state = state;
    this.#gen++;
    this.#mailbox.close();
    this.#mailbox.discard();
    this.#mailbox.wake();
    this.#feed?.interrupt();
    const retry = this.#retry;
    if (retry !== null) {
      this.#retry = null;
      this.deadLetter(retry.message, retry.error);
    }
    this.#settle();
  }

  /**
   * Supervisor control: like `halt("stopped")`, and also aborts the in-flight handler's signal
   * and stops waiting for it (its timeout timer is cleared).
   *
   * @param reason the abort reason
   */
  force(reason: unknown): void {
    this.halt("stopped");
    const controller = this.#controller;
    if (controller !== null && !controller.signal.aborted) controller.abort(reason);
    this.#cancel?.(reason);
  }

  /**
   * Resolves once a killable incarnation (one run by a `PumpBehavior`, such as a Worker) has
   * ended after a stop; at once for in-process actors, whose handlers cannot be interrupted and
   * are not waited for. Supervisors await it at close so no Worker outlives its system.
   *
   * @returns a promise that never rejects
   */
  exited(): Promise<void> {
    return this.#pumped ? (this.#loop ?? RESOLVED) : RESOLVED;
  }

  /** Supervisor control: refuse new messages and stop once the mailbox is empty. */
  beginDrain(): void {
    this.#draining = true;
    this.#mailbox.close();
    if (this.#state === "stopped" || this.#state === "escalated") this.#settle();
    else {
      this.#mailbox.wake();
      this.#feed?.interrupt();
    }
  }

  /** Whether a drain finished or the actor reached a final state. */
  get isSettled(): boolean {
    return this.#settled;
  }

  /**
   * Resolves when a drain finished or the actor reached a final state.
   *
   * @returns a promise that never rejects
   */
  settled(): Promise<void> {
    if (this.#settled) return RESOLVED;
    this.#settledPromise ??= new Promise<void>((resolve) => {
      this.#resolveSettled = resolve;
    });
    return this.#settledPromise;
  }

  /**
   * Supervisor control: the next incarnation handles this crashed message before its mailbox.
   *
   * @param message the message that crashed the previous incarnation
   * @param error what it crashed with, for the dead letter if it never gets its retry
   */
  retryFirst(message: M, error: unknown): void {
    this.#retry = { message, error };
  }

  /**
   * Hands a message to the actor's dead-letter hook (or the system's). A throwing hook is
   * ignored: hooks observe, they cannot break the runtime.
   *
   * @param message the message that crashed the actor
   * @param error what it crashed with
   */
  deadLetter(message: M, error: unknown): void {
    const hook = this.#onDeadLetter ?? this.#parent.deadLetter;
    if (hook === undefined) return;
    try {
      hook({ actor: this.name, message, error, at: new Date(this.#parent.now()) });
    } catch {
      // An observer failed; the message is still counted in `failed`.
    }
  }

  get #self(): Actor<unknown> {
    return this as unknown as Actor<unknown>;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolveSettled?.();
    this.#resolveSettled = null;
  }

  /** One incarnation: build the behaviour, run the loop, report how it ended. Never rejects. */
  async #run(gen: number): Promise<void> {
    await undefined; // user code never runs inside spawn(), tell() or a supervisor call
    if (gen !== this.#gen) return;
    const controller = new AbortController();
    this.#controller = controller;
    let behavior: ActorBehavior<M> | PumpBehavior<M> | undefined;
    let failed = false;
    let failure: unknown;
    try {
      behavior = await this.#factory();
      if (behavior !== null && typeof behavior === "object" && "pump" in behavior) {
        if (typeof behavior.pump === "function") await this.#pumpWith(gen, behavior, controller);
        else behavior = undefined;
      } else if (
        behavior === null || typeof behavior !== "object" || typeof behavior.receive !== "function"
      ) {
        behavior = undefined;
      } else {
        await this.#process(gen, behavior, controller);
      }
      if (behavior === undefined) {
        throw new ActorConfigError(
          `factory of actor ${
            JSON.stringify(this.name)
          } must return an object with receive() or pump()`,
        );
      }
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (failed && !controller.signal.aborted) controller.abort(failure);
    if (behavior !== undefined) {
      try {
        await behavior.stopped?.();
      } catch {
        // A failing stopped() hook cannot keep the actor from restarting or stopping.
      }
    }
    if (failed) this.#ended(gen, failure);
  }

  async #process(gen: number, behavior: ActorBehavior<M>, controller: AbortController) {
    const mailbox = this.#mailbox;
    const signal = controller.signal;
    const timed = this.#timeoutMs > 0;
    const retry = this.#retry;
    if (retry !== null && gen === this.#gen) {
      this.#retry = null;
      this.#inFlight = retry.message;
      this.#hasInFlight = true;
      this.#inFlightRetry = true;
      const result = behavior.receive(retry.message, signal);
      if (result != null && typeof result.then === "function") {
        await (timed ? this.#race(result, controller) : result);
      }
      this.#hasInFlight = false;
      this.#inFlightRetry = false;
      this.#processed++;
    }
    let batch = 0;
    for (;;) {
      if (gen !== this.#gen) return;
      if (mailbox.size === 0) {
        this.#inFlight = undefined;
        if (this.#draining) {
          this.#settle();
          return;
        }
        batch = 0;
        await mailbox.whenReady();
        continue;
      }
      const message = mailbox.poll() as M;
      this.#inFlight = message;
      this.#hasInFlight = true;
      const result = behavior.receive(message, signal);
      if (result != null && typeof result.then === "function") {
        await (timed ? this.#race(result, controller) : result);
        this.#hasInFlight = false;
        this.#processed++;
      } else {
        this.#hasInFlight = false;
        this.#processed++;
        if (++batch === YIELD_EVERY) {
          batch = 0;
          await undefined; // let other actors' loops run between batches of sync handlers
        }
      }
    }
  }

  /**
   * One pump incarnation: the behaviour takes messages itself through a feed. What it leaves in
   * flight goes back to the head of the mailbox (dropped as `stopped` if the actor has stopped),
   * except the message it blames for a crash, which is booked like a crashed handler's.
   */
  async #pumpWith(gen: number, behavior: PumpBehavior<M>, controller: AbortController) {
    this.#pumped = true;
    const feed = new MailboxFeed<M>(
      this.#mailbox,
      {
        current: () => gen === this.#gen,
        draining: () => this.#draining,
        hasRetry: () => this.#retry !== null,
        takeRetry: () => {
          const retry = this.#retry;
          this.#retry = null;
          return retry?.message;
        },
        processed: (count) => void (this.#processed += count),
        rejected: (message, error) => {
          this.#failed++;
          this.deadLetter(message, error);
        },
      },
      controller.signal,
      this.#timeoutMs,
      this.#shutdown,
    );
    this.#feed = feed;
    let failure: { error: unknown } | null = null;
    try {
      await behavior.pump(feed);
    } catch (error) {
      failure = { error };
    }
    if (this.#feed === feed) this.#feed = null;
    const { blamed, unhandled } = feed.remains();
    if (blamed !== null) {
      if (failure !== null) {
        this.#inFlight = blamed.value;
        this.#hasInFlight = true;
        this.#inFlightRetry = blamed.retried;
      } else {
        unhandled.unshift(blamed.value);
      }
    }
    if (unhandled.length !== 0) {
      this.#mailbox.requeue(unhandled);
      if (this.#state === "stopped" || this.#state === "escalated") this.#mailbox.discard();
    }
    if (failure !== null) throw failure.error;
    if (gen !== this.#gen) return;
    if (this.#draining && this.#mailbox.size === 0) {
      this.#settle();
      return;
    }
    throw new ActorConfigError(
      `pump of actor ${JSON.stringify(this.name)} returned while its incarnation was current`,
    );
  }

  /** Waits for a handler's promise, failing with `MessageTimeoutError` past the deadline. */
  #race(result: PromiseLike<void>, controller: AbortController): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cancel = (reason: unknown): void => {
        clearTimeout(timer);
        if (this.#cancel === cancel) this.#cancel = null;
        reject(reason);
      };
      const timer = setTimeout(() => {
        const error = new MessageTimeoutError(this.name, this.#timeoutMs);
        if (!controller.signal.aborted) controller.abort(error);
        cancel(error);
      }, this.#timeoutMs);
      this.#cancel = cancel;
      result.then(() => {
        clearTimeout(timer);
        if (this.#cancel === cancel) this.#cancel = null;
        resolve();
      }, cancel);
    });
  }

  /** Books the failed message and tells the supervisor, unless this incarnation was superseded. */
  #ended(gen: number, error: unknown): void {
    const hasMessage = this.#hasInFlight;
    const message = this.#inFlight as M;
    const retried = this.#inFlightRetry;
    this.#hasInFlight = false;
    this.#inFlightRetry = false;
    this.#inFlight = undefined;
    const normal = error instanceof ActorExit;
    if (hasMessage) {
      if (normal) this.#processed++;
      else this.#failed++;
    }
    if (gen !== this.#gen) {
      // Stopped or restarted from outside while the message ran: nobody restarts for this one.
      if (hasMessage && !normal) this.deadLetter(message, error);
      return;
    }
    this.#parent.incarnationEnded(this.#self, {
      error,
      normal,
      message: hasMessage ? { value: message } : null,
      retried,
    });
  }
}
