/**
 * The typed errors of the actor runtime. Each names the actor (or option) it is about, so a log
 * line alone says which subscriber misbehaved.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";

/**
 * An actor spec, mailbox or supervisor option has an invalid value.
 *
 * @example
 * ```ts
 * import { ActorConfigError } from "@deno-tasker/tasker/actors";
 * const error = new ActorConfigError('mailbox.capacity of actor "audit" must be a positive integer, got 0');
 * console.log(error.code); // E_ACTOR_CONFIG
 * ```
 */
export class ActorConfigError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what is wrong, naming the actor or option and the value
   */
  constructor(message: string) {
    super("E_ACTOR_CONFIG", message);
  }
}

/**
 * `spawn` was called with a name that a live actor of the same system already has.
 *
 * @example
 * ```ts
 * import { ActorNameTakenError } from "@deno-tasker/tasker/actors";
 * const error = new ActorNameTakenError("audit");
 * console.log(error.actor); // audit
 * ```
 */
export class ActorNameTakenError extends TaskerError {
  /** The name that is taken. */
  readonly actor: string;
  /**
   * Creates the error.
   *
   * @param actor the duplicate actor name
   */
  constructor(actor: string) {
    super(
      "E_ACTOR_NAME_TAKEN",
      `actor name ${JSON.stringify(actor)} is already taken in this actor system`,
    );
    this.actor = actor;
  }
}

/**
 * `spawn` or `spawnSupervisor` was called on a system (or supervisor) that is closing or closed.
 *
 * @example
 * ```ts
 * import { ActorSystemClosedError } from "@deno-tasker/tasker/actors";
 * const error = new ActorSystemClosedError("audit");
 * console.log(error.code); // E_ACTOR_SYSTEM_CLOSED
 * ```
 */
export class ActorSystemClosedError extends TaskerError {
  /** The actor or supervisor that could not be started. */
  readonly actor: string;
  /**
   * Creates the error.
   *
   * @param actor the name that was being spawned
   */
  constructor(actor: string) {
    super(
      "E_ACTOR_SYSTEM_CLOSED",
      `cannot spawn ${JSON.stringify(actor)}: the actor system is closed`,
    );
    this.actor = actor;
  }
}

/**
 * A handler ran past its actor's `messageTimeoutMs`. The actor's signal is aborted with this error
 * and the actor crashes with it, so it reaches the dead-letter hook and the supervisor.
 *
 * @example
 * ```ts
 * import { MessageTimeoutError } from "@deno-tasker/tasker/actors";
 * const error = new MessageTimeoutError("audit", 250);
 * console.log(error.timeoutMs); // 250
 * ```
 */
