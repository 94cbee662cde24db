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

/**
 * How an actor's incarnation is stopped when its supervisor stops it (at close, on `stop`, or to
 * restart it with a sibling), as in OTP's child spec: `brutal_kill` ends it at once; a number of
 * milliseconds lets it finish the message it is handling for up to that long first. It governs
 * actors that can be killed (those run by a `PumpBehavior`, such as worker-isolated ones);
 * in-process handlers cannot be interrupted, so for them only the close deadline applies.
 */
export type ShutdownPolicy = "brutal_kill" | number;

/**
 * What the actor hands to a {@link PumpBehavior}: its mailbox, seen as a stream of messages that
 * are taken in batches and settled in order. A message taken and not yet settled is "in flight";
 * when the pump returns or throws, the actor puts in-flight messages back at the head of its
 * mailbox (or, after `blame()`, books the oldest one as the crashing message).
 */
export interface ActorFeed<M> {
  /** Aborted when the incarnation is terminated or forced to stop; the reason says why. */
  readonly signal: AbortSignal;
  /** The actor's `messageTimeoutMs` (0 = none). */
  readonly timeoutMs: number;
  /** The actor's shutdown policy (default 5000 ms). */
  readonly shutdown: ShutdownPolicy;
  /** False once this incarnation is superseded (restart, stop, escalation): stop and return. */
  readonly current: boolean;
  /** True when the actor drains (its system closes) and nothing is left to take. */
  readonly drained: boolean;
  /** Messages that `take` would return now. */
  readonly queued: number;
  /** Takes up to `max` messages, oldest first; they are in flight until settled. */
  take(max: number): M[];
  /** The oldest `count` in-flight messages were handled successfully. */
  settle(count: number): void;
  /** This in-flight message cannot be handled at all: it counts as failed and is dead-lettered. */
  reject(message: M, error: unknown): void;
  /** The oldest in-flight message is the one that was running when the pump's crash happened. */
  blame(): void;
  /** Resolves when a message is queued (at once if one is) or on `interrupted`. */
  whenReady(): Promise<void>;
  /** Resolves when the actor is stopped, terminated, drained or forced (a reason to re-check). */
  interrupted(): Promise<void>;
}

/**
 * A behaviour that takes messages from the mailbox itself instead of one `receive` call per
 * message, for actors that run elsewhere (a Web Worker) and are fed in batches. The returned
 * promise settles when the incarnation ends: resolved for a normal end, rejected to crash.
 */
export interface PumpBehavior<M> {
  /** Runs the incarnation until `feed.current` is false or it crashes. */
  pump(feed: ActorFeed<M>): Promise<void>;
  /** Called once when this incarnation stops. */
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
  factory: () => ActorBehavior<M> | PumpBehavior<M> | Promise<ActorBehavior<M> | PumpBehavior<M>>;
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
  /** How a killable incarnation is stopped: `brutal_kill` or a grace period in ms (default 5000). */
  shutdown?: ShutdownPolicy;
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
