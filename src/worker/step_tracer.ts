/**
 * The tracing hook of the worker: when set, it is called around each step attempt (the
 * OpenTelemetry instrumentation in `src/observe/otel.ts` implements it); when unset, the worker
 * pays one `undefined` check per step.
 *
 * @module
 */

import type { StepEventStep } from "../events/context.ts";
import type { DeliveryMode, DomainEvent } from "../events/types.ts";
import type { StepTaskInfo } from "./step_handler.ts";
import type { StepState, TaskState } from "./step_store.ts";

/**
 * What a tracer sees of the step attempt it traces: its task and its step row (a `ClaimedStep`
 * of the worker is one; the hook takes no more, so tracers need none of the engine's types).
 */
export interface TracedStep {
  /** The task: uuid, namespace, name, version, context. */
  readonly task: StepTaskInfo;
  /** The step row after the claim: `attempts` counts this attempt. */
  readonly step: StepEventStep;
}

/** What a tracer sees of a recorded outcome (a `RecordedOutcome` of the worker is one). */
export interface TracedOutcome {
  /** The step's state after the attempt. */
  readonly state: StepState;
  /** The task's state after the attempt. */
  readonly task_state: TaskState;
  /** The delay before the retry, when one is scheduled. */
  readonly retry_delay_ms?: number;
  /** The events the attempt fired, with the delivery mode each was routed by. */
  readonly events: readonly { readonly event: DomainEvent; readonly delivery_mode: DeliveryMode }[];
}

/**
 * The hook the worker calls around each step attempt when tracing is on (`WorkerOptions` /
 * `TaskerOptions.stepTracer`); when off the worker holds `undefined` and does nothing else.
 */
export interface StepTracer {
  /** Called when a claimed step is about to run its handler; opens the attempt's span. */
  startStep(claim: TracedStep): StepTrace;
  /** The event metadata of the attempt of `stepUuid` running now (for ad-hoc events). */
  metadataFor(stepUuid: string): Readonly<Record<string, string>> | undefined;
}

/** One traced step attempt. */
export interface StepTrace {
  /** Merged into the metadata of every event this attempt fires: `{ traceparent }`. */
  readonly eventMetadata: Readonly<Record<string, string>>;
  /** Runs the handler inside the step span's context, so its own spans nest under it. */
  run<T>(fn: () => T): T;
  /**
   * Ends the attempt: with its recorded outcome (after routing its events), `null` when the
   * claim was lost, or the error that broke the attempt. Only the first call counts.
   */
  end(outcome: TracedOutcome | null, error?: unknown): void;
}
