/**
 * The root of deno-tasker's typed errors. Every error the library throws on purpose is a
 * `TaskerError`, so callers can tell the framework's own complaints from bugs with one
 * `instanceof` check, and `code` stays stable for programs that switch on it.
 *
 * @module
 */

/**
 * Base class of every error deno-tasker throws deliberately.
 *
 * @example
 * ```ts
 * import { TaskerError } from "@deno-tasker/tasker";
 * try {
 *   throw new TaskerError("E_EXAMPLE", "something went wrong");
 * } catch (error) {
 *   if (error instanceof TaskerError) console.log(error.code);
 * }
 * ```
 */
export class TaskerError extends Error {
  /** A stable, machine-readable code such as `E_TEMPLATE_INVALID`. */
  readonly code: string;

  /**
   * Creates an error with a stable code.
   *
   * @param code stable machine-readable code
   * @param message human-readable message naming the offending file, field or value
   * @param options standard error options (`cause`)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
