/**
 * A pump incarnation: a `PumpBehavior` (such as a Worker) takes messages itself through a
 * `MailboxFeed`. When it ends, what it left in flight goes back to the head of the mailbox
 * (dropped as `stopped` if the actor has stopped), except the message it blames for a crash,
 * which is booked on the cell like a crashed handler's.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { MailboxFeed } from "./actor_feed.ts";
import { ActorConfigError } from "./errors.ts";
import type { PumpBehavior } from "./types.ts";

/**
 * Runs one pump incarnation until the pump returns (its generation superseded or its drain done)
 * or rejects (the promise rejects with its error).
 *
 * @param cell the actor's state
 * @param gen the incarnation's generation
 * @param behavior the pump
 * @param controller the incarnation's abort controller
 * @param deadLetter books a message the pump could not handle at all
 * @returns resolves when the incarnation ends without a crash
 * @throws {ActorConfigError} when the pump returns while its incarnation is current
 *
 * @example
 * ```ts
 * import { Mailbox } from "@deno-tasker/tasker/actors";
 * import { ActorCell } from "./actor_cell.ts";
 * import { pumpLoop } from "./actor_pump.ts";
 * const cell = new ActorCell("batch", new Mailbox<number>(), 0, "brutal_kill");
 * cell.mailbox.offer(1);
 * cell.draining = true;
 * await pumpLoop(cell, 0, {
 *   pump: async (feed) => feed.settle(feed.take(10).length),
 * }, new AbortController(), () => {});
 * console.log(cell.processed); // 1
 * ```
 */
export async function pumpLoop<M>(
  cell: ActorCell<M>,
  gen: number,
  behavior: PumpBehavior<M>,
  controller: AbortController,
  deadLetter: (message: M, error: unknown) => void,
): Promise<void> {
  cell.pumped = true;
  const feed = new MailboxFeed<M>(
    cell.mailbox,
    {
      current: () => gen === cell.gen,
      draining: () => cell.draining,
      hasRetry: () => cell.retry !== null,
      takeRetry: () => {
        const retry = cell.retry;
        cell.retry = null;
        return retry?.message;
      },
      processed: (count) => void (cell.processed += count),
      rejected: (message, error) => {
        cell.failed++;
        deadLetter(message, error);
      },
    },
    controller.signal,
    cell.timeoutMs,
    cell.shutdown,
  );
  cell.feed = feed;
  let failure: { error: unknown } | null = null;
  try {
    await behavior.pump(feed);
  } catch (error) {
    failure = { error };
  }
  if (cell.feed === feed) cell.feed = null;
  const { blamed, unhandled } = feed.remains();
  if (blamed !== null) {
    if (failure !== null) {
      cell.inFlight = blamed.value;
      cell.hasInFlight = true;
      cell.inFlightRetry = blamed.retried;
    } else {
      unhandled.unshift(blamed.value);
    }
  }
  if (unhandled.length !== 0) {
    cell.mailbox.requeue(unhandled);
    if (cell.isFinal) cell.mailbox.discard();
  }
  if (failure !== null) throw failure.error;
  if (gen !== cell.gen) return;
  if (cell.draining && cell.mailbox.size === 0) {
    cell.settle();
    return;
  }
  throw new ActorConfigError(
    `pump of actor ${JSON.stringify(cell.name)} returned while its incarnation was current`,
  );
}
