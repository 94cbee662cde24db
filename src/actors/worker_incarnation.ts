/**
 * One incarnation of a worker-isolated actor, publisher side: one Worker from spawn to
 * terminate. It feeds the Worker batches from the actor's mailbox as soon as mail arrives (at most
 * four batches and two batches' worth of messages ahead of its acknowledgements), settles what the
 * Worker reports done, and kills it — exchanging the shared progress slot first, so what finished
 * and what was running are decided exactly — when a message overruns `messageTimeoutMs`, the
 * heartbeat stops, or its code throws.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { ActorStoppedError, HeartbeatTimeoutError } from "./errors.ts";
import { MessageTimeoutError, WorkerActorError } from "./errors.ts";
import type { ActorFeed, PumpBehavior } from "./types.ts";
import { isNarrowing } from "./worker_flag.ts";
import {
  CONTROL,
  CONTROL_SLOTS,
  decodeProgress,
  type FromWorker,
  KILLED,
  type ToWorker,
  type WireError,
} from "./worker_protocol.ts";

/**
 * What may be in flight (posted, not acknowledged): at most {@link BATCHES_IN_FLIGHT} batches
 * holding at most `BATCHES_AHEAD * batchSize` messages, so encoding here overlaps decoding there.
 *
 * Why these numbers, measured at a steady 50k events/s on a 2-core machine: the OS parks the
 * Worker's thread for a few ms now and then. With only two batches allowed ahead, everything that
 * arrived meanwhile waited in the mailbox until the Worker woke and acknowledged both, then for a
 * large batch to be encoded and sent — by which time the Worker had gone idle again and had to be
 * woken once more, so one stall became a chain of them. Four batches keep it fed across a short
 * stall. The batch count still bounds the stream when the Worker is behind: mail piles up in the
 * mailbox and leaves as one large batch at the next acknowledgement, instead of as a trickle of
 * small ones whose per-batch cost would keep it behind. The message bound (two full batches, as
 * before) keeps the memory held outside the mailbox's capacity where it was. (One JSON text per
 * message, parsed just before each runs, was tried too: it cost ~10% of throughput and did not
 * lower the tail, so a batch stays one JSON array.)
 */
const BATCHES_IN_FLIGHT = 4;
const BATCHES_AHEAD = 2;

/** What an incarnation needs to know, checked by `workerActorFactory`. */
export interface Settings {
  /** The actor's name. */
  name: string;
  /** The Worker's entry module. */
  host: URL;
  /** The payload for the entry's builder. */
  init: unknown;
  /** The Worker's own permissions, if any. */
  permissions: Deno.PermissionOptions | undefined;
  /** Heartbeat silence that kills (0 = off). */
  heartbeatMs: number;
  /** Most messages per batch. */
  batchSize: number;
}

/** One incarnation: one Worker, from spawn to terminate. */
export class WorkerIncarnation<M> implements PumpBehavior<M> {
  readonly #settings: Settings;
  #worker: Worker | null = null;
  #control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  #epoch = 0;
  #feed: ActorFeed<M> | null = null;
  #ready = false;
  /** Messages posted to this Worker (the settled ones included). */
  #sent = 0;
  /** Batches posted and not acknowledged. */
  #batchesOut = 0;
  /** Messages the publisher counted as handled by this Worker. */
  #settled = 0;
  /** Most messages posted and not yet settled. */
  readonly #window: number;
  #stoppedReply = false;
  #failure: { error: unknown; blame: boolean } | null = null;
  #wake: (() => void) | null = null;
  #waitingMailbox = false;
  #waitingInterrupt = false;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  readonly #poke = () => {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };

  /**
   * Prepares an incarnation; its Worker starts when the actor calls `pump`.
   *
   * @param settings the checked options
   */
  constructor(settings: Settings) {
    this.#settings = settings;
    this.#window = BATCHES_AHEAD * settings.batchSize;
  }

