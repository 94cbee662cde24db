/**
 * The actor runtime: bounded mailboxes with overflow policies, actors whose state is rebuilt by a
 * factory on every restart, OTP-style supervisors, and the `ActorSystem` that ties them together.
 * In-process actors need no Deno permission; worker-isolated ones (`worker_actor.ts`) need read
 * access to the modules their Worker loads. The `./actors` entry (`actors/mod.ts`) publishes all
 * of this with the bus's actor-level types and the ready-made subscriber actors; this index sits
 * below the bus, so it imports neither.
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
