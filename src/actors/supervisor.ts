/**
 * OTP-style supervision of a group of actors: a strategy (`one_for_one`, `one_for_all`,
 * `rest_for_one`), restart types, a restart intensity over a sliding period, and exponential
 * backoff with full jitter between a crash and its restart.
 *
 * Intensity is counted per child: a child that crashes more than `intensity` times within
 * `periodMs` is stopped for good (`escalated`) and an `Escalation` is reported, while its siblings
 * keep running — one bad subscriber never takes the others down.
 *
 * @module
 */

import { withinDeadline } from "../deadline.ts";
import { Actor } from "./actor.ts";
import type { ActorParent, IncarnationEnd } from "./actor_contract.ts";
import { backoffDelay, pruneWindow, resolveBackoff } from "./backoff.ts";
import { ActorConfigError, ActorStoppedError, ActorSystemClosedError } from "./errors.ts";
import type {
  ActorRef,
  ActorSpec,
  BackoffOptions,
  DeadLetter,
  Escalation,
  SupervisionStrategy,
  SupervisorOptions,
} from "./types.ts";

const STRATEGIES: readonly SupervisionStrategy[] = ["one_for_one", "one_for_all", "rest_for_one"];
/** Default restart intensity: at most this many restarts per period. */
export const DEFAULT_INTENSITY = 3;
/** Default intensity period in milliseconds. */
export const DEFAULT_PERIOD_MS = 5000;
/** Default drain deadline of `close()`. */
export const DEFAULT_CLOSE_DEADLINE_MS = 5000;

/** What a supervisor needs from the actor system it belongs to. */
export interface SupervisorContext {
  /**
   * Records a new actor under its unique name.
   *
   * @throws {ActorNameTakenError} when the name is taken
   * @throws {ActorSystemClosedError} when the system is closing
   */
  register(ref: ActorRef<unknown>, supervisor: Supervisor): void;
  /** Forgets an actor that `stop()` ended, keeping its counters in the system totals. */
  unregister(ref: ActorRef<unknown>, supervisor: Supervisor): void;
  /**
   * Forgets a supervisor that finished closing with no actor left. Optional: a context without it
   * learns of the group's end through `unregister` when its actors are removed.
   */
  released?(supervisor: Supervisor): void;
  /** Records an escalation and notifies the system's `onEscalation`. */
  escalate(escalation: Escalation): void;
  /** Dead-letter hook for actors without their own. */
  readonly deadLetter: ((letter: DeadLetter<unknown>) => void) | undefined;
  /** The clock for restart windows and timestamps, in milliseconds. */
  now(): number;
  /** A source of numbers in `[0, 1)` for backoff jitter. */
  random(): number;
}

/**
 * Supervises a group of actors. Get one from `ActorSystem.spawnSupervisor` (the system's own root
 * supervisor is `one_for_one`); actors spawned through it restart according to its strategy.
 *
 * Temporary siblings caught in a `one_for_all` or `rest_for_one` restart are stopped, not
 * restarted, as in OTP.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@deno-tasker/tasker/actors";
 * await using system = new ActorSystem();
 * const group = system.spawnSupervisor("pipeline", { strategy: "rest_for_one" });
 * const parse = group.spawn<string>({ name: "parse", factory: () => ({ receive() {} }) });
 * group.spawn<string>({ name: "store", factory: () => ({ receive() {} }) });
 * parse.tell("line"); // if parse crashes, store is restarted too
 * ```
 */
export class Supervisor {
  /** The group's name, for errors and logs (need not be unique). */
  readonly name: string;
  /** Which children restart when one crashes. */
  readonly strategy: SupervisionStrategy;
  /** At most this many restarts of one child within `periodMs`. */
  readonly intensity: number;
  /** The sliding window of the intensity check, in milliseconds. */
  readonly periodMs: number;
  /** Restart delay bounds, in milliseconds. */
  readonly backoff: Required<BackoffOptions>;
  readonly #context: SupervisorContext;
  readonly #hooks: ActorParent<Actor<unknown>>;
  /** In start order, which `rest_for_one` relies on. */
  #children: Actor<unknown>[] = [];
  #history = new Map<Actor<unknown>, number[]>();
  #timers = new Map<ReturnType<typeof setTimeout>, Actor<unknown>[]>();
  #closing: Promise<void> | null = null;
  #isClosed = false;

