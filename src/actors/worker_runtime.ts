/**
 * The Worker side of a worker-isolated actor. A host module (the Worker's entry, for example the
 * bus's `src/bus/isolated_host.ts`) calls {@link serveWorkerActor} with a function that builds
 * the behaviour from the `init` payload; this module then answers the publisher's protocol
 * (`worker_protocol.ts`): it handles each batch in order, one message at a time, stamps the
 * shared control block before and after each message, acknowledges each batch, and reports a
 * throw as a crash (the publisher terminates the Worker and its supervisor decides the rest).
 *
 * @module
 */

import type { ActorBehavior } from "./types.ts";
import {
  CONTROL,
  CONTROL_SLOTS,
  encodeProgress,
  type FromWorker,
  type InitMessage,
  toWireError,
  type ToWorker,
} from "./worker_protocol.ts";

/** The dedicated-worker globals this module uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
}

/** Builds the behaviour of the actor a Worker runs. */
export type WorkerBehaviorBuilder<M> = (
  init: unknown,
) => ActorBehavior<M> | Promise<ActorBehavior<M>>;

/**
 * Serves the actor protocol in this Worker. Call it once, at the top level of the Worker's
 * entry module.
 *
 * @param build turns the publisher's `init` payload into the behaviour
 *
 * @example
 * ```ts ignore
 * import { serveWorkerActor } from "@deno-tasker/tasker/actors";
 * serveWorkerActor<{ n: number }>(() => ({ receive: (message) => console.log(message.n) }));
 * ```
 */
export function serveWorkerActor<M>(build: WorkerBehaviorBuilder<M>): void {
  const scope = globalThis as unknown as WorkerScope;
  const controller = new AbortController();
  const queue: M[][] = [];
  let control: Int32Array<ArrayBufferLike> = new Int32Array(CONTROL_SLOTS);
  let epoch = 0;
  let behavior: ActorBehavior<M> | null = null;
  let done = 0;
  let running = false;
  let stopping = false;
  let dead = false;

  const post = (message: FromWorker) => scope.postMessage(message);
  const fail = (during: "init" | "message", error: unknown) => {
    dead = true;
    post({ t: "crash", done, during, error: toWireError(error) });
  };

  async function start(message: InitMessage): Promise<void> {
    control = new Int32Array(message.control);
    epoch = message.epoch;
    if (message.beatEveryMs > 0) {
      const beat = () => Atomics.store(control, CONTROL.beat, Date.now() - epoch);
      beat();
      // Never cleared: the publisher ends this Worker with terminate().
      setInterval(beat, message.beatEveryMs);
    }
    try {
      const built = await build(message.init);
      if (built === null || typeof built !== "object" || typeof built.receive !== "function") {
        throw new TypeError(`the Worker of actor ${message.name} built no object with receive()`);
      }
      behavior = built;
    } catch (error) {
      fail("init", error);
      return;
    }
    post({ t: "ready" });
    if (queue.length !== 0) void drain();
  }

  /** Handles queued batches in order; awaits only handlers that return a promise. */
  async function drain(): Promise<void> {
    const receive = behavior as ActorBehavior<M>;
    const signal = controller.signal;
    running = true;
    try {
      while (queue.length !== 0 && !dead && !stopping) {
        const batch = queue.shift() as M[];
        for (let index = 0; index < batch.length && !stopping; index++) {
          Atomics.store(control, CONTROL.started, Date.now() - epoch + 1);
          const idle = encodeProgress(done, false);
          const busy = idle + 1;
          // A failed exchange means the publisher killed this Worker: take nothing more.
          if (Atomics.compareExchange(control, CONTROL.progress, idle, busy) !== idle) {
            dead = true;
            return;
          }
          const result = receive.receive(batch[index] as M, signal);
          if (result != null && typeof result.then === "function") await result;
          const next = encodeProgress(done + 1, false);
          if (Atomics.compareExchange(control, CONTROL.progress, busy, next) !== busy) {
            dead = true;
            return;
          }
          done++;
        }
        if (!stopping) post({ t: "ack", done });
      }
    } catch (error) {
      fail("message", error);
      return;
    } finally {
      running = false;
    }
    if (stopping) post({ t: "stopped", done });
  }

  scope.onmessage = (event) => {
    const message = event.data;
    if (message.t === "init") {
      void start(message);
    } else if (message.t === "batch") {
      if (dead || stopping) return;
      queue.push(JSON.parse(message.data) as M[]);
      if (!running && behavior !== null) void drain();
    } else if (message.t === "stop") {
      if (stopping || dead) return;
      stopping = true;
      controller.abort(new Error("the actor is stopping"));
      if (!running) post({ t: "stopped", done });
    }
  };
}
