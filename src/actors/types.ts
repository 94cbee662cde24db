/**
 * The vocabulary of the actor runtime, in Erlang/OTP terms: mailboxes with overflow policies,
 * actors built by factories, supervisors with a strategy, a restart intensity over a period, and
 * restart types. The event bus and the subscriber registry build on these types only.
 *
 * @module
 */

/** What a full mailbox does with a new message. */
export type OverflowPolicy = "drop_newest" | "drop_oldest" | "backpressure";

/**
 * Why a message was dropped:
 * - `full`: the mailbox was full and the new message was refused (`drop_newest`, or a
 *   `backpressure` mailbox offered synchronously);
 * - `evicted`: the oldest queued message made room for a new one (`drop_oldest`);
 * - `deadline`: a backpressure offer waited for room past its deadline;
 * - `stopped`: the actor was stopped or escalated, so it takes no more messages.
 */
export type DropReason = "full" | "evicted" | "deadline" | "stopped";

/** The outcome of offering one message to a mailbox. */
export interface OfferOutcome {
  /** Whether the offered message is now queued. */
  accepted: boolean;
  /** The drop this offer caused, if any (`evicted` names an older message dropped to make room). */
  dropped: DropReason | null;
}

/** Restart type of a child, as in OTP. */
export type RestartType = "permanent" | "transient" | "temporary";

/** Which children a supervisor restarts when one fails, as in OTP. */
export type SupervisionStrategy = "one_for_one" | "one_for_all" | "rest_for_one";

/** Life-cycle state of an actor. */
export type ActorState = "running" | "restarting" | "stopped" | "escalated";

/** The per-incarnation behaviour of an actor; its factory builds a fresh one on every restart. */
export interface ActorBehavior<M> {
  /** Handles one message; the next is not taken until this settles. A throw or reject crashes it. */
  receive(message: M, signal: AbortSignal): void | Promise<void>;
  /** Called once when this incarnation stops (normal stop or before a restart). */
  stopped?(): void | Promise<void>;
}

/** A message that crashed an actor, handed to the dead-letter hook with its error. */
export interface DeadLetter<M> {
  /** The actor's name. */
  actor: string;
  /** The message being handled when it crashed. */
  message: M;
  /** What it threw (or the timeout error). */
  error: unknown;
  /** When it crashed. */
  at: Date;
}

/** Exponential restart backoff with full jitter between `minMs` and `maxMs`. */
export interface BackoffOptions {
  /** Delay before the first restart, before jitter. Default 10 ms. */
  minMs?: number;
  /** Upper bound of the delay. Default 1000 ms. */
  maxMs?: number;
}

/** How a supervisor treats failing children. */
export interface SupervisorOptions {
  /** Default `one_for_one`. */
  strategy?: SupervisionStrategy;
  /** At most this many restarts within `periodMs` before escalation. Default 3. */
  intensity?: number;
  /** The sliding window of the intensity check. Default 5000 ms. */
  periodMs?: number;
  /** Delay between a crash and the restart. */
  backoff?: BackoffOptions;
}

/** How to run one actor. */
export interface ActorSpec<M> {
  /** Unique within its system. */
  name: string;
  /** Builds the actor's behaviour and state; called again on each restart. */
  factory: () => ActorBehavior<M> | Promise<ActorBehavior<M>>;
  /** Mailbox capacity (default 1024) and overflow policy (default `drop_newest`). */
  mailbox?: { capacity?: number; overflow?: OverflowPolicy };
  /** Per-message deadline; an overrun aborts the signal and counts as a crash. */
  messageTimeoutMs?: number;
  /** Default `permanent`. */
  restart?: RestartType;
  /** Receives every message that crashed the actor. */
  onDeadLetter?: (letter: DeadLetter<M>) => void;
  /** Re-deliver the crashing message once to the restarted actor before its dead-letter hook. */
  retryCrashedMessageOnce?: boolean;
}

/** Counters and state of one actor. */
export interface ActorStats {
  /** The actor's name. */
  name: string;
  /** Current state. */
  state: ActorState;
  /** Messages queued now. */
  mailboxDepth: number;
  /** Mailbox capacity. */
  mailboxCapacity: number;
  /** Messages handled without error. */
  processed: number;
  /** Messages whose handling threw or timed out. */
  failed: number;
  /** Dropped messages by reason. */
  dropped: Record<DropReason, number>;
  /** Restarts so far. */
  restarts: number;
}

/** A handle to a running actor. Sending never throws and never waits (except `tellAndWait`). */
export interface ActorRef<M> {
  /** The actor's name. */
  readonly name: string;
  /** Current state. */
  readonly state: ActorState;
  /** Offers a message to the mailbox synchronously. */
  tell(message: M): OfferOutcome;
  /** Offers a message, waiting up to `deadlineMs` for room in a `backpressure` mailbox. */
  tellAndWait(message: M, options: { deadlineMs: number }): Promise<OfferOutcome>;
  /** A snapshot of the actor's counters. */
  stats(): ActorStats;
  /** Stops the actor after its current message; queued messages are dropped as `stopped`. */
  stop(): Promise<void>;
}

/** An escalation: a child exceeded its supervisor's restart intensity and was stopped. */
export interface Escalation {
  /** The actor that was stopped for good. */
  actor: string;
  /** The last error it crashed with. */
  error: unknown;
  /** Restarts counted within the period when it escalated. */
  restarts: number;
  /** When it escalated. */
  at: Date;
}

/** Totals across all actors of a system, plus each actor's stats. */
export interface ActorSystemStats {
  /** Number of actors spawned and not removed. */
  actors: number;
  /** Sum of processed messages. */
  processed: number;
  /** Sum of failed messages. */
  failed: number;
  /** Sum of dropped messages over all reasons. */
  dropped: number;
  /** Sum of restarts. */
  restarts: number;
  /** Escalations recorded so far. */
  escalations: number;
  /** Per actor. */
  perActor: ActorStats[];
}
