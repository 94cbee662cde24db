/**
 * Errors of the worker.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";

/** Thrown when a worker cannot run as configured (no namespaces, a step its template lacks). */
export class WorkerConfigError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what is wrong
   */
  constructor(message: string) {
    super("E_WORKER_CONFIG", message);
  }
}

/**
 * The reason a handler's signal is aborted when its worker shuts down past the drain deadline.
 * The step is released, not failed: it runs again, its attempt not consumed.
 */
export class WorkerShutdownError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param workerId the worker shutting down
   */
  constructor(workerId: string) {
    super("E_WORKER_SHUTDOWN", `worker ${workerId} is shutting down; the step will run again`);
  }
}

/**
 * The reason a handler's signal is aborted when its worker no longer holds the step's claim:
 * the lease expired (the worker could not renew it) and another worker may run the step. The
 * outcome of this attempt is not recorded.
 */
export class ClaimLostError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param stepName the step whose claim was lost
   * @param why what happened to the claim
   */
  constructor(stepName: string, why: string) {
    super("E_CLAIM_LOST", `claim of step ${stepName} lost: ${why}`);
  }
}
