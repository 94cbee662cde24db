/**
 * Group commit for step outcomes. Handlers finish one by one; their outcomes wait here and are
 * recorded together, one transaction per group, with at most `maxInFlight` transactions in flight
 * (one by default). Under load the groups grow by themselves (everything that finished during
 * the previous transaction forms the next group), so the cost per step falls as throughput rises;
 * when idle, a lone outcome is written after one turn of the event loop.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { Database, Queryable } from "../durable/db/database.ts";
import { DatabaseClosedError, DatabaseUnavailableError } from "../durable/db/errors.ts";
import { backoffDelay } from "../backoff.ts";
import { describeError, sqlState } from "../durable/writer/errors.ts";
import { type RecordedOutcome, recordOutcomes } from "./step_outcomes.ts";
import type { StepOutcomeRecord } from "./outcome_record.ts";
import { failure } from "./step_handler.ts";
import { domainEventsQueue } from "../names.ts";
import type { TransactionalEvents } from "../durable/writer/within.ts";

interface Waiting {
  record: StepOutcomeRecord;
  resolve: (outcome: RecordedOutcome | null) => void;
  reject: (error: unknown) => void;
}

/** Tuning of the {@link OutcomeCommitter}. */
export interface CommitterOptions {
  /** Most outcomes per transaction. Default 200. */
  maxGroup?: number;
  /**
   * Most group transactions in flight at once. Default 1. With 2 on a server, while one group's
   * transaction runs there the steps the other group claimed run here, so the worker's CPU and
   * the server's overlap instead of taking turns (the worker asks for 2 from concurrency 50 up).
   */
  maxInFlight?: number;
  /** Attempts per group when the database fails (with backoff between). Default 5. */
  attempts?: number;
  /** Where steps' durable events are written within the group's transaction (see `recordOutcomes`). */
  events?: TransactionalEvents;
  /** The worker's next claims, made in each group's transaction. */
  claims?: FollowOnClaims;
  /** Records each group's step transitions with this actor (see `recordOutcomes`). */
  transitionActor?: string;
}

/**
 * Claims made inside a commit's transaction: while outcomes commit, the worker claims as many
 * next steps as it has free slots — including the successors the same transaction just
 * released — so under load each cycle is one transaction, not a claim and a commit.
 */
export interface FollowOnClaims {
  /** Reserves the worker's free slots for this transaction; 0 when none (or stopping). */
  reserve(): number;
  /** Claims up to `slots` steps through `tx`; returns what starts them once committed. */
  claim(tx: Queryable, slots: number): Promise<() => void>;
  /** Gives the reserved slots back (after the transaction, committed or not). */
  release(slots: number): void;
}

/**
 * Records outcomes in groups.
 *
 * @example
 * ```ts ignore
 * const committer = new OutcomeCommitter(db, workerId);
 * const outcome = await committer.record(record);
 * ```
 */
export class OutcomeCommitter {
  readonly #db: Database;
  readonly #workerId: string;
  readonly #maxGroup: number;
  readonly #attempts: number;
  readonly #events: TransactionalEvents | undefined;
  readonly #claims: FollowOnClaims | undefined;
  readonly #transitionActor: string | undefined;
  readonly #maxInFlight: number;
  #waiting: Waiting[] = [];
  /** The group transactions running now. */
  #flights = new Set<Promise<void>>();
  /** A flight starts at the next turn of the event loop. */
  #scheduled = false;
  #groups = 0;
  #recorded = 0;
  #busyMs = 0;
  #isolations = 0;

  /**
   * Creates a committer for one worker.
   *
   * @param db the task engine's database
   * @param workerId the worker whose claims are recorded
   * @param options group size and retry attempts
   */
  constructor(db: Database, workerId: string, options: CommitterOptions = {}) {
    this.#db = db;
    this.#workerId = workerId;
    this.#maxGroup = Math.max(1, options.maxGroup ?? 200);
    this.#attempts = Math.max(1, options.attempts ?? 5);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.#events = options.events;
    this.#claims = options.claims;
    this.#transitionActor = options.transitionActor;
  }

  /**
   * Transactions committed, outcomes recorded (mean group size = recorded / groups), the
   * milliseconds spent inside recording transactions, and how often a group the database refused
   * was split to isolate the outcome it choked on.
   */
  stats(): { groups: number; recorded: number; busy_ms: number; isolations: number } {
    return {
      groups: this.#groups,
      recorded: this.#recorded,
      busy_ms: this.#busyMs,
      isolations: this.#isolations,
    };
  }

