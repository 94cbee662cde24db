/**
 * The state one actor shares with whatever runs its current incarnation (the in-process receive
 * loop of `actor_receive.ts` or a pump of `actor_pump.ts`): the mailbox, the generation that
 * tells a loop it was superseded, the message in flight (booked when an incarnation crashes), the
 * pending re-delivery and the counters. Plain fields on purpose: the receive loop reads and writes
 * them once per message, so they are one property access away.
 *
 * @module
 */

import type { MailboxFeed } from "./actor_feed.ts";
import type { Mailbox } from "./mailbox.ts";
import type { ActorState, ShutdownPolicy } from "./types.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One actor's mutable state. Owned by its `Actor`; the incarnation runners write the in-flight
 * fields and counters, the actor's supervisor controls write the rest.
 *
 * @example
 * ```ts
 * import { Mailbox } from "@deno-tasker/tasker/actors";
 * import { ActorCell } from "./actor_cell.ts";
 * const cell = new ActorCell("audit", new Mailbox<string>(), 0, "brutal_kill");
 * cell.settle();
 * console.log(cell.isSettled, cell.isFinal); // true false
 * ```
 */
export class ActorCell<M> {
  /** The actor's name. */
  readonly name: string;
  /** Its mailbox; it outlives the incarnations. */
  readonly mailbox: Mailbox<M>;
  /** `messageTimeoutMs` (0 = none). */
  readonly timeoutMs: number;
  /** How a killable incarnation is stopped. */
  readonly shutdown: ShutdownPolicy;
  /** Current state. */
  state: ActorState = "restarting";
  /** Incarnation generation: a loop whose generation is stale stops at its next step. */
  gen = 0;
  /** Whether the actor drains: its mailbox is closed and it stops once empty. */
  draining = false;
  /** The crashed message the next incarnation handles first, if any. */
  retry: { message: M; error: unknown } | null = null;
  /** The message being handled (valid while `hasInFlight`). */
  inFlight: M | undefined = undefined;
  /** Whether a message is being handled. */
  hasInFlight = false;
  /** Whether that message is a re-delivery. */
  inFlightRetry = false;
  /** Messages handled. */
  processed = 0;
  /** Messages whose handling failed. */
  failed = 0;
  /** Stops waiting for the running handler (set while one is raced against its timeout). */
  cancel: ((reason: unknown) => void) | null = null;
  /** The running pump incarnation's feed, to interrupt it. */
  feed: MailboxFeed<M> | null = null;
  /** Whether an incarnation ran a pump (a killable one whose end `exited()` waits for). */
  pumped = false;
  #settled = false;
  #settledPromise: Promise<void> | null = null;
  #resolveSettled: (() => void) | null = null;

  /**
   * Creates the state of a new actor.
   *
   * @param name the actor's name
   * @param mailbox its mailbox
   * @param timeoutMs its message timeout (0 = none)
   * @param shutdown its shutdown policy
   */
  constructor(name: string, mailbox: Mailbox<M>, timeoutMs: number, shutdown: ShutdownPolicy) {
    this.name = name;
    this.mailbox = mailbox;
    this.timeoutMs = timeoutMs;
    this.shutdown = shutdown;
  }

  /** Whether the actor reached a final state (`stopped` or `escalated`). */
  get isFinal(): boolean {
    return this.state === "stopped" || this.state === "escalated";
  }

  /** Whether a drain finished or the actor reached a final state. */
  get isSettled(): boolean {
    return this.#settled;
  }

  /** Marks the drain finished (or the actor final) and resolves `settled()`. Idempotent. */
  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolveSettled?.();
    this.#resolveSettled = null;
  }

  /**
   * Resolves once `settle()` was called.
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
}
