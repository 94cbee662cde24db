/**
 * The vocabulary of the in-process event bus: handlers, subscription options, publish results
 * and counters. Every subscriber is an actor with its own bounded mailbox, so these options are
 * the actor runtime's options (see `src/actors/types.ts`) under subscriber-friendly names.
 *
 * @module
 */

import type { DomainEvent } from "../events/types.ts";
import type { ActorSystem } from "../actors/system.ts";
import type {
  ActorBehavior,
  ActorState,
  ActorStats,
  DeadLetter,
  OverflowPolicy,
  RestartType,
  ShutdownPolicy,
  SupervisorOptions,
} from "../actors/types.ts";

/**
 * Handles one event. The next event for this subscriber is not taken until it settles; a throw
 * or rejection crashes the subscriber's actor, which its supervisor restarts. `signal` aborts
 * when the subscriber's `messageTimeoutMs` passes or the subscriber is stopped.
 */
export type EventHandler = (event: DomainEvent, signal: AbortSignal) => void | Promise<void>;

/** Builds a subscriber's behaviour; called again on every restart so its state is rebuilt. */
export type SubscriberFactory = () =>
  | ActorBehavior<DomainEvent>
  | Promise<ActorBehavior<DomainEvent>>;

/** How one subscriber runs. Everything is optional; unset fields take the bus defaults. */
export interface SubscribeOptions {
  /** The subscriber's (and its actor's) name, unique within the actor system. */
  name?: string;
  /** Mailbox capacity. Default 1024. */
  mailboxCapacity?: number;
  /** What a full mailbox does with a new event. Default `drop_newest`. */
  overflow?: OverflowPolicy;
  /** Restart type of the actor. Default `permanent`. */
  restart?: RestartType;
  /** Per-event deadline; an overrun aborts the handler's signal and counts as a crash. */
  messageTimeoutMs?: number;
  /** Supervision of this subscriber (strategy, intensity, period, backoff). */
  supervisor?: SupervisorOptions;
  /** Receives every event whose handling crashed the subscriber. */
  onDeadLetter?: (letter: DeadLetter<DomainEvent>) => void;
  /** Re-deliver a crashing event once to the restarted subscriber before dead-lettering it. */
  retryCrashedMessageOnce?: boolean;
  /**
   * Where the subscriber's code runs. `"in_process"` (default): on the publisher's event loop,
   * the fastest, but a synchronous loop in it blocks everyone. `"worker"`: in its own Deno Web
   * Worker loaded from `module`, fed in batches from a mailbox that stays here; it can be killed
   * (`messageTimeoutMs`, `heartbeatMs`) and given its own `permissions`.
   */
  isolation?: "in_process" | "worker";
  /**
   * The module an isolated subscriber's Worker imports, as an absolute URL (`import.meta.url`,
   * `new URL("./audit.ts", import.meta.url)`). Keep it free of top-level side effects: the
   * Worker runs it too.
   */
  module?: string | URL;
  /**
   * The export of `module` to run: a `Subscriber` class or an `EventHandler` function. Default
   * the class name for a class-style subscriber, else `"default"`.
   */
  export?: string;
  /**
   * An isolated subscriber's own Deno permissions (Deno's Worker permission descriptor, e.g.
   * `{ net: ["metrics.internal:9090"] }` or `"none"`). Anything but `"inherit"` (the default)
   * needs Deno's `--unstable-worker-options`; without it `subscribe` throws
   * `WorkerPermissionsUnavailableError` rather than run the code with the parent's permissions.
   */
  permissions?: Deno.PermissionOptions;
  /** An isolated subscriber whose Worker shows no life for this long is killed (0 = never). */
  heartbeatMs?: number;
  /**
   * How an isolated subscriber is stopped (unsubscribe, close, sibling restart): `"brutal_kill"`
   * terminates its Worker at once; a number of ms lets it finish its running event first.
   * Default 5000.
   */
  shutdown?: ShutdownPolicy;
}

/** The options of a subscriber whose code runs in its own Worker. */
export type IsolatedSubscribeOptions = SubscribeOptions & {
  isolation: "worker";
  module: string | URL;
};

/** What one `publish` did. */
export interface PublishResult {
  /** Subscribers whose patterns matched the event name. */
  matched: number;
  /** Mailboxes that accepted the event. */
  enqueued: number;
  /**
   * Drops this publish caused: events refused by full or stopped mailboxes, plus older events
   * evicted by `drop_oldest` mailboxes to make room (those still count in `enqueued`).
   */
  dropped: number;
}

/** The bus's own counters. */
export interface BusStats {
  /** Events handed to `publish` or `publishAndWait`. */
  published: number;
  /** Offers accepted by a mailbox (one event matched by three subscribers counts three). */
  delivered: number;
  /** Drops caused at offer time (full, evicted, deadline, stopped). */
  dropped: number;
  /** Published events that matched no subscriber. */
  no_subscriber: number;
  /** Events refused outright: the bus was closed, or the value had no string `event_name`. */
  rejected: number;
  /** Subscribers currently attached. */
  subscribers: number;
}

/** One attached subscriber, as `EventBus.subscribers()` lists it. */
export interface SubscriberInfo {
  /** The subscriber's name. */
  name: string;
  /** Its patterns, as written. */
  patterns: string[];
  /** Its actor's state. */
  state: ActorState;
  /** Its actor's counters. */
  actor: ActorStats;
}

/** A handle to one subscription. */
export interface Subscription {
  /** The subscriber's name (its actor's name). */
  readonly name: string;
  /** Its patterns, as written. */
  readonly patterns: readonly string[];
  /** Its actor's counters. */
  stats(): ActorStats;
  /**
   * Detaches the subscriber: no new events reach it, queued ones are handled within
   * `deadlineMs` (default 5000; then dropped as `stopped` and a stuck handler's signal aborted),
   * and its actor leaves the system. Idempotent.
   */
  unsubscribe(options?: { deadlineMs?: number }): Promise<void>;
}

/** Defaults applied to every subscriber of a bus unless its own options say otherwise. */
export type SubscribeDefaults = Omit<
  SubscribeOptions,
  "name" | "onDeadLetter" | "module" | "export"
>;

/** How to build an `EventBus`. */
export interface EventBusOptions {
  /** The actor system to spawn subscribers in. When omitted the bus creates and owns one. */
  system?: ActorSystem;
  /** Options applied to every subscriber unless its own options override them. */
  defaults?: SubscribeDefaults;
}

/** What the publisher side passes as the Worker's `init`. */
export interface IsolatedSubscriberInit {
  /** The subscriber's module, for errors. */
  module: string;
  /** The export to run. */
  export: string;
}