export class MessageTimeoutError extends TaskerError {
  /** The actor whose handler overran. */
  readonly actor: string;
  /** Its `messageTimeoutMs`. */
  readonly timeoutMs: number;
  /**
   * Creates the error.
   *
   * @param actor the actor's name
   * @param timeoutMs the deadline that passed
   */
  constructor(actor: string, timeoutMs: number) {
    super(
      "E_ACTOR_MESSAGE_TIMEOUT",
      `actor ${
        JSON.stringify(actor)
      } did not finish a message within messageTimeoutMs=${timeoutMs}`,
    );
    this.actor = actor;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The reason an actor's signal is aborted when it is stopped from outside while handling a
 * message: its sibling crashed (`one_for_all`, `rest_for_one`) or its system closed past the
 * deadline.
 *
 * @example
 * ```ts
 * import { ActorStoppedError } from "@deno-tasker/tasker/actors";
 * const error = new ActorStoppedError("audit", "its actor system closed");
 * console.log(error.message);
 * ```
 */
export class ActorStoppedError extends TaskerError {
  /** The actor that was stopped. */
  readonly actor: string;
  /**
   * Creates the error.
   *
   * @param actor the actor's name
   * @param why why it was stopped, in words
   */
  constructor(actor: string, why: string) {
    super("E_ACTOR_STOPPED", `actor ${JSON.stringify(actor)} was stopped: ${why}`);
    this.actor = actor;
  }
}

/**
 * Thrown by a handler to end its actor NORMALLY (OTP's `exit(normal)`): the message counts as
 * processed, nothing is dead-lettered, and only a `permanent` actor is restarted; `transient`
 * and `temporary` actors stop, their remaining messages dropped as `stopped`.
 *
 * @example
 * ```ts
 * import { ActorExit } from "@deno-tasker/tasker/actors";
 * const behavior = {
 *   receive(message: string) {
 *     if (message === "done") throw new ActorExit("job finished");
 *   },
 * };
 * ```
 */
export class ActorExit extends TaskerError {
  /**
   * Creates the error.
   *
   * @param reason why the actor ends, for logs
   */
  constructor(reason = "normal exit") {
    super("E_ACTOR_EXIT", reason);
  }
}

/**
 * A worker-isolated actor's Worker stopped showing signs of life for `heartbeatMs` (its event
 * loop is blocked, typically by a synchronous loop). The Worker is terminated and the actor
 * crashes with this error.
 *
 * @example
 * ```ts
 * import { HeartbeatTimeoutError } from "@deno-tasker/tasker/actors";
 * const error = new HeartbeatTimeoutError("exporter", 1000);
 * console.log(error.code); // E_ACTOR_HEARTBEAT_TIMEOUT
 * ```
 */
export class HeartbeatTimeoutError extends TaskerError {
  /** The actor whose Worker stopped beating. */
  readonly actor: string;
  /** Its `heartbeatMs`. */
  readonly heartbeatMs: number;
  /**
   * Creates the error.
   *
   * @param actor the actor's name
   * @param heartbeatMs the silence that was exceeded
   */
  constructor(actor: string, heartbeatMs: number) {
    super(
      "E_ACTOR_HEARTBEAT_TIMEOUT",
      `the Worker of actor ${
        JSON.stringify(actor)
      } showed no heartbeat for heartbeatMs=${heartbeatMs}; it was terminated`,
    );
    this.actor = actor;
    this.heartbeatMs = heartbeatMs;
  }
}

/**
 * What a worker-isolated actor's code threw (or what its Worker died of), carried across the
 * isolate boundary: the original class is lost there, so its name, message and stack are kept.
 *
 * @example
 * ```ts
 * import { WorkerActorError } from "@deno-tasker/tasker/actors";
 * const error = new WorkerActorError("exporter", "TypeError", "x is undefined", "");
 * console.log(error.errorName); // TypeError
 * ```
 */
export class WorkerActorError extends TaskerError {
  /** The actor whose Worker failed. */
  readonly actor: string;
  /** The original error's name (`TypeError`, a custom class name...). */
  readonly errorName: string;
  /** The original stack, as the Worker saw it. */
  readonly workerStack: string;
  /**
   * Creates the error.
   *
   * @param actor the actor's name
   * @param errorName the original error's name
   * @param message the original message
   * @param workerStack the original stack
   */
  constructor(actor: string, errorName: string, message: string, workerStack: string) {
    super(
      "E_ACTOR_WORKER_FAILED",
      `actor ${JSON.stringify(actor)} failed in its Worker: ${errorName}: ${message}`,
    );
    this.actor = actor;
    this.errorName = errorName;
    this.workerStack = workerStack;
  }
}

/**
 * An actor asks for its own Deno permissions (`permissions` narrower than `"inherit"`), which
 * Deno grants only with `--unstable-worker-options`, and the flag is absent (or could not be
 * confirmed). The actor is refused rather than run with the parent's permissions.
 *
 * @example
 * ```ts
 * import { WorkerPermissionsUnavailableError } from "@deno-tasker/tasker/actors";
 * const error = new WorkerPermissionsUnavailableError("exporter", "flag absent");
 * console.log(error.flag); // --unstable-worker-options
 * ```
 */
export class WorkerPermissionsUnavailableError extends TaskerError {
  /** The actor that was refused. */
  readonly actor: string;
  /** The Deno flag that is needed. */
  readonly flag = "--unstable-worker-options";
  /**
   * Creates the error.
   *
   * @param actor the actor's name
   * @param why what detection found
   */
  constructor(actor: string, why: string) {
    super(
      "E_WORKER_PERMISSIONS_UNAVAILABLE",
      `actor ${JSON.stringify(actor)} asks for its own Deno permissions, which need Deno's ` +
        `--unstable-worker-options flag (${why}); run with --unstable-worker-options, or drop ` +
        `"permissions" to inherit the parent's. It was not started.`,
    );
    this.actor = actor;
  }
}
