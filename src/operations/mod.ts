/**
 * The `./operations` entry: what operator tooling (an admin screen, a runbook script, the
 * `tasker` command line) works with when it calls a `Tasker`'s operator methods. The transition
 * history (`transitions()`) and the actors recorded with it; manual actions on tasks and steps
 * (`cancel`, `retry`, `resolveTask`, `resetStep`, `resolveStep`, `completeStep`) and their
 * errors; the task dead letter queue (`dlqEntries`, `resolveDlqEntry`); staleness detection
 * (`detectStaleTasks` and `TaskerOptions.staleness`); and retention (`purge`). The methods stay
 * on `Tasker` in the root entry; their argument and result types live here.
 *
 * @example Cancel a task unless it already finished
 * ```ts
 * import type { Tasker } from "@deno-tasker/tasker";
 * import { InvalidTransitionError, type TransitionActor } from "@deno-tasker/tasker/operations";
 *
 * export async function cancelOrder(tasker: Tasker, taskUuid: string): Promise<boolean> {
 *   const actor: TransitionActor = { by: "support@example.com", reason: "customer asked" };
 *   try {
 *     await tasker.cancel(taskUuid, actor);
 *     return true;
 *   } catch (error) {
 *     if (error instanceof InvalidTransitionError) return false;
 *     throw error;
 *   }
 * }
 * ```
 *
 * @module
 */

export {
  InvalidManualResultError,
  InvalidTransitionError,
  StepNotFoundError,
  type TaskActionResult,
  type Transition,
  type TransitionActor,
} from "../worker/mod.ts";
export {
  type DlqEntry,
  DlqEntryNotFoundError,
  type DlqListOptions,
  type DlqReason,
  type DlqResolution,
  DlqResolutionError,
  type DlqResolutionStatus,
} from "../worker/mod.ts";
export {
  type DetectionOptions,
  type DetectionResult,
  type StaleAction,
  type StalenessDetectorOptions,
  type StalePhase,
  type StaleTask,
} from "../worker/mod.ts";
export type { PurgeOptions, PurgeReport } from "../worker/mod.ts";
