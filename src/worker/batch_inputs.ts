/**
 * The shapes a batch worker step is given (Tasker's `CursorConfig` and `BatchWorkerInputs`):
 * types only, so that the step handler contract can name them without importing batch logic.
 *
 * @module
 */

import type { BatchFailureStrategy } from "../template/types.ts";

/** One batch: its id (the worker is named `{template}_{batch_id}`) and its cursor range. */
export interface CursorConfig {
  /** The batch's id, e.g. `"001"`. */
  batch_id: string;
  /** Where the batch starts (inclusive by convention); any JSON value. */
  start_cursor: unknown;
  /** Where it ends (exclusive by convention); any JSON value. */
  end_cursor: unknown;
  /** Items in the batch. */
  batch_size: number;
}

/** What a batch worker step gets as `ctx.inputs` (Tasker's `BatchWorkerInputs`). */
export interface BatchWorkerInputs {
  /** Its batch. */
  cursor: CursorConfig;
  /** From the worker template's `batch_config`. */
  batch_metadata: { cursor_field: string; failure_strategy: BatchFailureStrategy };
  /** True for the placeholder worker `{template}_000` of a `no_batches` outcome. */
  is_no_op: boolean;
  /** The `batch_worker` template step it runs. */
  __template_step_name: string;
}
