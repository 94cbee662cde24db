/**
 * `tasker events`, `tasker templates validate` and `tasker worker`.
 *
 * @module
 */

import { stat } from "node:fs/promises";
import { matchPattern } from "../bus/pattern.ts";
import { assertNamespace, domainEventsQueue } from "../names.ts";
import { loadTemplateDir, loadTemplateFile } from "../template/load.ts";
import type { TaskTemplate } from "../template/types.ts";
import { readEnv } from "../env.ts";
import { type ObservabilityServer, serveObservability } from "../observe/server.ts";
import { Tasker } from "../worker/tasker.ts";
import { intFlag, parseArgs, UsageError } from "./args.ts";
import {
  DEFAULT_HANDLERS_MODULE,
  DEFAULT_TEMPLATES_DIR,
  loadHandlersModule,
  openCliDatabase,
  warnIfEphemeral,
} from "./setup.ts";

/**
 * `events <namespace> [--follow] [--pattern P] [--limit N]`: prints the namespace's durable
 * events as JSON lines, oldest first, reading PGMQ's queue table directly so nothing is consumed
 * (visibility timeouts and read counts are untouched).
 */
export async function eventsCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["pattern", "limit", "interval"], ["follow"]);
  const namespace = parsed.positionals[0];
  if (!namespace) throw new UsageError("events needs a namespace");
  assertNamespace(namespace);
  const pattern = parsed.values.pattern;
  if (pattern !== undefined) matchPattern(pattern, "probe.event");
  const limit = intFlag(parsed, "limit", 1000);
  const interval = intFlag(parsed, "interval", 500);
  const follow = parsed.switches.has("follow");
  warnIfEphemeral("events");
  await using db = await openCliDatabase();
  const queue = domainEventsQueue(namespace);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (follow) Deno.addSignalListener("SIGINT", onSignal);
  try {
    let after = 0;
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
          [after, limit],
        );
        for (const row of rows) {
          after = Number(row.msg_id);
          const name = row.message?.event_name ?? "";
          if (pattern === undefined || matchPattern(pattern, name)) {
            console.log(JSON.stringify(row.message));
          }
        }
        if (rows.length === limit) continue;
      }
      if (!follow) break;
      await new Promise((resolve) => setTimeout(resolve, interval));
    } while (!stop.signal.aborted);
  } finally {
    if (follow) Deno.removeSignalListener("SIGINT", onSignal);
  }
  return 0;
}

/** `templates validate <path>`: loads a file or a directory; exit 1 listing every problem. */
export async function templatesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ["json"]);
  const [action, path] = parsed.positionals;
  if (action !== "validate" || !path) {
    throw new UsageError("usage: tasker templates validate <file-or-directory>");
  }
  const info = await stat(path).catch(() => undefined);
  let templates: TaskTemplate[];
  if (info?.isDirectory()) templates = await loadTemplateDir(path);
  else templates = [await loadTemplateFile(path)];
  for (const t of templates) {
    console.log(
      `ok ${t.namespace_name}/${t.name}@${t.version} (${t.steps.length} steps) ${t.source ?? ""}`,
    );
  }
  return 0;
}

/**
 * `worker [--templates DIR] [--handlers MODULE] [--namespaces a,b] [--concurrency N]
 * [--host H] [--port N] [--token T] [--no-http]`: runs until SIGINT or SIGTERM, then drains
 * gracefully and exits 0. It serves health, metrics and the inspector on `http://H:N` (default
 * 127.0.0.1:8787; `--port 0` picks a free port; the URL is printed on stderr), guarded by the
 * bearer token `--token` or `TASKER_HTTP_TOKEN` when one is given.
 */
export async function workerCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(
    args,
    [
      "templates",
      "handlers",
      "namespaces",
      "concurrency",
      "deadline",
      "recovery-ms",
      "lease",
      "host",
      "port",
      "token",
    ],
    ["no-http"],
  );
  const http = parsed.switches.has("no-http") ? undefined : {
    hostname: parsed.values.host ?? "127.0.0.1",
    port: intFlag(parsed, "port", 8787),
    token: parsed.values.token ?? readEnv("TASKER_HTTP_TOKEN"),
  };
  if (http && http.port > 65535) {
    throw new UsageError(`--port must be at most 65535, got ${http.port}`);
  }
  const register = await loadHandlersModule(parsed.values.handlers ?? DEFAULT_HANDLERS_MODULE);
  const namespaces = parsed.values.namespaces?.split(",").map((n) => n.trim()).filter(Boolean);
  for (const namespace of namespaces ?? []) assertNamespace(namespace);
  const recoveryMs = parsed.values["recovery-ms"] === undefined
    ? undefined
    : intFlag(parsed, "recovery-ms", 30_000);
  const tasker = await Tasker.open({
    templates: parsed.values.templates ?? DEFAULT_TEMPLATES_DIR,
    startWorker: false,
    concurrency: intFlag(parsed, "concurrency", 10),
    leaseSeconds: intFlag(parsed, "lease", 30),
    ...(namespaces ? { namespaces } : {}),
    ...(recoveryMs === undefined ? {} : {
      recovery: { olderThanMs: recoveryMs, intervalMs: Math.max(100, Math.floor(recoveryMs / 2)) },
    }),
  });
  let server: ObservabilityServer | undefined;
  try {
    register(tasker.handlers, tasker.publishers);
    await tasker.start();
    if (http) server = serveObservability(tasker, http);
  } catch (error) {
    await tasker.close();
    throw error;
  }
  const stopped = Promise.withResolvers<string>();
  const onSigint = () => stopped.resolve("SIGINT");
  const onSigterm = () => stopped.resolve("SIGTERM");
  Deno.addSignalListener("SIGINT", onSigint);
  Deno.addSignalListener("SIGTERM", onSigterm);
  console.error(
    `tasker worker ${tasker.worker.id}: working on ${
      (namespaces ?? tasker.templates.namespaces()).join(", ")
    } (${tasker.db.kind})`,
  );
  if (server) {
    console.error(
      `tasker worker: health, metrics and inspector on ${server.url}${
        http?.token ? " (bearer token required except on /health)" : ""
      }`,
    );
  }
  const signal = await stopped.promise;
  Deno.removeSignalListener("SIGINT", onSigint);
  Deno.removeSignalListener("SIGTERM", onSigterm);
  console.error(`tasker worker: ${signal}, draining`);
  await server?.close();
  await tasker.close({ deadlineMs: intFlag(parsed, "deadline", 10_000) });
  const stats = tasker.worker.stats();
  console.error(
    `tasker worker: stopped after ${stats.processed} steps (${stats.succeeded} succeeded, ${stats.failed} failed)`,
  );
  return 0;
}
