/**
 * `tasker events`: prints a namespace's durable domain events without consuming them.
 *
 * @module
 */

import { matchPattern } from "../bus/pattern.ts";
import { Pgmq } from "../durable/pgmq/pgmq.ts";
import { assertNamespace, domainEventsQueue } from "../names.ts";
import { intFlag, parseArgs, positionals, UsageError } from "./args.ts";
import { openCliDatabase, warnIfEphemeral } from "./setup.ts";

/**
 * `events <namespace> [--follow] [--pattern P] [--limit N]`: prints the namespace's durable
 * events as JSON lines, oldest first, browsing PGMQ's queue table so nothing is consumed
 * (visibility timeouts and read counts are untouched).
 */
export async function eventsCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["pattern", "limit", "interval"], ["follow"]);
  const [namespace] = positionals(parsed, ["namespace"]);
  if (!namespace) throw new UsageError("events needs a namespace");
  assertNamespace(namespace);
  const pattern = parsed.values.pattern;
  if (pattern !== undefined) matchPattern(pattern, "probe.event");
  const limit = parsed.values.limit === undefined
    ? Infinity
    : intFlag(parsed, "limit", 0, { min: 1, unit: "events" });
  const interval = intFlag(parsed, "interval", 500, { min: 1, unit: "ms" });
  const follow = parsed.switches.has("follow");
  warnIfEphemeral("events");
  await using db = await openCliDatabase();
  const queue = domainEventsQueue(namespace);
  const pgmq = new Pgmq(db);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (follow) Deno.addSignalListener("SIGINT", onSignal);
  try {
    let after = 0;
    let printed = 0;
    let exists = false;
    do {
      // The queue appears with the first durable event; once there, it stays.
      exists ||= (await pgmq.existingQueues([queue])).has(queue);
      if (!exists && !follow) {
        console.error(`tasker events: no queue ${queue} yet (no durable event has been written)`);
      }
      if (exists) {
        const rows = await pgmq.browse<{ event_name?: string }>(queue, {
          afterMsgId: after,
          qty: EVENTS_PAGE_SIZE,
        });
        for (const row of rows) {
          after = Number(row.msg_id);
          const name = row.message?.event_name ?? "";
          if (pattern === undefined || matchPattern(pattern, name)) {
            console.log(JSON.stringify(row.message));
            if (++printed >= limit) return 0;
          }
        }
        if (rows.length === EVENTS_PAGE_SIZE) continue;
      }
      if (!follow) break;
      await new Promise((resolve) => setTimeout(resolve, interval));
    } while (!stop.signal.aborted);
  } finally {
    if (follow) Deno.removeSignalListener("SIGINT", onSignal);
  }
  return 0;
}

/** How many queue rows `events` reads per query. */
const EVENTS_PAGE_SIZE = 500;