  /**
   * Creates a supervisor; `ActorSystem.spawnSupervisor` is the usual way to get one.
   *
   * @param name the group's name
   * @param options strategy, intensity, period and backoff
   * @param context the owning system's services
   * @throws {ActorConfigError} when an option is invalid
   */
  constructor(name: string, options: SupervisorOptions, context: SupervisorContext) {
    const label = JSON.stringify(name);
    const strategy = options.strategy ?? "one_for_one";
    if (!STRATEGIES.includes(strategy)) {
      throw new ActorConfigError(
        `strategy of supervisor ${label} must be one of ${STRATEGIES.join(", ")}, got ${
          String(strategy)
        }`,
      );
    }
    const intensity = options.intensity ?? DEFAULT_INTENSITY;
    if (!Number.isSafeInteger(intensity) || intensity < 0) {
      throw new ActorConfigError(
        `intensity of supervisor ${label} must be a non-negative integer, got ${String(intensity)}`,
      );
    }
    const periodMs = options.periodMs ?? DEFAULT_PERIOD_MS;
    if (!Number.isFinite(periodMs) || periodMs <= 0) {
      throw new ActorConfigError(
        `periodMs of supervisor ${label} must be a positive number, got ${String(periodMs)}`,
      );
    }
    this.name = name;
    this.strategy = strategy;
    this.intensity = intensity;
    this.periodMs = periodMs;
    this.backoff = resolveBackoff(options.backoff, name);
    this.#context = context;
    this.#hooks = {
      incarnationEnded: (actor, end) => this.#incarnationEnded(actor, end),
      actorStopped: (actor) => this.#actorStopped(actor),
      deadLetter: context.deadLetter,
      now: () => context.now(),
    };
  }

  /** Number of children (running, restarting, or stopped by the supervisor but not removed). */
  get size(): number {
    return this.#children.length;
  }

  /** Whether `close` has been called. */
  get closed(): boolean {
    return this.#isClosed;
  }

  /**
   * Starts an actor in this group.
   *
   * @param spec the actor's name, factory, mailbox and restart options
   * @returns a handle to send to it and inspect it
   * @throws {ActorNameTakenError} when the name is taken in the system
   * @throws {ActorSystemClosedError} when the group or its system is closing
   * @throws {ActorConfigError} when the spec is invalid
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * const group = system.spawnSupervisor("group", { strategy: "one_for_all" });
   * const ref = group.spawn<string>({ name: "echo", factory: () => ({ receive: console.log }) });
   * ref.tell("hello");
   * ```
   */
  spawn<M>(spec: ActorSpec<M>): ActorRef<M> {
    if (this.#isClosed) throw new ActorSystemClosedError(String(spec.name));
    const actor = new Actor<M>(spec, this.#hooks);
    const child = actor as unknown as Actor<unknown>;
    this.#context.register(child, this);
    this.#children.push(child);
    actor.start();
    return actor;
  }

  /**
   * Stops taking messages, lets every child drain its mailbox within `deadlineMs` (pending
   * restarts happen at once), then stops them all: what is still queued is dropped as `stopped`
   * and in-flight handlers' signals are aborted. Idempotent.
   *
   * @param options `deadlineMs`, default 5000
   * @returns resolves when every child is stopped
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * const group = system.spawnSupervisor("group", {});
   * await group.close({ deadlineMs: 100 });
   * ```
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#isClosed = true;
    for (const [timer, group] of this.#timers) {
      clearTimeout(timer);
      this.#startAll(group);
    }
    this.#timers.clear();
    const children = [...this.#children];
    for (const child of children) child.beginDrain();
    this.#closing = this.#drain(children, options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS)
      .then(() => {
        // Halted children stay until removed (their `unregister` lets the group go); an empty
        // group has nothing left to wait for.
        if (this.#children.length === 0) this.#context.released?.(this);
      });
    return this.#closing;
  }

  async #drain(children: Actor<unknown>[], deadlineMs: number): Promise<void> {
    if (!children.every((child) => child.isSettled)) {
      const settled = Promise.all(children.map((child) => child.settled()));
      await withinDeadline(settled, Math.max(0, deadlineMs));
    }
    for (const child of children) {
      if (child.isSettled) {
        child.halt("stopped");
      } else {
        child.force(
          new ActorStoppedError(
            child.name,
            `it did not drain within the ${deadlineMs} ms deadline`,
          ),
        );
      }
    }
    // Killable incarnations (Workers) end within their shutdown policy; wait, so none outlives
    // the close. In-process actors resolve at once (a stuck handler cannot be waited for).
    await Promise.all(children.map((child) => child.exited()));
  }

  #incarnationEnded(child: Actor<unknown>, end: IncarnationEnd): void {
    const type = child.restartType;
    const crashed = !end.normal && end.message !== null;
    const restart = end.normal ? type === "permanent" : type !== "temporary";
    if (!restart) {
      if (crashed) child.deadLetter(end.message?.value, end.error);
      child.halt("stopped");
      return;
    }
    const now = this.#context.now();
    let history = this.#history.get(child);
    if (history === undefined) {
      history = [];
      this.#history.set(child, history);
    }
    pruneWindow(history, now, this.periodMs);
    if (history.length >= this.intensity) {
      if (crashed) child.deadLetter(end.message?.value, end.error);
      child.halt("escalated");
      this.#context.escalate({
        actor: child.name,
        error: end.error,
        restarts: history.length,
        at: new Date(now),
      });
      return;
    }
    history.push(now);
    if (crashed) {
      if (child.retryCrashedMessageOnce && !end.retried) {
        child.retryFirst(end.message?.value, end.error);
      } else {
        child.deadLetter(end.message?.value, end.error);
      }
    }
    const delay = backoffDelay(history.length, this.backoff, () => this.#context.random());
    this.#restart(child, delay);
  }

  /** Restarts `child` and, per the strategy, its siblings, after `delay` ms. */
  #restart(child: Actor<unknown>, delay: number): void {
    child.markRestarting();
    if (this.strategy === "one_for_one") {
      this.#schedule([child], delay);
      return;
    }
    const from = this.strategy === "one_for_all" ? 0 : this.#children.indexOf(child);
    const waits: Promise<void>[] = [];
    const group: Actor<unknown>[] = [];
    for (const sibling of this.#children.slice(Math.max(0, from))) {
      if (sibling === child) {
        group.push(sibling);
        continue;
      }
      if (sibling.state !== "running" && sibling.state !== "restarting") continue;
      const reason = new ActorStoppedError(
        sibling.name,
        `its sibling ${JSON.stringify(child.name)} crashed (${this.strategy})`,
      );
      waits.push(sibling.terminate(reason));
      if (sibling.restartType === "temporary") sibling.halt("stopped");
      else group.push(sibling);
    }
    if (waits.length === 0) this.#schedule(group, delay);
    else Promise.all(waits).then(() => this.#schedule(group, delay));
  }

  #schedule(group: Actor<unknown>[], delay: number): void {
    if (delay <= 0 || this.#isClosed) {
      queueMicrotask(() => this.#startAll(group));
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#startAll(group);
    }, delay);
    this.#timers.set(timer, group);
  }

  #startAll(group: Actor<unknown>[]): void {
    for (const child of group) child.start();
  }

  #actorStopped(child: Actor<unknown>): void {
    const index = this.#children.indexOf(child);
    if (index !== -1) this.#children.splice(index, 1);
    this.#history.delete(child);
    for (const [timer, group] of this.#timers) {
      const position = group.indexOf(child);
      if (position !== -1) group.splice(position, 1);
      if (group.length === 0) {
        clearTimeout(timer);
        this.#timers.delete(timer);
      }
    }
    this.#context.unregister(child, this);
  }
}
