/**
 * The actor system: a registry of uniquely named actors, a root `one_for_one` supervisor, child
 * supervisors for groups, escalation records, and one `close()` that drains everything within a
 * deadline. It needs no Deno permission.
 *
 * @module
 */

import { ActorNameTakenError, ActorSystemClosedError } from "./errors.ts";
import { DEFAULT_CLOSE_DEADLINE_MS, Supervisor, type SupervisorContext } from "./supervisor.ts";
import type {
  ActorRef,
  ActorSpec,
  ActorSystemStats,
  DeadLetter,
  Escalation,
  SupervisorOptions,
} from "./types.ts";

/** How many escalation records `escalations()` keeps (the count in `stats()` keeps growing). */
export const MAX_ESCALATIONS_KEPT = 1000;

/** How an actor system supervises and reports. */
export interface ActorSystemOptions {
  /**
   * The root supervisor's options, and the defaults (intensity, period, backoff) of child
   * supervisors. The root strategy defaults to `one_for_one`, which keeps actors isolated.
   */
  supervisor?: SupervisorOptions;
  /** Called when an actor exceeds its restart intensity and is stopped for good. */
  onEscalation?: (escalation: Escalation) => void;
  /** Receives crashed messages of actors that have no `onDeadLetter` of their own. */
  onDeadLetter?: (letter: DeadLetter<unknown>) => void;
  /** The clock for restart windows and timestamps, in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** A source of numbers in `[0, 1)` for backoff jitter. Default `Math.random`. */
  random?: () => number;
}

/**
 * Runs supervised actors. Every actor has its own bounded mailbox, state and failures; the
 * sender never waits for (or runs) a handler, and a crashing actor never harms the others.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@deno-tasker/tasker/actors";
 * await using system = new ActorSystem({
 *   supervisor: { intensity: 3, periodMs: 5000, backoff: { minMs: 10, maxMs: 1000 } },
 *   onDeadLetter: (letter) => console.error(letter.actor, letter.error),
 * });
 * const greeter = system.spawn<string>({
 *   name: "greeter",
 *   factory: () => ({ receive: (name) => console.log(`hello ${name}`) }),
 *   mailbox: { capacity: 256, overflow: "drop_oldest" },
 * });
 * greeter.tell("world");
 * console.log(system.stats().actors); // 1
 * ```
 */
export class ActorSystem implements AsyncDisposable {
  readonly #defaults: SupervisorOptions;
  readonly #onEscalation: ((escalation: Escalation) => void) | undefined;
  readonly #context: SupervisorContext;
  readonly #root: Supervisor;
  #supervisors = new Set<Supervisor>();
  #actors = new Map<string, ActorRef<unknown>>();
  #escalations: Escalation[] = [];
  #escalationCount = 0;
  #retired = { processed: 0, failed: 0, dropped: 0, restarts: 0 };
  #closing: Promise<void> | null = null;

