/**
 * `tasker worker`: a long-running worker with its observability server.
 *
 * @module
 */

import { readEnv } from "../env.ts";
import { assertNamespace } from "../names.ts";
import {
  type ObservabilityServer,
  ObservabilityServerError,
  serveObservability,
} from "../observe/server.ts";
import { TemplateRegistry } from "../template/registry.ts";
import { Tasker } from "../tasker.ts";
import { type Retention, startRetention } from "../worker/retention.ts";
import { parseDuration } from "../worker/task_queries.ts";
import { TaskerError } from "../errors.ts";
import { intFlag, parseArgs, positionals, UsageError } from "./args.ts";
import { loadHandlersModule, projectPaths } from "./setup.ts";

/** The observability server's port when `--port` is not given. */
export const DEFAULT_HTTP_PORT = 8787;

/** Where the worker serves health, metrics and the inspector. */
interface HttpSettings {
  hostname: string;
  port: number;
  /** `--port` was given: a busy port is then an error, not a reason to pick another. */
  explicit: boolean;
  token?: string;
}

/**
 * `worker [--templates DIR] [--handlers MODULE] [--namespaces a,b] [--concurrency N]
 * [--lease S] [--deadline MS] [--recovery-ms MS] [--host H] [--port N] [--token T] [--no-http]
 * [--purge-older-than AGE]`:
 * runs until SIGINT or SIGTERM, then drains gracefully and exits 0. It serves health, metrics
 * and the inspector on `http://H:N` (default 127.0.0.1:8787; when 8787 is taken, e.g. by a second
 * worker on the host, it picks a free port and says so; `--port 0` always picks one; the URL is
 * printed on stderr), guarded by the bearer token `--token` or `TASKER_HTTP_TOKEN` when one is
 * given.
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
      "purge-older-than",
    ],
    ["no-http"],
  );
  positionals(parsed, []);
  const http: HttpSettings | undefined = parsed.switches.has("no-http") ? undefined : {
    hostname: parsed.values.host ?? "127.0.0.1",
    port: intFlag(parsed, "port", DEFAULT_HTTP_PORT, { max: 65535 }),
    explicit: parsed.values.port !== undefined,
    token: parsed.values.token ?? readEnv("TASKER_HTTP_TOKEN"),
  };
  const concurrency = intFlag(parsed, "concurrency", 10, { min: 1, unit: "steps at once" });
  const leaseSeconds = intFlag(parsed, "lease", 30, { min: 1, unit: "s" });
  const deadlineMs = intFlag(parsed, "deadline", 10_000, { unit: "ms" });
  const recoveryMs = parsed.values["recovery-ms"] === undefined
    ? undefined
    : intFlag(parsed, "recovery-ms", 30_000, { min: 1, unit: "ms" });
  const purgeRaw = parsed.values["purge-older-than"];
  const purgeOlderThanMs = purgeRaw === undefined ? undefined : parseDuration(purgeRaw);
  if (purgeRaw !== undefined && purgeOlderThanMs === undefined) {
    throw new UsageError(
      `--purge-older-than must be an age such as 12h, 30d or 2w, got ${JSON.stringify(purgeRaw)}`,
    );
  }
  const namespaces = parsed.values.namespaces?.split(",").map((n) => n.trim()).filter(Boolean);
  if (namespaces?.length === 0) throw new UsageError("--namespaces needs at least one namespace");
  for (const namespace of namespaces ?? []) assertNamespace(namespace);
  const paths = await projectPaths(parsed, "worker");
  const templates = await TemplateRegistry.fromDir(paths.templates);
  const unknown = (namespaces ?? []).filter((n) => !templates.namespaces().includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `--namespaces: no template in ${paths.templates} has namespace ${unknown.join(", ")} ` +
        `(namespaces: ${templates.namespaces().join(", ") || "none"})`,
    );
  }
  const register = await loadHandlersModule(paths.handlers);
  const tasker = await Tasker.open({
    templates,
    startWorker: false,
    concurrency,
    leaseSeconds,
    ...(namespaces ? { namespaces } : {}),
    ...(recoveryMs === undefined ? {} : {
      recovery: { olderThanMs: recoveryMs, intervalMs: Math.max(100, Math.floor(recoveryMs / 2)) },
    }),
  });
  let server: ObservabilityServer | undefined;
  let retention: Retention | undefined;
  try {
    register(tasker.handlers, tasker.publishers);
    await tasker.start();
    if (http) server = serve(tasker, http);
  } catch (error) {
    await tasker.close();
    throw error;
  }
  if (purgeOlderThanMs !== undefined) {
    retention = startRetention(tasker.db, { olderThanMs: purgeOlderThanMs });
  }
  const stopped = Promise.withResolvers<string>();
  const onSigint = () => stopped.resolve("SIGINT");
  const onSigterm = () => stopped.resolve("SIGTERM");
  Deno.addSignalListener("SIGINT", onSigint);
  Deno.addSignalListener("SIGTERM", onSigterm);
  console.error(
    `tasker worker ${tasker.workerId}: working on ${
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
  await retention?.close();
  await tasker.close({ deadlineMs });
  const stats = tasker.stats();
  console.error(
    `tasker worker: stopped after ${stats.processed} steps (${stats.succeeded} succeeded, ${stats.failed} failed)`,
  );
  if (stats.abandoned > 0) {
    console.error(
      `tasker worker: abandoned ${stats.abandoned} step handler(s) that did not stop within --deadline plus the grace period; their steps were released to run again`,
    );
    return ABANDONED_EXIT_CODE;
  }
  return 0;
}

/** Exit code of a worker that had to abandon handlers at shutdown (their steps were released). */
export const ABANDONED_EXIT_CODE = 3;

/** A port someone else holds, as one line that says how to choose another. */
export class PortInUseError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message the address and how to choose another
   */
  constructor(message: string) {
    super("E_PORT_IN_USE", message);
  }
}

/**
 * Serves observability on `http`. The default port, when taken (a second worker on the host),
 * gives way to a free one, said on stderr; a port asked for with `--port` is an error instead.
 */
function serve(tasker: Tasker, http: HttpSettings): ObservabilityServer {
  const options = { hostname: http.hostname, ...(http.token ? { token: http.token } : {}) };
  try {
    return serveObservability(tasker, { ...options, port: http.port });
  } catch (error) {
    const inUse = error instanceof ObservabilityServerError &&
      error.cause instanceof Deno.errors.AddrInUse;
    if (!inUse) throw error;
    if (http.explicit) {
      throw new PortInUseError(
        `port ${http.port} on ${http.hostname} is already in use (another tasker worker?): ` +
          `choose another with --port N, --port 0 for a free one, or --no-http`,
      );
    }
    console.error(
      `tasker worker: port ${http.port} on ${http.hostname} is already in use (another tasker ` +
        `worker?); serving on a free port instead (choose one with --port N)`,
    );
    return serveObservability(tasker, { ...options, port: 0 });
  }
}
