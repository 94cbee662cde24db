/**
 * `tasker events` and `tasker templates validate`.
 *
 * @module
 */

import { stat } from "node:fs/promises";
import { matchPattern } from "../bus/pattern.ts";
import { assertNamespace, domainEventsQueue } from "../names.ts";
import { formatTemplateIssue } from "../template/errors.ts";
import { loadTemplateDir, loadTemplateFile } from "../template/load.ts";
import type { TaskTemplate } from "../template/types.ts";
import { intFlag, parseArgs, positionals, UsageError } from "./args.ts";
import { openCliDatabase, warnIfEphemeral } from "./setup.ts";

/**
 * `events <namespace> [--follow] [--pattern P] [--limit N]`: prints the namespace's durable
 * events as JSON lines, oldest first, reading PGMQ's queue table directly so nothing is consumed
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
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (follow) Deno.addSignalListener("SIGINT", onSignal);
  try {
    let after = 0;
    let printed = 0;
    let exists = false;
    do {
      // The queue appears with the first durable event; once there, it stays.
      exists ||= (await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pgmq.list_queues() WHERE queue_name = $1",
        [queue],
      ))[0]?.n === 1;
      if (!exists && !follow) {
        console.error(`tasker events: no queue ${queue} yet (no durable event has been written)`);
      }
      if (exists) {
        // The table name is built only from a validated namespace (assertNamespace above).
        const rows = await db.query<{ msg_id: number; message: { event_name?: string } }>(
          `SELECT msg_id, message FROM pgmq."q_${queue}" WHERE msg_id > $1 ORDER BY msg_id LIMIT $2`,
          [after, EVENTS_PAGE_SIZE],
        );
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

/** `templates validate <path>`: loads a file or a directory; exit 1 listing every problem. */
export async function templatesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ["json", "lenient"]);
  const [action, path] = positionals(parsed, ["action", "file-or-directory"]);
  if (action !== "validate" || !path) {
    throw new UsageError("usage: tasker templates validate [--lenient] <file-or-directory>");
  }
  // --lenient: unknown keys (files from newer Tasker versions) are warnings, not errors.
  const options = { lenient: parsed.switches.has("lenient") };
  const info = await stat(path).catch(() => undefined);
  let templates: TaskTemplate[];
  if (info?.isDirectory()) templates = await loadTemplateDir(path, options);
  else templates = [await loadTemplateFile(path, options)];
  if (templates.length === 0) {
    throw new UsageError(`no templates (*.yaml, *.yml) in ${path}`);
  }
  for (const t of templates) {
    for (const warning of t.warnings) {
      console.error(`tasker templates: warning: ${formatTemplateIssue(warning)}`);
    }
    console.log(
      `ok ${t.namespace_name}/${t.name}@${t.version} (${t.steps.length} steps) ${t.source ?? ""}`,
    );
  }
  return 0;
}
