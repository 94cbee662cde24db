/**
 * The actor runtime: bounded mailboxes with overflow policies, actors whose state is rebuilt by
 * a factory on every restart, OTP-style supervisors, and the `ActorSystem` that ties them
 * together. It needs no Deno permission.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "./mod.ts";
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
  RestartType,
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
  MessageTimeoutError,
} from "./errors.ts";
