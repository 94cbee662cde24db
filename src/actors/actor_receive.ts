/**
 * The in-process incarnation loop: feeds an `ActorBehavior` one message at a time. It is the hot
 * path of the event bus: it polls the mailbox synchronously while messages are queued, awaits
 * only handlers that return a promise, and parks on a single promise (no timer) when idle.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { MessageTimeoutError } from "./errors.ts";
import type { ActorBehavior } from "./types.ts";

/** Sync handlers run in batches; every this many messages the loop yields to other actors. */
const YIELD_EVERY = 256;

/**
 * Runs one in-process incarnation until its generation is superseded, its drain finishes, or a
 * handler throws (the promise rejects; `cell.inFlight` names the message).
 *
 * @param cell the actor's state
 * @param gen the incarnation's generation
 * @param behavior what handles the messages
 * @param controller the incarnation's abort controller (aborted by a message timeout)
 * @returns resolves when the incarnation ends without a crash
 *
 * @example
 * ```ts
 * import { Mailbox } from "@deno-tasker/tasker/actors";
 * import { ActorCell } from "./actor_cell.ts";
 * import { receiveLoop } from "./actor_receive.ts";
 * const cell = new ActorCell("echo", new Mailbox<string>(), 0, "brutal_kill");
 * cell.mailbox.offer("hello");
 * cell.draining = true; // stop once the mailbox is empty
 * await receiveLoop(cell, 0, { receive: (line) => console.log(line) }, new AbortController());
 * ```
 */
export async function receiveLoop<M>(
  cell: ActorCell<M>,
  gen: number,
  behavior: ActorBehavior<M>,
  controller: AbortController,
): Promise<void> {
  const mailbox = cell.mailbox;
  const signal = controller.signal;
  const timed = cell.timeoutMs > 0;
  const retry = cell.retry;
  if (retry !== null && gen === cell.gen) {
    cell.retry = null;
    cell.inFlight = retry.message;
    cell.hasInFlight = true;
    cell.inFlightRetry = true;
    const result = behavior.receive(retry.message, signal);
    if (result != null && typeof result.then === "function") {
      await (timed ? race(cell, result, controller) : result);
    }
    cell.hasInFlight = false;
    cell.inFlightRetry = false;
    cell.processed++;
  }
  let batch = 0;
  for (;;) {
    if (gen !== cell.gen) return;
    if (mailbox.size === 0) {
      cell.inFlight = undefined;
      if (cell.draining) {
        cell.settle();
        return;
      }
      batch = 0;
      await mailbox.whenReady();
      continue;
    }
    const message = mailbox.poll() as M;
    cell.inFlight = message;
    cell.hasInFlight = true;
    const result = behavior.receive(message, signal);
    if (result != null && typeof result.then === "function") {
      await (timed ? race(cell, result, controller) : result);
      cell.hasInFlight = false;
      cell.processed++;
    } else {
      cell.hasInFlight = false;
      cell.processed++;
      if (++batch === YIELD_EVERY) {
        batch = 0;
        await undefined; // let other actors' loops run between batches of sync handlers
      }
    }
  }
}

/**
 * Waits for a handler's promise, failing with `MessageTimeoutError` past the deadline. While it
 * waits, `cell.cancel` stops the wait (a forced stop does not wait for the handler).
 */
function race<M>(
  cell: ActorCell<M>,
  result: PromiseLike<void>,
  controller: AbortController,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancel = (reason: unknown): void => {
      clearTimeout(timer);
      if (cell.cancel === cancel) cell.cancel = null;
      reject(reason);
    };
    const timer = setTimeout(() => {
      const error = new MessageTimeoutError(cell.name, cell.timeoutMs);
      if (!controller.signal.aborted) controller.abort(error);
      cancel(error);
    }, cell.timeoutMs);
    cell.cancel = cancel;
    result.then(() => {
      clearTimeout(timer);
      if (cell.cancel === cancel) cell.cancel = null;
      resolve();
    }, cancel);
  });
}
