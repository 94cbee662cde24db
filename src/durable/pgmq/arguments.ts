/**
 * The PGMQ client's argument checks: each returns the value it accepts, or throws
 * {@link PgmqArgumentError} naming the argument before any SQL runs.
 *
 * @module
 */

import { errorMessage } from "../../error_message.ts";
import { PgmqArgumentError } from "./errors.ts";

/** The JSON text of `value`, which must be serializable. */
export function jsonArgument(argument: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    const reason = errorMessage(error);
    throw new PgmqArgumentError(argument, typeof value, `not JSON-serializable (${reason})`);
  }
  if (text === undefined) {
    throw new PgmqArgumentError(argument, value, "not JSON-serializable");
  }
  return text;
}

/** A whole number of seconds from 0. */
export function seconds(argument: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new PgmqArgumentError(argument, value, "expected a whole number of seconds from 0");
  }
  return value;
}

/** A message count from 1. */
export function quantity(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new PgmqArgumentError("qty", value, "expected an integer from 1");
  }
  return value;
}

/** A message id: a positive integer. */
export function messageId(argument: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new PgmqArgumentError(argument, value, "expected a message id (a positive integer)");
  }
  return value;
}

/** A message id to read after: 0 (from the start) or a message id. */
export function afterMessageId(argument: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new PgmqArgumentError(argument, value, "expected 0 or a message id (a positive integer)");
  }
  return value;
}
