/**
 * Delayed tasks: `run_at` (a time) or `delay_ms` (from now) on a task request hold its first
 * steps back. The root steps' PGMQ messages are sent with that visibility time, so no worker
 * sees them earlier, and the task records `run_at` so its status says when it will run.
 *
 * @module
 */

import { TaskRequestError } from "./task_request_wire.ts";

/** The delay fields of a task request. */
export interface DelayFields {
  /** When the task's first steps may run: a Date or an ISO 8601 string. */
  run_at?: Date | string;
  /** How long from now before its first steps may run, in milliseconds. */
  delay_ms?: number;
}

/** The longest delay accepted: one year, in milliseconds. */
export const MAX_DELAY_MS = 366 * 86_400_000;

/**
 * When a request's first steps may run, or undefined for at once (also when the time has
 * passed).
 *
 * @param template `namespace/name@version`, for errors
 * @param request the delay fields
 * @param now the current time (tests pass one)
 * @throws {TaskRequestError} when both are given, `run_at` is not a date-time, or `delay_ms` is
 *   not a whole number from 0 to a year
 *
 * @example
 * ```ts
 * import { delayedStart } from "./schedules_delay.ts";
 * delayedStart("ns/t@1", { delay_ms: 60_000 }); // a Date one minute from now
 * ```
 */
export function delayedStart(
  template: string,
  request: DelayFields,
  now: Date = new Date(),
): Date | undefined {
  if (request.run_at !== undefined && request.delay_ms !== undefined) {
    throw new TaskRequestError(
      template,
      "delay_ms",
      request.delay_ms,
      "no delay_ms when run_at is given",
    );
  }
  let at: Date | undefined;
  if (request.run_at !== undefined) {
    at = request.run_at instanceof Date ? request.run_at : new Date(request.run_at);
    if (typeof request.run_at === "string" && !/\d{4}-\d{2}-\d{2}T/.test(request.run_at)) {
      throw new TaskRequestError(template, "run_at", request.run_at, "an ISO 8601 date-time");
    }
    if (Number.isNaN(at.getTime())) {
      throw new TaskRequestError(template, "run_at", String(request.run_at), "a date-time");
    }
    if (at.getTime() - now.getTime() > MAX_DELAY_MS) {
      throw new TaskRequestError(template, "run_at", at.toISOString(), "at most a year ahead");
    }
  } else if (request.delay_ms !== undefined) {
    const ms = request.delay_ms;
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS) {
      throw new TaskRequestError(
        template,
        "delay_ms",
        ms,
        `a whole number of ms from 0 to ${MAX_DELAY_MS}`,
      );
    }
    at = new Date(now.getTime() + ms);
  }
  return at !== undefined && at.getTime() > now.getTime() ? at : undefined;
}
