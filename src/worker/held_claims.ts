/**
 * The claims a worker holds while their handlers run and their outcomes are recorded: renewed
 * together in one statement every third of a lease, aborted together at shutdown, released
 * (attempt handed back, message visible at once) when a handler was interrupted or abandoned.
 * A claim that is no longer the worker's, or that it could not renew for a whole lease, aborts
 * its handler with `ClaimLostError`.
 *
 * @module
 */

import { errorMessage as text } from "../error_message.ts";
import type { Queryable } from "../durable/db/database.ts";
import { type HeldClaim, releaseClaims, renewClaims } from "./claim_leases.ts";
import type { ClaimedStep } from "./step_store.ts";
import { ClaimLostError } from "./worker_errors.ts";

/** A claim this worker holds while its handler runs and its outcome is recorded. */
export interface Held extends HeldClaim {
  claim: ClaimedStep;
  /** Aborts the handler: shutdown, a lost claim, or a lease that could not be renewed. */
  abort: AbortController;
  /** When the lease was last confirmed (`performance.now()`). */
  renewedAt: number;
  /** Handed to the committer: the outcome exists, only its recording is pending. */
  recording: boolean;
  /** Aborted by shutdown or an unrenewable lease: a failure is released, not recorded. */
  interrupted: boolean;
  /** Another worker or an operator took the step: record nothing. */
  lost: boolean;
  /** Released at shutdown while its handler still ran: whatever it returns is void. */
  abandoned: boolean;
}

/** Where {@link HeldClaims} renews and releases. */
export interface HeldClaimsOptions {
  /** The task engine's database. */
  db: Queryable;
  /** The holder. */
  workerId: string;
  /** The lease, in seconds. */
  leaseSeconds: number;
}

/**
 * A worker's held claims.
 *
 * @example
 * ```ts ignore
 * const held = new HeldClaims({ db, workerId, leaseSeconds: 30 });
 * const claim = held.hold(claimedStep);
 * await held.renew();
 * ```
 */
export class HeldClaims {
  readonly #options: HeldClaimsOptions;
  readonly #held = new Map<string, Held>();
  #renewFailing = false;
  /** Claims released (handed back) so far. */
  released = 0;
  /** Handlers abandoned at shutdown so far. */
  abandoned = 0;

  /**
   * Creates the set.
   *
   * @param options database, holder and lease
   */
  constructor(options: HeldClaimsOptions) {
    this.#options = options;
  }

  /** Holds `claim` from now on. */
  hold(claim: ClaimedStep): Held {
    const held: Held = {
      step_uuid: claim.step.step_uuid,
      source: claim.source,
      claim,
      abort: new AbortController(),
      renewedAt: performance.now(),
      recording: false,
      interrupted: false,
      lost: false,
      abandoned: false,
    };
    this.#held.set(held.step_uuid, held);
    return held;
  }

  /** Stops holding `held` (its outcome is recorded, or it was given up). */
  drop(held: Held): void {
    this.#held.delete(held.step_uuid);
  }

  /** Aborts every held handler's signal with `reason`; their failures will be released. */
  interruptAll(reason: unknown): void {
    for (const held of this.#held.values()) {
      held.interrupted = true;
      held.abort.abort(reason);
    }
  }

  /** Hands `held` back: claim cleared, message visible at once, attempt not consumed. */
  async release(held: Held): Promise<void> {
    try {
      // Not `+= await`: that reads the counter before the await and loses concurrent releases.
      const released = await releaseClaims(this.#options.db, [held], this.#options.workerId);
      this.released += released;
    } catch (error) {
      console.error(
        `deno-tasker: worker ${this.#options.workerId} could not release step ${held.claim.step.name} (it returns when its lease ends): ${
          text(error)
        }`,
      );
    }
  }

  /** Releases the claims of handlers that ignored their aborted signal; their results are void. */
  async abandonRunning(): Promise<void> {
    const { db, workerId } = this.#options;
    const running = [...this.#held.values()].filter((h) => !h.recording);
    for (const held of running) held.abandoned = true;
    this.abandoned += running.length;
    try {
      const released = await releaseClaims(db, running, workerId);
      this.released += released;
    } catch (error) {
      console.error(
        `deno-tasker: worker ${workerId} could not release ${running.length} abandoned claims (they return when their leases end): ${
          text(error)
        }`,
      );
    }
    console.error(
      `deno-tasker: worker ${workerId} abandoned ${running.length} step handler(s) that did not stop after the shutdown deadline; their steps were released`,
    );
  }

  /**
   * Renews every held claim in one statement. A claim that is no longer ours is lost: its
   * handler is aborted and its outcome will not be recorded. A claim this worker could not renew
   * for a whole lease may be taken by another worker: its handler is aborted too.
   */
  async renew(): Promise<void> {
    const { db, workerId, leaseSeconds } = this.#options;
    const held = [...this.#held.values()].filter((h) => !h.abandoned && !h.lost);
    if (held.length === 0) return;
    const asked = performance.now();
    try {
      const kept = await renewClaims(db, held, workerId, leaseSeconds);
      this.#renewFailing = false;
      for (const h of held) {
        if (kept.has(h.step_uuid)) h.renewedAt = asked;
        else if (!h.recording && this.#held.has(h.step_uuid)) {
          h.lost = true;
          h.abort.abort(
            new ClaimLostError(h.claim.step.name, "another worker or an operator took the step"),
          );
        }
      }
    } catch (error) {
      if (!this.#renewFailing) {
        console.error(`deno-tasker: worker ${workerId} could not renew its claims: ${text(error)}`);
      }
      this.#renewFailing = true;
    }
    const expired = performance.now() - leaseSeconds * 1000;
    for (const h of held) {
      if (h.renewedAt > expired || h.recording || h.interrupted) continue;
      h.interrupted = true;
      h.abort.abort(
        new ClaimLostError(h.claim.step.name, "its lease expired before it could be renewed"),
      );
    }
  }
}