  /**
   * Queues an outcome; resolves once its group is committed (`null`: the claim was lost).
   * Rejects when the database failed every attempt: the step's message then becomes visible
   * again after its lease, and the step runs again.
   */
  record(record: StepOutcomeRecord): Promise<RecordedOutcome | null> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ record, resolve, reject });
      this.#schedule();
    });
  }

  /** Whether outcomes are waiting or being written (their transaction will claim next steps). */
  get busy(): boolean {
    return this.#scheduled || this.#flights.size > 0;
  }

  /** Resolves when nothing is waiting or being written. */
  async idle(): Promise<void> {
    while (this.busy) {
      if (this.#flights.size > 0) await Promise.race(this.#flights);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Most group transactions in flight at once (see {@link CommitterOptions.maxInFlight}). */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Starts a flight at the next turn of the event loop, if one more may fly. */
  #schedule(): void {
    if (this.#scheduled || this.#flights.size >= this.#maxInFlight) return;
    this.#scheduled = true;
    // One turn of the event loop lets handlers finishing in the same tick join the group.
    // `setImmediate`, not `setTimeout(0)`: Deno's zero timeout waits about 2 ms, on every idle
    // step and every cycle at low concurrency.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#waiting.length === 0 || this.#flights.size >= this.#maxInFlight) return;
      const flight = this.#fly().finally(() => {
        this.#flights.delete(flight);
        if (this.#waiting.length > 0) this.#schedule();
      });
      this.#flights.add(flight);
    });
  }

  /** Commits groups while outcomes wait; another flight takes the groups formed meanwhile. */
  async #fly(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0, this.#maxGroup);
      // Outcomes arriving while this group commits may form the next flight's group.
      this.#schedule();
      await this.#commit(group);
    }
  }

  /**
   * Commits a group, retrying while the database is unavailable or busy. A group that the
   * database rejects for its content is split in halves until the culprit stands alone, so one
   * bad outcome never holds back the others; the culprit is recorded as a failure instead.
   */
  async #commit(group: Waiting[]): Promise<void> {
    let lastError: unknown;
    let recreated = false;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      const started = performance.now();
      const slots = this.#claims?.reserve() ?? 0;
      let start: (() => void) | undefined;
      try {
        const claims = this.#claims;
        const outcomes = await recordOutcomes(
          this.#db,
          group.map((w) => w.record),
          this.#workerId,
          {
            ...(this.#events ? { events: this.#events } : {}),
            ...(this.#transitionActor ? { transitionActor: this.#transitionActor } : {}),
            ...(claims && slots > 0
              ? { alsoInTransaction: async (tx) => void (start = await claims.claim(tx, slots)) }
              : {}),
          },
        ).finally(() => {
          if (slots > 0) this.#claims!.release(slots);
        });
        start?.();
        this.#busyMs += performance.now() - started;
        this.#groups++;
        this.#recorded += outcomes.filter((o) => o !== null).length;
        group.forEach((w, i) => w.resolve(outcomes[i] ?? null));
        return;
      } catch (error) {
        this.#busyMs += performance.now() - started;
        lastError = error;
        if (this.#events && !recreated && sqlState(error) === UNDEFINED_TABLE) {
          // An events queue was dropped after this process created it: create it again and
          // retry, rather than blame the outcomes (publishing never fails a step).
          recreated = true;
          this.#events.forgetQueues(
            group.map((w) => domainEventsQueue(w.record.claim.task.namespace)),
          );
          attempt--;
          continue;
        }
        if (!isTransient(error)) return await this.#isolate(group, error);
        if (attempt < this.#attempts) {
          await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, 50, 2000)));
        }
      }
    }
    for (const w of group) w.reject(lastError);
  }

  async #isolate(group: Waiting[], error: unknown): Promise<void> {
    if (error instanceof DatabaseClosedError) {
      for (const w of group) w.reject(error);
      return;
    }
    this.#isolations++;
    if (group.length > 1) {
      const half = Math.ceil(group.length / 2);
      await this.#commit(group.slice(0, half));
      await this.#commit(group.slice(half));
      return;
    }
    const waiting = group[0]!;
    const { record } = waiting;
    if (record.fallback === "bare") {
      // Even the bare failure could not be written: leave the step to its lease.
      waiting.reject(error);
      return;
    }
    // The outcome alone is refused: record a failure that says why, with the step's failure
    // events; should those be refused too, without events.
    const failed: StepOutcomeRecord = {
      ...record,
      result: failure(`the step's outcome could not be recorded: ${describeError(error)}`, {
        errorType: "InvalidStepResult",
        retryable: false,
      }),
      fallback: record.fallback === undefined ? "failure" : "bare",
    };
    if (failed.fallback === "bare") failed.prepareEvents = () => [];
    await this.#commit([{ ...waiting, record: failed }]);
  }
}

/** Errors a retry can outlast: the database unreachable, restarting, overloaded or in conflict. */
function isTransient(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const state = sqlState(error);
  return state !== undefined && TRANSIENT_CLASSES.has(state.slice(0, 2));
}

/** "relation does not exist". */
const UNDEFINED_TABLE = "42P01";

// 08 connection exception, 40 transaction rollback (serialization, deadlock), 53 insufficient
// resources, 57 operator intervention (admin shutdown, cancel), 58 system error (I/O).
const TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58"]);
