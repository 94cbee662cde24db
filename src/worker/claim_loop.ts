/**
 * The worker's claim loop and its handler slots. `concurrency` slots bound the handlers running
 * at once; a claim round reserves the free ones, claims up to that many steps and hands each to
 * the worker. Rounds come from the loop (read, claim, sleep until woken or the poll interval) and
 * from each commit, whose transaction also claims the next steps ({@link ClaimLoop.followOnClaims}).
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { Database } from "../durable/db/database.ts";
import type { FollowOnClaims } from "./committer.ts";
import type { ClaimRound, StepClaimer } from "./step_claimer.ts";
import type { ClaimedStep } from "./step_store.ts";

/** What a {@link ClaimLoop} needs from its worker. */
export interface ClaimLoopOptions {
  /** The task engine's database. */
  db: Database;
  /** Claims rounds of steps for this worker. */
  claimer: StepClaimer;
  /** The worker's id (the claims' transitions actor, log lines). */
  workerId: string;
  /** Handler slots: steps run at once. */
  concurrency: number;
  /** Longest idle wait between queue reads while the worker cannot LISTEN, in ms. */
  pollIntervalMs: number;
  /** Longest idle wait between queue reads while it LISTENs, in ms. */
  listeningPollIntervalMs: number;
  /** Whether notifications wake the worker now (step_wakeups.ts). */
  listening(): boolean;
  /** Record the claims' step transitions under `worker:<id>`. */
  recordStepTransitions: boolean;
  /** Runs one claimed step (called once its claim round has committed). */
  start(claim: ClaimedStep): void;
}

/**
 * Claim rounds and handler slots of one worker.
 *
 * @example
 * ```ts ignore
 * const loop = new ClaimLoop({ db, claimer, workerId, concurrency: 10, pollIntervalMs: 50,
 *   listeningPollIntervalMs: 1000, listening: () => true, recordStepTransitions: false,
 *   start: (claim) => run(claim) });
 * loop.start();
 * await loop.stop();
 * ```
 */
export class ClaimLoop {
  readonly #options: ClaimLoopOptions;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  /** A wake-up arrived while the loop was not asleep. */
  #wakePending = false;
  /** Handlers running now (each holds one of the `concurrency` slots). */
  #running = 0;
  /** Slots taken by a claim round in progress (the loop's, or a commit's follow-on claims). */
  #reserved = 0;
  /** Outcomes handed to the committer and not yet committed. */
  #recording = 0;
  /** The last read filled every free slot: the queues may hold more. */
  #saturated = false;
  #claimMs = 0;
  #readErrors = 0;
  #reads = 0;
  /** Times (ms since the epoch) a retry this worker scheduled turns visible, not yet woken for. */
  #due: number[] = [];
  /** The timer for the earliest of them, and when it fires. */
  #dueTimer: ReturnType<typeof setTimeout> | undefined;
  #dueAt = Infinity;

  /**
   * Creates the loop; nothing runs until {@link ClaimLoop.start}.
   *
   * @param options the database, claimer, slots and polling
   */
  constructor(options: ClaimLoopOptions) {
    this.#options = options;
  }

  /** Whether {@link ClaimLoop.start} was called. */
  get started(): boolean {
    return this.#loop !== undefined;
  }

  /** Milliseconds the loop spent reading queues and claiming steps. */
  get claimMs(): number {
    return this.#claimMs;
  }

  /** Claim rounds that read the queues. */
  get reads(): number {
    return this.#reads;
  }

  /** Loop rounds that could not read the queues (logged; the loop goes on). */
  get readErrors(): number {
    return this.#readErrors;
  }

