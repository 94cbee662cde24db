/**
 * What the worker hands the group committer for one attempt: the claim, the handler's outcome,
 * and the pure functions that decide its retry delay and the events it fires. Its own module, so
 * that the committer, the outcome statement's events and the worker share it without importing
 * each other.
 *
 * @module
 */

import type { StepEventStep } from "../events/context.ts";
import type { DynamicOutcome } from "./dynamic_steps.ts";
import type { PreparedEvent } from "./event_router.ts";
import type { ClaimedStep } from "./step_store.ts";
import type { StepResult } from "./step_handler.ts";

/** Everything needed to record one attempt's outcome. */
export interface StepOutcomeRecord {
  /** The claim this worker holds. */
  claim: ClaimedStep;
  /** Names of the steps that depend directly on this one. */
  successors: readonly string[];
  /** The handler's outcome. */
  result: StepResult;
  /** Delay before the next attempt, when this outcome turns out to be retryable. */
  retryDelayMs: (attempts: number) => number;
  /**
   * Prepares the events this outcome fires, given the step row as written and the result
   * recorded (pure, no I/O): runs inside the transaction so the events the step owes commit with
   * it.
   */
  prepareEvents: (step: StepEventStep, result: StepResult) => PreparedEvent[];
  /**
   * The durable queue this step's declared events go to, when it declares a durable or broadcast
   * one: the committer creates it before the transaction, so the events can go in with the outcome.
   */
  eventQueue?: string;
  /**
   * Set by the committer when the database refused this outcome: `failure` records a failure
   * saying why in its place, `bare` the same failure without events (the last resort).
   */
  fallback?: "failure" | "bare";
  /**
   * What a decision, batchable or batch worker step's outcome means beyond the step: the steps
   * it creates (in this same transaction), its batch's parallelism budget.
   */
  dynamic?: DynamicOutcome;
}
