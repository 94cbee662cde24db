/**
 * The tracing hook of the worker: when set, it is called around each step attempt (the
 * OpenTelemetry instrumentation in `src/observe/otel.ts` implements it); when unset, the worker
 * pays one `undefined` check per step.
 *
 * @module
 */

import type { ClaimedStep, RecordedOutcome } from "./step_store.ts";

/**
 * The hook the worker calls around each step attempt when tracing is on (`WorkerOptions` /
 * `TaskerOptions.stepTracer`); when off the worker holds `undefined` and does nothing else.
 */
export interface StepTracer {
  /** Called when a claimed step is about to run its handler; opens the attempt's span. */
  startStep(claim: ClaimedStep): StepTrace;
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
  end(outcome: RecordedOutcome | null, error?: unknown): void;
}
