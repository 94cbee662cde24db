/**
 * The text of a caught value, for log lines and error messages: `catch` binds `unknown`, and a
 * thrown value need not be an `Error`.
 *
 * @module
 */

/** How {@link errorMessage} renders an `Error`. */
export interface ErrorMessageOptions {
  /** Prefix the error's name (`TypeError: …`), for messages that keep the kind. Default false. */
  withName?: boolean;
}

/**
 * The message of `error` when it is an `Error`, else `String(error)`.
 *
 * @param error whatever was caught
 * @param options `withName` prefixes an `Error`'s name
 * @returns the text to print or wrap
 *
 * @example
 * ```ts
 * import { errorMessage } from "./error_message.ts";
 * console.log(errorMessage(new TypeError("bad input"))); // "bad input"
 * console.log(errorMessage(new TypeError("bad input"), { withName: true })); // "TypeError: bad input"
 * console.log(errorMessage("plain string")); // "plain string"
 * ```
 */
export function errorMessage(error: unknown, options: ErrorMessageOptions = {}): string {
  if (!(error instanceof Error)) return String(error);
  return options.withName === true ? `${error.name}: ${error.message}` : error.message;
}
