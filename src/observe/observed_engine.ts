/**
 * The engine parts of each Tasker that observability reads and the Tasker keeps private: the
 * composition root binds them when it opens a Tasker ({@link bindObservedEngine}), and the
 * server, the inspector and the instrumentation look them up by the Tasker they are handed.
 *
 * @module
 */

import type { ObservedWorker, ObservedWriter } from "./observed.ts";
import type { TaskerObserver } from "./observer.ts";

/** The private parts of one Tasker that observability reads. */
export interface ObservedEngine {
  /** The step worker. */
  readonly worker: ObservedWorker;
  /** The process's one DurableWriter. */
  readonly writer: ObservedWriter;
  /** Health, metrics and configuration of the Tasker. */
  readonly observer: TaskerObserver;
}

// A WeakMap rather than public fields: the Tasker's type shows what an application uses, and a
// closed Tasker's parts are collected with it.
const engines = new WeakMap<object, ObservedEngine>();

/**
 * Records what observability reads of `tasker` (the composition root does, when it opens one).
 *
 * @example
 * ```ts ignore
 * bindObservedEngine(tasker, { worker, writer, observer });
 * ```
 */
export function bindObservedEngine(tasker: object, engine: ObservedEngine): void {
  engines.set(tasker, engine);
}

/**
 * The engine parts of `tasker` that observability reads.
 *
 * @example
 * ```ts ignore
 * console.log(observedEngine(tasker).worker.state);
 * ```
 * @throws {TypeError} when `tasker` was not made by `Tasker.open` (nor bound by a test)
 */
export function observedEngine(tasker: object): ObservedEngine {
  const engine = engines.get(tasker);
  if (engine === undefined) {
    throw new TypeError("not a Tasker opened with Tasker.open (its engine is not bound)");
  }
  return engine;
}
