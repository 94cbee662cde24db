/**
 * The typed error of the PGMQ client: an argument rejected before any SQL ran.
 *
 * @module
 */

import { TaskerError } from "../../errors.ts";

/**
 * A PGMQ call rejected before any SQL ran: a bad quantity, timeout, message id or message.
 * (Invalid queue names raise `InvalidNameError` from `src/names.ts`.)
 *
 * @example
 * ```ts
 * import { PgmqArgumentError } from "@deno-tasker/tasker/durable";
 * throw new PgmqArgumentError("qty", 0, "expected an integer from 1");
 * ```
 */
export class PgmqArgumentError extends TaskerError {
  /** The name of the rejected argument, e.g. `qty`. */
  readonly argument: string;
  /**
   * Creates the error; the message names the argument, its value and the rule.
   *
   * @param argument the argument's name
   * @param value the rejected value (shown JSON-encoded)
   * @param rule the rule it breaks, in words
   */
  constructor(argument: string, value: unknown, rule: string) {
    super("E_PGMQ_ARGUMENT", `invalid PGMQ ${argument} ${showValue(value)}: ${rule}`);
    this.argument = argument;
  }
}

function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return typeof value;
  }
}
