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
