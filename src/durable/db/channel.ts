/**
 * `LISTEN`/`NOTIFY` channel names. Both adapters put the channel into a `LISTEN` statement, so
 * the name is checked first: a plain lowercase identifier means the same channel on PGlite
 * (unquoted) and on postgres.js (quoted), and nothing can be injected.
 *
 * @module
 */

import { InvalidNameError } from "../../names.ts";

/** A channel name: a lowercase letter or `_`, then up to 62 of `[a-z0-9_]`. */
export const CHANNEL_NAME_PATTERN: RegExp = /^[a-z_][a-z0-9_]{0,62}$/;

/** The channel PGMQ 1.11 notifies on after an insert: `pgmq.q_<queue>.INSERT`. */
export const PGMQ_INSERT_CHANNEL_PATTERN: RegExp = /^pgmq\.q_[a-z_][a-z0-9_]{0,46}\.INSERT$/;

/**
 * Throws `InvalidNameError` unless `channel` matches {@link CHANNEL_NAME_PATTERN} or
 * {@link PGMQ_INSERT_CHANNEL_PATTERN}; both adapters quote the name in `LISTEN`.
 *
 * @example
 * ```ts
 * import { assertChannelName } from "./channel.ts";
 * assertChannelName("tasker_step_ready");
 * ```
 */
export function assertChannelName(channel: string): void {
  if (!CHANNEL_NAME_PATTERN.test(channel) && !PGMQ_INSERT_CHANNEL_PATTERN.test(channel)) {
    throw new InvalidNameError(
      "channel name",
      channel,
      "expected a lowercase letter or _ then [a-z0-9_] (at most 63 characters), or PGMQ's pgmq.q_<queue>.INSERT",
    );
  }
}
