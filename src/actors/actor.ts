/**
 * One actor: a mailbox that outlives its incarnations, and the incarnations that consume it —
 * the in-process receive loop (`actor_receive.ts`) or a pump such as a Worker (`actor_pump.ts`).
 * Crashes are reported to the parent supervisor, which decides between restart, stop and
 * escalation; the actor only carries out the decision. Its state lives in an `ActorCell`
 * (`actor_cell.ts`) that it shares with the running incarnation.
 *
 * `tell` only enqueues and wakes the idle loop, so a handler never runs inside the caller.
 *
 * @module
 */

import { type ActorParent, checkActorSpec } from "./actor_contract.ts";
import { ActorCell } from "./actor_cell.ts";
import { pumpLoop } from "./actor_pump.ts";
import { receiveLoop } from "./actor_receive.ts";
import { ActorConfigError, ActorExit } from "./errors.ts";
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
} from "./types.ts";

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
  readonly #parent: ActorParent<Actor<unknown>>;
  readonly #cell: ActorCell<M>;
  #started = false;
  #loop: Promise<void> | null = null;
  #controller: AbortController | null = null;
  #stopping: Promise<void> | null = null;
  #restarts = 0;

  /**
   * Creates an actor; `Supervisor.spawn` is the way to get a started one.
   *
   * @param spec how to run the actor
   * @param parent its supervisor's hooks
   * @throws {ActorConfigError} when the spec has an invalid field
   */
  constructor(spec: ActorSpec<M>, parent: ActorParent<Actor<unknown>>) {
    const { restart, timeoutMs, shutdown } = checkActorSpec(spec);
    this.name = spec.name;
    this.restartType = restart;
    this.retryCrashedMessageOnce = spec.retryCrashedMessageOnce === true;
    this.#factory = spec.factory;
    this.#onDeadLetter = spec.onDeadLetter;
    this.#parent = parent;
    const mailbox = new Mailbox<M>({
      capacity: spec.mailbox?.capacity,
      overflow: spec.mailbox?.overflow,
      owner: spec.name,
    });
    this.#cell = new ActorCell(spec.name, mailbox, timeoutMs, shutdown);
  }

  /** Current state. */
  get state(): ActorState {
    return this.#cell.state;
  }

  /**
   * Offers a message to the mailbox; never waits, never throws, never runs the handler.
   *
   * @param message the message
   * @returns whether it was queued and which drop it caused
   */
  tell(message: M): OfferOutcome {
    return this.#cell.mailbox.offer(message);
  }

  /**
   * Offers a message, waiting up to `deadlineMs` for room in a `backpressure` mailbox.
   *
   * @param message the message
   * @param options `deadlineMs`: how long to wait for room
   * @returns the outcome once queued, timed out or refused
   */
  tellAndWait(message: M, options: { deadlineMs: number }): Promise<OfferOutcome> {
    return this.#cell.mailbox.offerAndWait(message, options);
  }

  /**
   * A snapshot of the actor's counters.
   *
   * @returns state, mailbox depth and capacity, processed, failed, drops by reason, restarts
   */
  stats(): ActorStats {
    const cell = this.#cell;
    return {
      name: this.name,
      state: cell.state,
      mailboxDepth: cell.mailbox.size,
      mailboxCapacity: cell.mailbox.capacity,
      processed: cell.processed,
      failed: cell.failed,
      dropped: cell.mailbox.dropped(),
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
    const cell = this.#cell;
    if (cell.state !== "restarting") return;
    if (this.#started) this.#restarts++;
    this.#started = true;
    cell.state = "running";
    const gen = ++cell.gen;
    const previous = this.#loop;
    this.#loop = previous === null ? this.#run(gen) : previous.then(() => this.#run(gen));
  }

  /** Supervisor control: marks a crashed actor as waiting for its restart. */
  markRestarting(): void {
    if (this.#cell.state === "running") this.#cell.state = "restarting";
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
    const cell = this.#cell;
    if (cell.state === "running") {
      cell.state = "restarting";
      cell.gen++;
      const controller = this.#controller;
      if (controller !== null && !controller.signal.aborted) controller.abort(reason);
      cell.mailbox.wake();
      cell.feed?.interrupt();
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
    const cell = this.#cell;
    if (cell.isFinal) return;
    cell.state = state;
    cell.gen++;
    cell.mailbox.close();
    cell.mailbox.discard();
    cell.mailbox.wake();
    cell.feed?.interrupt();
    const retry = cell.retry;
    if (retry !== null) {
      cell.retry = null;
      this.deadLetter(retry.message, retry.error);
    }
    cell.settle();
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
    this.#cell.cancel?.(reason);
  }

  /**
   * Resolves once a killable incarnation (one run by a `PumpBehavior`, such as a Worker) has
   * ended after a stop; at once for in-process actors, whose handlers cannot be interrupted and
   * are not waited for. Supervisors await it at close so no Worker outlives its system.
   *
   * @returns a promise that never rejects
   */
  exited(): Promise<void> {
    return this.#cell.pumped ? (this.#loop ?? RESOLVED) : RESOLVED;
  }

  /** Supervisor control: refuse new messages and stop once the mailbox is empty. */
  beginDrain(): void {
    const cell = this.#cell;
    cell.draining = true;
    cell.mailbox.close();
    if (cell.isFinal) cell.settle();
    else {
      cell.mailbox.wake();
      cell.feed?.interrupt();
    }
  }

  /** Whether a drain finished or the actor reached a final state. */
  get isSettled(): boolean {
    return this.#cell.isSettled;
  }

  /**
   * Resolves when a drain finished or the actor reached a final state.
   *
   * @returns a promise that never rejects
   */
  settled(): Promise<void> {
    return this.#cell.settled();
  }

  /**
   * Supervisor control: the next incarnation handles this crashed message before its mailbox.
   *
   * @param message the message that crashed the previous incarnation
   * @param error what it crashed with, for the dead letter if it never gets its retry
   */
  retryFirst(message: M, error: unknown): void {
    this.#cell.retry = { message, error };
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

  /** One incarnation: build the behaviour, run it, report how it ended. Never rejects. */
  async #run(gen: number): Promise<void> {
    await undefined; // user code never runs inside spawn(), tell() or a supervisor call
    const cell = this.#cell;
    if (gen !== cell.gen) return;
    const controller = new AbortController();
    this.#controller = controller;
    let behavior: ActorBehavior<M> | PumpBehavior<M> | undefined;
    let failed = false;
    let failure: unknown;
    try {
      behavior = await this.#factory();
      if (behavior !== null && typeof behavior === "object" && "pump" in behavior) {
        if (typeof behavior.pump === "function") {
          await pumpLoop(cell, gen, behavior, controller, (m, e) => this.deadLetter(m, e));
        } else behavior = undefined;
      } else if (
        behavior === null || typeof behavior !== "object" || typeof behavior.receive !== "function"
      ) {
        behavior = undefined;
      } else {
        await receiveLoop(cell, gen, behavior, controller);
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

  /** Books the failed message and tells the supervisor, unless this incarnation was superseded. */
  #ended(gen: number, error: unknown): void {
    const cell = this.#cell;
    const hasMessage = cell.hasInFlight;
    const message = cell.inFlight as M;
    const retried = cell.inFlightRetry;
    cell.hasInFlight = false;
    cell.inFlightRetry = false;
    cell.inFlight = undefined;
    const normal = error instanceof ActorExit;
    if (hasMessage) {
      if (normal) cell.processed++;
      else cell.failed++;
    }
    if (gen !== cell.gen) {
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