  /**
   * Creates a running actor system (its root supervisor included).
   *
   * @param options root supervision, hooks, and (for tests) the clock and jitter source
   * @throws {ActorConfigError} when a supervisor option is invalid
   */
  constructor(options: ActorSystemOptions = {}) {
    this.#defaults = { ...options.supervisor };
    this.#onEscalation = options.onEscalation;
    const now = options.now ?? Date.now;
    const random = options.random ?? Math.random;
    this.#context = {
      register: (ref, supervisor) => this.#register(ref, supervisor),
      unregister: (ref, supervisor) => this.#unregister(ref, supervisor),
      released: (supervisor) => this.#release(supervisor),
      escalate: (escalation) => this.#escalate(escalation),
      deadLetter: options.onDeadLetter,
      now,
      random,
    };
    this.#root = new Supervisor("root", this.#defaults, this.#context);
    this.#supervisors.add(this.#root);
  }

  /** Whether `close` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * How many supervisors the system holds: the root, each group with actors, and each group
   * that is still open. Closed groups are let go once their last actor leaves, so this stays
   * flat while subscribers come and go on a long-lived system.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * console.log(system.supervisorCount); // 1 (the root)
   * ```
   */
  get supervisorCount(): number {
    return this.#supervisors.size;
  }

  /**
   * Starts an actor under the root (`one_for_one`) supervisor.
   *
   * @param spec the actor's name (unique in the system), factory, mailbox and restart options
   * @returns a handle to send to it and inspect it
   * @throws {ActorNameTakenError} when the name is taken
   * @throws {ActorSystemClosedError} when the system is closing
   * @throws {ActorConfigError} when the spec is invalid
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * const ref = system.spawn<number>({
   *   name: "squares",
   *   factory: () => ({ receive: (n) => console.log(n * n) }),
   *   messageTimeoutMs: 1000,
   *   restart: "transient",
   * });
   * ref.tell(3);
   * ```
   */
  spawn<M>(spec: ActorSpec<M>): ActorRef<M> {
    return this.#root.spawn(spec);
  }

  /**
   * Creates a child supervisor whose strategy applies among the actors spawned through it.
   * Unset intensity, period and backoff come from the system's `supervisor` option; the strategy
   * defaults to `one_for_one`.
   *
   * @param name the group's name, for errors and logs
   * @param options strategy, intensity, period and backoff
   * @returns the supervisor, with its own `spawn`
   * @throws {ActorSystemClosedError} when the system is closing
   * @throws {ActorConfigError} when an option is invalid
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * const group = system.spawnSupervisor("pair", { strategy: "one_for_all", intensity: 5 });
   * group.spawn<string>({ name: "left", factory: () => ({ receive() {} }) });
   * group.spawn<string>({ name: "right", factory: () => ({ receive() {} }) });
   * ```
   */
  spawnSupervisor(name: string, options: SupervisorOptions = {}): Supervisor {
    if (this.#closing !== null) throw new ActorSystemClosedError(name);
    const defaults = this.#defaults;
    const supervisor = new Supervisor(name, {
      strategy: options.strategy ?? "one_for_one",
      intensity: options.intensity ?? defaults.intensity,
      periodMs: options.periodMs ?? defaults.periodMs,
      backoff: {
        minMs: options.backoff?.minMs ?? defaults.backoff?.minMs,
        maxMs: options.backoff?.maxMs ?? defaults.backoff?.maxMs,
      },
    }, this.#context);
    this.#supervisors.add(supervisor);
    return supervisor;
  }

  /**
   * The actor with this name, if it is registered (running, restarting, or stopped by its
   * supervisor but not removed with `stop`).
   *
   * @param name the actor's name
   * @returns its handle, or `undefined`
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * system.get<string>("audit")?.tell("ping");
   * ```
   */
  get<M = unknown>(name: string): ActorRef<M> | undefined {
    return this.#actors.get(name) as ActorRef<M> | undefined;
  }

  /**
   * Stops the named actor after its current message and removes it, freeing the name; its
   * counters stay in the system totals. Same as `ref.stop()`.
   *
   * @param name the actor's name
   * @returns `true` if such an actor was registered
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * system.spawn({ name: "temp", factory: () => ({ receive() {} }) });
   * console.log(await system.stop("temp")); // true
   * ```
   */
  async stop(name: string): Promise<boolean> {
    const ref = this.#actors.get(name);
    if (ref === undefined) return false;
    await ref.stop();
    return true;
  }

  /**
   * Stops accepting messages, lets every actor drain its mailbox within `deadlineMs`, then stops
   * all of them: what is still queued is dropped as `stopped`, in-flight handlers' signals are
   * aborted. Idempotent: later calls return the same promise.
   *
   * @param options `deadlineMs`, default 5000
   * @returns resolves when every actor is stopped and no timer is left
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * const system = new ActorSystem();
   * await system.close({ deadlineMs: 1000 });
   * ```
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.#closing === null) {
      const deadlineMs = options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
      const supervisors = [...this.#supervisors];
      this.#closing = Promise.all(supervisors.map((supervisor) => supervisor.close({ deadlineMs })))
        .then(() => {});
    }
    return this.#closing;
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Totals across all actors (those removed with `stop` included) and each registered actor's
   * stats.
   *
   * @returns a fresh snapshot
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * const { processed, dropped, perActor } = system.stats();
   * ```
   */
  stats(): ActorSystemStats {
    const retired = this.#retired;
    const perActor = [...this.#actors.values()].map((ref) => ref.stats());
    let processed = retired.processed;
    let failed = retired.failed;
    let dropped = retired.dropped;
    let restarts = retired.restarts;
    for (const stats of perActor) {
      processed += stats.processed;
      failed += stats.failed;
      dropped += sumDrops(stats.dropped);
      restarts += stats.restarts;
    }
    return {
      actors: perActor.length,
      processed,
      failed,
      dropped,
      restarts,
      escalations: this.#escalationCount,
      perActor,
    };
  }

  /**
   * The escalations recorded so far (the latest 1000), oldest first.
   *
   * @returns a copy of the records
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@deno-tasker/tasker/actors";
   * await using system = new ActorSystem();
   * for (const e of system.escalations()) console.error(e.actor, e.restarts, e.error);
   * ```
   */
  escalations(): Escalation[] {
    return [...this.#escalations];
  }

  #register(ref: ActorRef<unknown>, supervisor: Supervisor): void {
    if (this.#closing !== null) throw new ActorSystemClosedError(ref.name);
    if (this.#actors.has(ref.name)) throw new ActorNameTakenError(ref.name);
    this.#actors.set(ref.name, ref);
    this.#supervisors.add(supervisor);
  }

  #unregister(ref: ActorRef<unknown>, supervisor: Supervisor): void {
    if (this.#actors.get(ref.name) === ref) {
      this.#actors.delete(ref.name);
      const stats = ref.stats();
      this.#retired.processed += stats.processed;
      this.#retired.failed += stats.failed;
      this.#retired.dropped += sumDrops(stats.dropped);
      this.#retired.restarts += stats.restarts;
    }
    this.#release(supervisor);
  }

  /**
   * Lets an emptied group go, closed or not: it holds nothing to close, a closed one can never
   * spawn again, and an open one re-registers itself when it does. Keeping closed groups would
   * leak one per unsubscribe on a long-lived system.
   */
  #release(supervisor: Supervisor): void {
    if (supervisor !== this.#root && supervisor.size === 0) this.#supervisors.delete(supervisor);
  }

  #escalate(escalation: Escalation): void {
    this.#escalationCount++;
    this.#escalations.push(escalation);
    if (this.#escalations.length > MAX_ESCALATIONS_KEPT) this.#escalations.shift();
    try {
      this.#onEscalation?.(escalation);
    } catch {
      // An observer failed; the escalation is still recorded.
    }
  }
}

function sumDrops(dropped: Record<string, number>): number {
  let total = 0;
  for (const key in dropped) total += dropped[key] as number;
  return total;
}