  /** Runs the Worker until the incarnation ends; rejects to crash the actor. */
  async pump(feed: ActorFeed<M>): Promise<void> {
    this.#feed = feed;
    feed.signal.addEventListener("abort", this.#poke);
    try {
      this.#spawn();
      for (;;) {
        if (this.#failure !== null) this.#throwFailure(feed);
        if (!feed.current || feed.signal.aborted) {
          await this.#stop(feed);
          if (this.#failure !== null) this.#throwFailure(feed);
          return;
        }
        if (this.#ready) this.#send(feed);
        if (feed.drained && this.#sent === this.#settled) return;
        await this.#next(feed);
      }
    } finally {
      feed.signal.removeEventListener("abort", this.#poke);
      this.#end();
    }
  }

  /** Makes sure the Worker is gone. */
  stopped(): void {
    this.#end();
  }

  #throwFailure(feed: ActorFeed<M>): never {
    const failure = this.#failure as { error: unknown; blame: boolean };
    if (failure.blame) feed.blame();
    throw failure.error;
  }

  #spawn(): void {
    const { name, host, permissions, heartbeatMs, init } = this.#settings;
    const options: WorkerOptions & { deno?: { permissions?: Deno.PermissionOptions } } = {
      type: "module",
      name: `actor:${name}`,
    };
    // Only a narrowing descriptor needs (and was checked against) --unstable-worker-options.
    if (isNarrowing(permissions)) options.deno = { permissions };
    const worker = new Worker(host, options);
    this.#worker = worker;
    this.#epoch = Date.now();
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.#onMessage(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#kill(new WorkerActorError(name, "Error", event.message, ""), null);
    };
    worker.onmessageerror = () => {
      this.#kill(
        new WorkerActorError(name, "DataCloneError", "a reply could not be read", ""),
        null,
      );
    };
    const message: ToWorker = {
      t: "init",
      name,
      init,
      control: this.#control.buffer as SharedArrayBuffer,
      epoch: this.#epoch,
      beatEveryMs: heartbeatMs > 0 ? Math.max(1, Math.floor(heartbeatMs / 4)) : 0,
    };
    worker.postMessage(message);
  }

  #onMessage(message: FromWorker): void {
    if (this.#worker === null) return;
    switch (message.t) {
      case "ready":
        this.#ready = true;
        this.#startHeartbeat();
        break;
      case "ack":
        this.#settleTo(message.done);
        this.#batchesOut--;
        break;
      case "stopped":
        this.#settleTo(message.done);
        this.#stoppedReply = true;
        break;
      case "crash":
        this.#settleTo(message.done);
        this.#kill(remoteError(this.#settings.name, message.error), message.during === "message");
        break;
    }
    this.#poke();
  }

  #settleTo(done: number): void {
    const finished = done - this.#settled;
    if (finished > 0) {
      this.#settled = done;
      this.#feed?.settle(finished);
    }
  }

  /**
   * Terminates the Worker now. The progress slot is exchanged for KILLED first, so the value read
   * is final: what finished is settled, and a running message is blamed (unless `blame` says).
   */
  #kill(error: unknown, blame: boolean | null): void {
    const worker = this.#worker;
    if (worker === null) return;
    const value = Atomics.exchange(this.#control, CONTROL.progress, KILLED);
    worker.terminate();
    this.#worker = null;
    let running = false;
    if (value !== KILLED) {
      const progress = decodeProgress(value, this.#settled);
      running = progress.running;
      if (progress.finished > 0) {
        this.#settled += progress.finished;
        this.#feed?.settle(progress.finished);
      }
    }
    this.#failure ??= { error, blame: blame ?? running };
    this.#clearTimers();
    this.#poke();
  }

  /** Room left in the window: how many more messages may be posted now. */
  get #room(): number {
    return this.#window - (this.#sent - this.#settled);
  }

  /**
   * Whether to post a batch now. Mail leaves at once while fewer than BATCHES_IN_FLIGHT batches
   * are out and the window has room for all of it (up to a batch): no timer, no waiting to fill a
   * batch. Otherwise the Worker is behind and the backlog waits — for a free batch slot, and for
   * room for a whole batch rather than leaving in slivers.
   */
  #maySend(queued: number): boolean {
    if (queued === 0 || this.#batchesOut >= BATCHES_IN_FLIGHT) return false;
    // The window holds two batches, so an idle Worker always has room for one.
    return this.#room >= Math.min(queued, this.#settings.batchSize);
  }

  /** Posts batches while the window allows (see `#maySend`). */
  #send(feed: ActorFeed<M>): void {
    const worker = this.#worker;
    const batchSize = this.#settings.batchSize;
    while (worker !== null && this.#maySend(feed.queued)) {
      const batch = feed.take(Math.min(batchSize, this.#room));
      const encoded = this.#encode(batch, feed);
      if (encoded === null) continue;
      const message: ToWorker = { t: "batch", data: encoded.data };
      worker.postMessage(message);
      this.#sent += encoded.count;
      this.#batchesOut++;
      this.#armWatchdog();
    }
  }

  /** One JSON string per batch; a message that cannot be encoded is rejected, not retried. */
  #encode(batch: M[], feed: ActorFeed<M>): { data: string; count: number } | null {
    try {
      return { data: JSON.stringify(batch), count: batch.length };
    } catch {
      const parts: string[] = [];
      for (const message of batch) {
        try {
          parts.push(JSON.stringify(message) ?? "null");
        } catch (error) {
          const why = errorMessage(error);
          feed.reject(
            message,
            new WorkerActorError(
              this.#settings.name,
              "DataCloneError",
              `a message cannot cross to the Worker as JSON: ${why}`,
              "",
            ),
          );
        }
      }
      return parts.length === 0 ? null : { data: `[${parts.join(",")}]`, count: parts.length };
    }
  }

  /** Waits for a reply, a kill, an abort, an interrupt, or (if it can send) mail. */
  #next(feed: ActorFeed<M>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (!this.#waitingInterrupt) {
        this.#waitingInterrupt = true;
        feed.interrupted().then(() => {
          this.#waitingInterrupt = false;
          this.#poke();
        });
      }
      // Mail is worth waiting for only when it could leave at once; otherwise an ack wakes us.
      if (
        this.#ready && feed.queued === 0 && this.#room > 0 &&
        this.#batchesOut < BATCHES_IN_FLIGHT && !this.#waitingMailbox
      ) {
        this.#waitingMailbox = true;
        feed.whenReady().then(() => {
          this.#waitingMailbox = false;
          this.#poke();
        });
      }
    });
  }

  /**
   * Stops the Worker under the shutdown policy: `brutal_kill` at once; otherwise it is asked to
   * finish the running message and take no other, and killed if it has not within the grace.
   */
  async #stop(feed: ActorFeed<M>): Promise<void> {
    const { name } = this.#settings;
    const reason = feed.signal.aborted
      ? feed.signal.reason
      : new ActorStoppedError(name, "its supervisor stopped it");
    const shutdown = feed.shutdown;
    if (this.#worker === null) return;
    if (shutdown === "brutal_kill" || shutdown === 0 || !this.#ready) {
      this.#kill(reason, null);
      return;
    }
    this.#worker.postMessage({ t: "stop" } satisfies ToWorker);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#kill(
          new ActorStoppedError(name, `it did not stop within shutdown=${shutdown} ms`),
          null,
        );
        resolve();
      }, shutdown);
    });
    while (!this.#stoppedReply && this.#worker !== null) {
      await Promise.race([grace, new Promise<void>((resolve) => (this.#wake = resolve))]);
    }
    clearTimeout(timer);
    this.#end();
  }

  #armWatchdog(): void {
    const timeoutMs = this.#feed?.timeoutMs ?? 0;
    if (timeoutMs <= 0 || this.#watchdog !== undefined) return;
    this.#watchdog = setTimeout(() => this.#checkTimeout(timeoutMs), timeoutMs);
  }

  /** Kills the Worker if its running message started `timeoutMs` ago; re-arms while busy. */
  #checkTimeout(timeoutMs: number): void {
    this.#watchdog = undefined;
    if (this.#worker === null) return;
    const value = Atomics.load(this.#control, CONTROL.progress);
    const { finished, running } = decodeProgress(value, this.#settled);
    if (!running) {
      if (this.#sent !== this.#settled || finished > 0) this.#armWatchdog();
      return;
    }
    const started = this.#epoch + Atomics.load(this.#control, CONTROL.started) - 1;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      this.#kill(new MessageTimeoutError(this.#settings.name, timeoutMs), true);
    } else {
      this.#watchdog = setTimeout(() => this.#checkTimeout(timeoutMs), timeoutMs - elapsed);
    }
  }

  #startHeartbeat(): void {
    const heartbeatMs = this.#settings.heartbeatMs;
    if (heartbeatMs <= 0 || this.#heartbeat !== undefined) return;
    this.#heartbeat = setInterval(() => {
      const beat = this.#epoch + Atomics.load(this.#control, CONTROL.beat);
      if (Date.now() - beat > heartbeatMs) {
        this.#kill(new HeartbeatTimeoutError(this.#settings.name, heartbeatMs), null);
      }
    }, Math.max(1, Math.floor(heartbeatMs / 2)));
  }

  #clearTimers(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Terminates the Worker (if still alive) and clears every timer. Idempotent. */
  #end(): void {
    this.#clearTimers();
    const worker = this.#worker;
    if (worker !== null) {
      Atomics.exchange(this.#control, CONTROL.progress, KILLED);
      worker.terminate();
      this.#worker = null;
    }
  }
}

function remoteError(actor: string, error: WireError): WorkerActorError {
  return new WorkerActorError(actor, error.name, error.message, error.stack);
}
