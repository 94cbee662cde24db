/**
 * The step life cycle in the database, set-based so that its cost per step falls as load rises:
 * a batch of queue messages is read and claimed with one statement by `step_claims.ts`, and a
 * group of outcomes is recorded in one transaction by `step_outcomes.ts`; this module holds the
 * shapes they share.
 *
 * A claim is a lease: `claimed_by` plus `claim_expires_at`. A step is claimable when it is
 * enqueued or waiting for a retry, or when a previous claim's lease has expired (its worker
 * died). An outcome is recorded only while the claim is still ours, so a step never runs twice
 * at once and a late worker cannot overwrite a newer attempt. Each recording transaction first
 * locks its tasks' rows in UUID order, so workers sharing tasks (parallel branches) serialise
 * per task instead of deadlocking.
 *
 * @module
 */

import type { StepEventStep } from "../events/context.ts";
import type { CompletedStepRecord } from "../events/wire.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";
import type { StepTaskInfo } from "./step_handler.ts";

/** Step states as stored. */
export type StepState =
  | "pending"
  | "enqueued"
  | "in_progress"
  | "complete"
  | "waiting_for_retry"
  | "error"
  // Set by operators (src/worker/task_actions.ts): both end the step; resolved_manually
  // satisfies its dependants like complete, cancelled never runs.
  | "cancelled"
  | "resolved_manually";

/**
 * Task states as stored. `cancelled` and `resolved_manually` are set by operators
 * (src/worker/task_actions.ts); both are final, like `complete`.
 */
export type TaskState =
  | "pending"
  | "in_progress"
  | "complete"
  | "error"
  | "cancelled"
  | "resolved_manually";

/** The body of a step-queue message. */
export interface StepMessage {
  /** The task. */
  task_uuid: string;
  /** The step to run. */
  step_uuid: string;
}

/** A message read from a step queue. */
export interface QueuedStep {
  /** The queue it came from. */
  queue: string;
  /** Its PGMQ id. */
  msg_id: number;
  /** Its body. */
  message: StepMessage;
}

/** A step this worker now holds, with what its handler needs. */
export interface ClaimedStep {
  /** The message that delivered it. */
  source: QueuedStep;
  /** The task. */
  task: StepTaskInfo;
  /** The task's state when claimed. */
  task_state: TaskState;
  /** The step row after the claim: `attempts` counts this attempt. */
  step: StepEventStep;
  /** Results of every completed step of the task, by name. */
  completed_results: Record<string, unknown>;
  /** Every completed step of the task with its id and timing, by name (for `dependency_results`). */
  completed_steps?: Record<string, CompletedStepRecord>;
  /**
   * Set when the step must be settled, not run: its attempts are used up (the last attempt's
   * worker stopped without recording an outcome), or no worker has had its template for the
   * configured time. The worker records it as a failure saying so.
   */
  settle?: "exhausted" | "orphaned";
  /**
   * The task's template content hash (null for tasks created before hashes were recorded; unset
   * on claims built by hand, in tests).
   */
  template_hash?: string | null;
  /** The template step this row runs when its name differs (a batch worker); else null. */
  template_step?: string | null;
  /** The step's own input (a batch worker's cursor); null when it has none. */
  inputs?: Record<string, unknown> | null;
  /** The last checkpoint the step saved (see `checkpoints.ts`); null when none. */
  checkpoint?: CheckpointRecord | null;
  /** The batchable step that created this batch worker; null for other steps. */
  batch_of?: string | null;
  /** Completed steps made from another template step (batch workers), name → template step. */
  completed_templates?: Record<string, string>;
}

/** A claimable step this worker cannot run: it lacks the template of the step's task. */
export interface ForeignStep {
  /** The message that delivered it (left in the queue for a worker that has the template). */
  source: QueuedStep;
  /** The task's template as `namespace/name@version`. */
  template: string;
  /** The content hash the task was created from. */
  template_hash: string;
}

/** What one claim round produced. */
export interface ClaimBatch {
  /** Steps now held by this worker. */
  claimed: ClaimedStep[];
  /** Messages whose steps are finished or unknown: delete them. */
  stale: QueuedStep[];
  /** Messages whose steps another worker holds: leave them to reappear. */
  busy: QueuedStep[];
  /** Messages whose steps need a template this worker lacks: left for a worker that has it. */
  foreign: ForeignStep[];
}

/** What a worker can run, for {@link claimSteps}. */
export interface ClaimScope {
  /** Content hashes of the templates this worker has. */
  templateHashes: readonly string[];
  /**
   * After how many seconds a step that no worker could run (all lacked its template) is
   * settled as a failure by the next worker that sees it.
   */
  foreignTimeoutSeconds: number;
}
