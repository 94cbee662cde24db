/**
 * Test helpers (the `./testing` export): run a step handler outside a worker (`runHandler`,
 * `buildStepContext`), capture fast events from a bus, and read durable events straight from
 * PGMQ's queue tables without consuming them.
 *
 * @example
 * ```ts
 * import { EventBus } from "@deno-tasker/tasker";
 * import { FastEventCapture } from "@deno-tasker/tasker/testing";
 * await using bus = new EventBus();
 * await using capture = new FastEventCapture(bus, { pattern: "payment.#" });
 * console.log(capture.count); // 0
 * ```
 *
 * @module
 */

export { CaptureError, FastEventCapture, type FastEventCaptureOptions } from "./fast_capture.ts";
export {
  type CapturedMessage,
  type DurableCleanupResult,
  DurableEventCapture,
  type DurableEventCaptureOptions,
  type DurableWaitOptions,
} from "./durable_capture.ts";
export {
  buildStepContext,
  type DomainEventSink,
  runHandler,
  type RunHandlerOptions,
  type StepContextInput,
} from "../worker/context.ts";
