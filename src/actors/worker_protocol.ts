/**
 * The wire between a worker-isolated actor (publisher side, `worker_actor.ts`) and the Worker
 * that runs its code (`worker_runtime.ts`). Messages cross in batches, as one JSON string per
 * batch: measured against structured clone of the same envelopes (see the fast-path benchmark),
 * it is the faster crossing. Progress does not cross as messages at all: the Worker writes it
 * into a small shared memory block the publisher reads when its watchdog fires, so a Worker stuck
 * in a synchronous loop can still be judged (and killed) by how long its message has run.
 *
 * @module
 */

/** Int32 slots of the shared control block. */
export const CONTROL = {
  /**
   * Progress: `(done mod 2^29) * 2 + running`, where `done` counts messages handled since the
   * Worker started and `running` is 1 while one runs. The Worker moves it with compare-exchange
   * and the publisher kills by exchanging it for {@link KILLED}, so exactly one side decides
   * whether the running message finished: the kill reads a value the Worker can no longer change.
   */
  progress: 0,
  /** When the running message started, in ms since `epoch` plus 1. */
  started: 1,
  /** The latest heartbeat, in ms since `epoch`. */
  beat: 2,
} as const;

/** Number of Int32 slots in the control block. */
export const CONTROL_SLOTS = 3;

/** The progress value after a kill; the Worker stops at its next step. */
export const KILLED = -1;

/** Progress counts `done` modulo this (the publisher only needs differences within a batch). */
export const PROGRESS_MODULUS = 2 ** 29;

/**
 * Encodes progress.
 *
 * @param done messages handled so far
 * @param running whether one is running
 * @returns the Int32 value of the progress slot
 *
 * @example
 * ```ts
 * import { encodeProgress } from "./worker_protocol.ts";
 * console.log(encodeProgress(3, true)); // 7
 * ```
 */
export function encodeProgress(done: number, running: boolean): number {
  return (done % PROGRESS_MODULUS) * 2 + (running ? 1 : 0);
}

/**
 * How many messages finished beyond `settled`, and whether one was running, from a progress value.
 *
 * @param value the progress slot's value (not {@link KILLED})
 * @param settled messages the publisher already counted
 * @returns the newly finished count and the running flag
 *
 * @example
 * ```ts
 * import { decodeProgress, encodeProgress } from "./worker_protocol.ts";
 * console.log(decodeProgress(encodeProgress(5, true), 3)); // { finished: 2, running: true }
 * ```
 */
export function decodeProgress(
  value: number,
  settled: number,
): { finished: number; running: boolean } {
  const done = value >> 1;
  const finished = (done - (settled % PROGRESS_MODULUS) + PROGRESS_MODULUS) % PROGRESS_MODULUS;
  return { finished, running: (value & 1) === 1 };
}

/** Publisher → Worker: start. */
export interface InitMessage {
  t: "init";
  /** The actor's name, for errors. */
  name: string;
  /** What the host module needs to build the behaviour (JSON-safe). */
  init: unknown;
  /** The shared control block. */
  control: SharedArrayBuffer;
  /** The publisher's `Date.now()` the control block's times count from. */
  epoch: number;
  /** Beat every this many ms (0 = no heartbeat). */
  beatEveryMs: number;
}

/** Publisher → Worker: messages to handle in order, as one JSON array. */
export interface BatchMessage {
  t: "batch";
  data: string;
}

/** Publisher → Worker: finish the running message, take no other, reply `stopped`. */
export interface StopMessage {
  t: "stop";
}

/** Everything the publisher sends. */
export type ToWorker = InitMessage | BatchMessage | StopMessage;

/** A thrown value, flattened so it survives the crossing. */
export interface WireError {
  name: string;
  message: string;
  stack: string;
}

/** Everything the Worker sends. */
export type FromWorker =
  /** The behaviour is built; batches may come. */
  | { t: "ready" }
  /** A batch is handled; `done` is cumulative. */
  | { t: "ack"; done: number }
  /** The behaviour could not be built, or a message's handling threw (`done` before it). */
  | { t: "crash"; done: number; during: "init" | "message"; error: WireError }
  /** Reply to `stop`: no message runs any more. */
  | { t: "stopped"; done: number };

/**
 * Flattens a thrown value for the crossing.
 *
 * @param error anything thrown
 * @returns name, message and stack as strings
 *
 * @example
 * ```ts
 * import { toWireError } from "./worker_protocol.ts";
 * console.log(toWireError(new TypeError("bad")).name); // TypeError
 * ```
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack ?? "" };
  }
  return { name: "Error", message: String(error), stack: "" };
}
