/**
 * The engine behind a Tasker — its Worker, DurableWriter, owed-event bookkeeping, observer and
 * staleness detector — for this package's own modules (the CLI) and its tests; observability
 * reads its part through `observedEngine` (src/observe/observed_engine.ts), bound here too.
 * Not part of the public API: `Tasker` keeps these private so that its documentation shows what
 * an application uses (`stats()`, `flush()`, `health()`, ...), not the engine's types.
 *
 * @module
 */

import type { DurableWriter } from "./durable/writer/writer.ts";
import { bindObservedEngine, type ObservedEngine } from "./observe/observed_engine.ts";
import type { TaskerObserver } from "./observe/observer.ts";
import type { OwedEvents } from "./worker/owed_events.ts";
import type { StalenessDetector } from "./worker/staleness.ts";
import type { Worker } from "./worker/worker.ts";

/** The engine parts of one Tasker (observability reads its {@link ObservedEngine} share). */
export interface TaskerEngine extends ObservedEngine {
  /** The step worker. */
  readonly worker: Worker;
  /** The process's one DurableWriter. */
  readonly writer: DurableWriter;
  /** Owed-event bookkeeping shared by the worker and the writer. */
  readonly owed: OwedEvents;
  /** Health, metrics and configuration of the Tasker. */
  readonly observer: TaskerObserver;
  /** The staleness detector it runs (unless opened with `staleness: false`). */
  readonly staleness: StalenessDetector | undefined;
}

// A WeakMap rather than public fields: nothing outside this package sees the engine through a
// Tasker's type, and a closed Tasker's parts are collected with it.
const engines = new WeakMap<object, TaskerEngine>();

/**
 * Records the engine of `tasker`, for this module's {@link taskerEngine} and for observability's
 * `observedEngine` (the Tasker constructor does; tests may bind a fake engine to a fake Tasker).
 *
 * @example
 * ```ts ignore
 * bindTaskerEngine(tasker, { worker, writer, owed, observer, staleness: undefined });
 * ```
 */
export function bindTaskerEngine(tasker: object, engine: TaskerEngine): void {
  engines.set(tasker, engine);
  bindObservedEngine(tasker, engine);
}

/**
 * The engine of `tasker`.
 *
 * @example
 * ```ts ignore
 * taskerEngine(tasker).worker.onOutcome((claim, outcome) => console.log(claim.step_name));
 * ```
 * @throws {TypeError} when `tasker` was not made by `Tasker.open` (nor bound by a test)
 */
export function taskerEngine(tasker: object): TaskerEngine {
  const engine = engines.get(tasker);
  if (engine === undefined) {
    throw new TypeError("not a Tasker opened with Tasker.open (its engine is not bound)");
  }
  return engine;
}
