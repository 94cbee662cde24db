/**
 * What an actor and its supervisor agree on: the checked spec, the hooks an actor calls on its
 * parent, and how an incarnation ended.
 *
 * @module
 */

import { ActorConfigError } from "./errors.ts";
import type { ActorSpec, DeadLetter, RestartType, ShutdownPolicy } from "./types.ts";

/** Default grace period of a killable incarnation at stop, as OTP's default for workers. */
export const DEFAULT_SHUTDOWN_MS = 5000;

const RESTART_TYPES: readonly RestartType[] = ["permanent", "transient", "temporary"];

/** How an incarnation ended, as reported to the supervisor. */
export interface IncarnationEnd {
  /** The crash error, or the `ActorExit` of a normal exit. */
  error: unknown;
  /** Whether the handler ended the actor normally with `ActorExit`. */
  normal: boolean;
  /** The message being handled, if the end happened inside a handler. */
  message: { value: unknown } | null;
  /** Whether that message was already a re-delivery (`retryCrashedMessageOnce`). */
  retried: boolean;
}

/**
 * What an actor needs from its supervisor. `Child` is the actor type the parent is told about
 * (`Actor<unknown>`): a parameter rather than an import, so this contract does not depend on the
 * actor that implements it (no `actor.ts` ↔ `actor_contract.ts` circle).
 */
export interface ActorParent<Child> {
  /** The current incarnation crashed or exited normally; the parent restarts, stops or escalates. */
  incarnationEnded(actor: Child, end: IncarnationEnd): void;
  /** `stop()` finished: the actor leaves its supervisor and its system. */
  actorStopped(actor: Child): void;
  /** Dead-letter hook for actors without their own. */
  readonly deadLetter: ((letter: DeadLetter<unknown>) => void) | undefined;
  /** The clock, in milliseconds. */
  now(): number;
}

/**
 * Checks the fields of an actor spec that the mailbox does not check itself.
 *
 * @param spec the spec to check
 * @returns the restart type, message timeout (0 = none) and shutdown policy, defaults filled in
 * @throws {ActorConfigError} naming the actor and the field when one is invalid
 *
 * @example
 * ```ts
 * import { checkActorSpec } from "./actor_contract.ts";
 * const { restart } = checkActorSpec({ name: "a", factory: () => ({ receive() {} }) });
 * console.log(restart); // permanent
 * ```
 */
export function checkActorSpec<M>(
  spec: ActorSpec<M>,
): { restart: RestartType; timeoutMs: number; shutdown: ShutdownPolicy } {
  if (typeof spec.name !== "string" || spec.name.length === 0) {
    throw new ActorConfigError(`actor name must be a non-empty string, got ${String(spec.name)}`);
  }
  const label = JSON.stringify(spec.name);
  if (typeof spec.factory !== "function") {
    throw new ActorConfigError(`factory of actor ${label} must be a function`);
  }
  const restart = spec.restart ?? "permanent";
  if (!RESTART_TYPES.includes(restart)) {
    throw new ActorConfigError(
      `restart of actor ${label} must be one of ${RESTART_TYPES.join(", ")}, got ${
        String(restart)
      }`,
    );
  }
  const timeoutMs = spec.messageTimeoutMs ?? 0;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new ActorConfigError(
      `messageTimeoutMs of actor ${label} must be a non-negative number, got ${String(timeoutMs)}`,
    );
  }
  const shutdown = spec.shutdown ?? DEFAULT_SHUTDOWN_MS;
  if (shutdown !== "brutal_kill" && (!Number.isFinite(shutdown) || shutdown < 0)) {
    throw new ActorConfigError(
      `shutdown of actor ${label} must be "brutal_kill" or a non-negative number of ms, got ${
        String(shutdown)
      }`,
    );
  }
  return { restart, timeoutMs, shutdown };
}