  /** Starts reading the queues. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops claiming (the loop's rounds and commits' follow-on ones); resolves when the loop ends. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
    this.#due = [];
    this.#wake?.();
    await this.#loop;
  }

  /** Wakes the loop now, or at its next sleep when it is busy claiming. */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#wakePending = true;
  }

  /**
   * Wakes the loop in `ms` (a retry this worker scheduled becomes visible then), so a long idle
   * poll does not delay it. Each time is kept until it passes; one timer runs, for the earliest.
   *
   * @param ms delay from now
   */
  wakeAfter(ms: number): void {
    if (this.#stopping) return;
    this.#due.push(Date.now() + Math.max(0, ms));
    this.#armDue();
  }

  /** Sets the timer for the earliest pending due time (if it is not set for that already). */
  #armDue(): void {
    const next = this.#due.reduce((earliest, at) => Math.min(earliest, at), Infinity);
    if (next === this.#dueAt) return;
    clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
    this.#dueAt = next;
    if (next === Infinity) return;
    this.#dueTimer = setTimeout(() => {
      this.#dueTimer = undefined;
      this.#dueAt = Infinity;
      const now = Date.now();
      this.#due = this.#due.filter((at) => at > now);
      this.wake();
      this.#armDue();
    }, Math.max(0, next - Date.now()));
  }

  /**
   * The committer's follow-on claims: each commit reserves up to `slots` free slots.
   *
   * @param slots most slots one commit's transaction claims
   */
  followOnClaims(slots: number): FollowOnClaims {
    return {
      reserve: () => this.#reserve(slots),
      claim: async (tx, reserved) => {
        const claimed = await this.#options.claimer.claim(tx, reserved);
        return () => this.#startRound(claimed);
      },
      release: (reserved) => {
        this.#reserved -= reserved;
      },
    };
  }

  /** A handler starts: it holds a slot until {@link ClaimLoop.handlerFinished}. */
  handlerStarted(): void {
    this.#running++;
  }

  /** A handler finished: its slot is free for the next claim (its outcome may still commit). */
  handlerFinished(): void {
    this.#running--;
    // Only worth a read when the last read filled every slot (the queues may hold more).
    if (this.#saturated) this.wake();
  }

  /** An outcome goes to the committer (too many waiting hold the loop back). */
  recordingStarted(): void {
    this.#recording++;
  }

  /** An outcome's commit is done. */
  recordingFinished(): void {
    this.#recording--;
    // Slots the commit could not fill (freed while it ran) are the loop's now.
    if (this.#saturated && this.#free() > 0) this.wake();
  }

  async #run(): Promise<void> {
    const { concurrency, pollIntervalMs: poll } = this.#options;
    // Idle polling backs off from 5 ms to the poll interval (the listening one while
    // notifications wake the worker); any work, or a wake-up (a local submit, a released
    // successor, a slot freed while the queues still had work), resets it.
    let idleDelay = Math.min(5, poll);
    while (!this.#stopping) {
      // Messages consumed, not steps started: a batch of stale messages is work too, so a
      // backlog of them drains at read speed instead of one batch per idle poll.
      let read = 0;
      // Pipelined: claiming goes on while earlier outcomes commit, as long as the outcomes
      // waiting for their commit do not outnumber the slots (backpressure on a slow database).
      if (this.#free() > 0 && this.#recording <= concurrency) {
        try {
          read = await this.#timedRound();
        } catch (error) {
          this.#readErrors++;
          console.error(
            `deno-tasker: worker ${this.#options.workerId} could not read its queues: ${
              errorMessage(error)
            }`,
          );
        }
      }
      if (this.#stopping) break;
      if (read > 0 && this.#saturated && this.#free() > 0) {
        idleDelay = Math.min(5, poll);
        continue;
      }
      const busy = this.#free() <= 0 || this.#recording > concurrency;
      const woken = await this.#sleep(busy ? poll : read > 0 ? Math.min(5, poll) : idleDelay);
      const ceiling = this.#options.listening() ? this.#options.listeningPollIntervalMs : poll;
      idleDelay = woken || read > 0 ? Math.min(5, ceiling) : Math.min(ceiling, idleDelay * 2);
    }
  }

  /** Reads up to the free slots from the queues, claims the steps, starts them. */
  async #timedRound(): Promise<number> {
    const started = performance.now();
    try {
      return await this.#round();
    } finally {
      this.#claimMs += performance.now() - started;
    }
  }

  async #round(): Promise<number> {
    const { db, claimer, workerId } = this.#options;
    const slots = this.#reserve();
    if (slots === 0) return 0;
    this.#reads++;
    let claimed: ClaimRound;
    try {
      claimed = this.#options.recordStepTransitions
        ? await db.transaction(async (tx) => {
          // The claims' transitions are recorded under this worker's name (transitions.ts).
          await tx.query("SELECT set_config('tasker.actor', $1, true)", [`worker:${workerId}`]);
          return await claimer.claim(tx, slots);
        })
        : await claimer.claim(db, slots);
    } finally {
      this.#reserved -= slots;
    }
    this.#startRound(claimed);
    return claimed.read;
  }

  /** Starts the steps a claim round took (after its transaction committed). */
  #startRound(claimed: ClaimRound): void {
    for (const batch of claimed.batches) {
      for (const claim of batch.claimed) this.#options.start(claim);
    }
    this.#saturated = claimed.filled;
  }

  /** Takes every free slot for one claim round; 0 when none is free or the worker stops. */
  #reserve(most = Infinity): number {
    if (this.#stopping) return 0;
    const slots = Math.max(0, Math.min(most, this.#free()));
    this.#reserved += slots;
    return slots;
  }

  /** Handler slots free now: concurrency bounds running handlers, not commits pending. */
  #free(): number {
    return this.#options.concurrency - this.#running - this.#reserved;
  }

  /**
   * Sleeps up to `ms`; resolves true when woken early. A wake-up that comes while the loop is
   * not asleep (it is claiming) is kept, so the next sleep returns at once.
   */
  #sleep(ms: number): Promise<boolean> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, ms);
      this.#wake = () => {
        this.#wake = undefined;
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
