/**
 * The `./actors` entry: the actor runtime. Bounded mailboxes with overflow policies, actors whose
 * state is rebuilt by a factory on every restart, OTP-style supervisors, and the `ActorSystem`
 * that ties them together. In-process actors need no Deno permission; worker-isolated ones
 * (`worker_actor.ts`) need read access to the modules their Worker loads.
 *
 * The bus of the root entry runs each subscriber as an actor here, so this entry also holds the
 * bus's actor-level types (`SubscribeDefaults`, `IsolatedSubscribeOptions`, `SubscriberFactory`,
 * `SubscriberClass`, the bus's and the registry's statistics), and the ready-made subscriber
 * actors: `LoggingSubscriber` (one JSON line per event) and `MetricsSubscriber` (counts by event
 * name, namespace and outcome).
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@deno-tasker/tasker/actors";
 * await using system = new ActorSystem({ onDeadLetter: (l) => console.error(l.actor, l.error) });
 * const audit = system.spawn<string>({
 *   name: "audit",
 *   factory: () => ({ receive: async (line) => console.log(line) }),
 *   mailbox: { capacity: 1024, overflow: "drop_newest" },
 *   messageTimeoutMs: 5000,
 * });
 * audit.tell("started");
 * ```
 *
 * @module
 */

export type {
  ActorBehavior,
  ActorFeed,
  ActorRef,
  ActorSpec,
  ActorState,
  ActorStats,
  ActorSystemStats,
  BackoffOptions,
  DeadLetter,
  DropReason,
  Escalation,
  OfferOutcome,
  OverflowPolicy,
  PumpBehavior,
  RestartType,
  ShutdownPolicy,
  SupervisionStrategy,
  SupervisorOptions,
} from "./types.ts";
export { DEFAULT_MAILBOX_CAPACITY, Mailbox, type MailboxOptions } from "./mailbox.ts";
export { backoffDelay } from "./backoff.ts";
export { Supervisor, type SupervisorContext } from "./supervisor.ts";
export { ActorSystem, type ActorSystemOptions } from "./system.ts";
export {
  ActorConfigError,
  ActorExit,
  ActorNameTakenError,
  ActorStoppedError,
  ActorSystemClosedError,
  HeartbeatTimeoutError,
  MessageTimeoutError,
  WorkerActorError,
  WorkerPermissionsUnavailableError,
} from "./errors.ts";
export {
  DEFAULT_WORKER_BATCH,
  workerActorFactory,
  type WorkerActorOptions,
} from "./worker_actor.ts";
export { serveWorkerActor, type WorkerBehaviorBuilder } from "./worker_runtime.ts";
export {
  WORKER_OPTIONS_ENV,
  WORKER_OPTIONS_FLAG,
  workerOptionsFlag,
  type WorkerOptionsFlagState,
} from "./worker_flag.ts";

// The bus's subscribers as actors: their options, factories and statistics.
export type {
  BusStats,
  IsolatedSubscribeOptions,
  PublishResult,
  SubscribeDefaults,
  SubscriberFactory,
  SubscriberInfo,
} from "../bus/mod.ts";
export type {
  RegisteredSubscriberInfo,
  SubscriberClass,
  SubscriberRegistryStats,
  SubscriberSource,
} from "../bus/mod.ts";

// Ready-made subscriber actors.
export {
  createLoggingSubscriber,
  createMetricsSubscriber,
  type EventLogLine,
  formatEventLogLine,
  LoggingSubscriber,
  type LoggingSubscriberOptions,
  type LogSink,
  MetricsCollector,
  type MetricsSnapshot,
  MetricsSubscriber,
  type MetricsSubscriberOptions,
} from "../../actors/mod.ts";
