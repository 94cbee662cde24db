/**
 * The observability HTTP server (`Deno.serve`): health, metrics, configuration, templates and the
 * live inspector of one Tasker. Off by default in the library, on in `tasker worker`.
 *
 * An optional bearer token guards every route except the probes (`/health`, `/health/live`,
 * `/health/ready`) and the empty inspector page `/`; `/health/detailed` (queue names, depths,
 * the writer's last error) needs it. It is compared in constant time (both sides hashed, then
 * compared byte by byte without an early exit), so response timing says nothing about how much
 * of a guess was right.
 *
 * The public socket belongs to a TCP front (`http_front.ts`) that drops connections whose
 * request headers do not arrive within `headerTimeoutMs` (slow-loris), and pipes the rest to
 * `Deno.serve` on a private loopback port (so `--allow-net` must include `127.0.0.1`).
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { TaskerError } from "../errors.ts";
import type { ObservedTasker } from "./observed.ts";
import { observedEngine } from "./observed_engine.ts";
import type { HealthOptions } from "./health.ts";
import { INSPECTOR_PATHS, type InspectorRoutes, inspectorRoutes } from "./inspector.ts";
import { type HttpFront, listenFront } from "./http_front.ts";
import { isObservabilityPath, jsonResponse, observabilityRoute } from "./routes.ts";
import { taskApiRoute } from "./api_tasks.ts";
import { TASK_PAGE_PATH } from "./inspector_task_page.ts";

/** Options of {@link serveObservability}. */
export interface ObservabilityServerOptions {
  /** Address to bind. Default `127.0.0.1` (this machine only). */
  hostname?: string;
  /** Port; 0 picks a free one (see `addr`). Default 8787. */
  port?: number;
  /**
   * Bearer token required on every route except `/health`, `/health/live`, `/health/ready` and
   * the inspector page `/`. Default none.
   */
  token?: string;
  /** A request's headers must arrive within this many ms, or the connection is closed. Default 10,000. */
  headerTimeoutMs?: number;
  /** A keep-alive connection idle (no bytes either way) this long between requests is closed. Default 60,000. */
  idleTimeoutMs?: number;
  /** Aborting it closes the server. */
  signal?: AbortSignal;
  /** Called once listening, with the bound address. Default: nothing is printed. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Mount the live inspector at `/` and `/events/stream`. Default true. */
  inspector?: boolean;
  /** Thresholds and probe deadline of the health routes. */
  health?: HealthOptions;
}

/** A running observability server. */
export interface ObservabilityServer extends AsyncDisposable {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** `http://host:port` of the server. */
  readonly url: string;
  /** Ends inspector streams and stops the server, waiting for open requests. Idempotent. */
  close(): Promise<void>;
}

/** Thrown when the server cannot listen (port taken, no `--allow-net`). */
export class ObservabilityServerError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what failed, naming the address
   * @param options the cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super("E_OBSERVABILITY_SERVER", message, options);
  }
}

/**
 * Serves health, metrics, configuration, templates and the inspector of `tasker` over HTTP.
 *
 * Routes (GET or HEAD): `/health` (200 healthy or degraded, 503 unhealthy), `/health/live`,
 * `/health/ready` (503 when not ready), `/health/detailed` (token), `/metrics` (Prometheus text),
 * `/metrics/worker`, `/metrics/events`, `/config`, `/v1/templates`,
 * `/v1/templates/{namespace}/{name}/{version}`, the inspector's `/`, `/tasks/{uuid}` and
 * `/events/stream`, and the task API (`GET`/`POST /v1/tasks`, `GET /v1/tasks/{uuid}`, task and
 * step actions; see `api_tasks.ts`).
 * Unknown paths answer 404 `{error: "not_found", path}`, other methods 405, a missing or wrong
 * token 401 with `WWW-Authenticate: Bearer`.
 *
 * @param tasker the Tasker to observe
 * @param options address, token and lifetime
 * @returns the running server; close it (or `await using`) before the Tasker
 * @throws {ObservabilityServerError} when it cannot listen
 *
 * @example
 * ```ts ignore
 * await using tasker = await Tasker.open({ templates: "./templates" });
 * await using server = serveObservability(tasker, { port: 0, token: "s3cret" });
 * const response = await fetch(`${server.url}/health`);
 * console.log(response.status, await response.json());
 * ```
 */
export function serveObservability(
  tasker: ObservedTasker,
  options: ObservabilityServerOptions = {},
): ObservabilityServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 8787;
  const token = options.token === undefined || options.token === "" ? undefined : options.token;
  const expected = token === undefined ? undefined : digest(token);
  const inspector: InspectorRoutes | undefined = options.inspector === false
    ? undefined
    : inspectorRoutes(tasker);
  const health = options.health ?? {};

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    // Probes must not need secrets, and a browser cannot send a bearer header when it navigates:
    // the inspector page itself holds no data (it reads `#token=` and sends the header on its
    // stream), so `/` is open too. Everything that carries data stays guarded.
    if (
      !isOpenPath(normalPath(url.pathname)) && expected !== undefined &&
      !(await authorized(request, expected))
    ) {
      return jsonResponse(401, { error: "unauthorized", path: url.pathname }, {
        "www-authenticate": 'Bearer realm="deno-tasker"',
      });
    }
    const fromInspector = inspector?.handle(request, url);
    if (fromInspector !== undefined) return await fromInspector;
    const fromTaskApi = await taskApiRoute(tasker, request, url);
    if (fromTaskApi !== undefined) return fromTaskApi;
    const isGet = request.method === "GET" || request.method === "HEAD";
    const response = isGet ? await observabilityRoute(tasker, url, health) : undefined;
    if (response !== undefined) return response;
    if (!isGet && knownPath(url.pathname)) return methodNotAllowed(request, url);
    return jsonResponse(404, { error: "not_found", path: url.pathname });
  };

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let front: HttpFront;
  try {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
      onError: (error) => {
        console.error(`deno-tasker: observability request failed: ${errorMessage(error)}`);
        return jsonResponse(500, { error: "internal_error" });
      },
    }, handler);
    front = listenFront({
      hostname,
      port,
      upstream: { hostname: "127.0.0.1", port: server.addr.port },
      headerTimeoutMs: positive(options.headerTimeoutMs, 10_000),
      idleTimeoutMs: positive(options.idleTimeoutMs, 60_000),
      maxHeaderBytes: 32 * 1024,
    });
  } catch (error) {
    void inspector?.close();
    void server?.shutdown();
    throw new ObservabilityServerError(
      `could not serve observability on ${hostname}:${port}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const addr = front.addr;
  options.onListen?.(addr);
  const detach = observedEngine(tasker).observer.attachHttp({
    hostname: addr.hostname,
    port: addr.port,
    token_set: token !== undefined,
  });
  let closing: Promise<void> | undefined;
  const onAbort = () => void close();
  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      detach();
      // Inspector streams never end on their own: close them first or shutdown waits forever.
      await inspector?.close();
      // Deno.serve first: it finishes open responses and closes its side, and the front passes
      // every byte on before closing the client's; then the front drops whatever is left.
      await server!.shutdown();
      await front.close();
    })();
    return closing;
  };
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    addr,
    url: `http://${host}:${addr.port}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The routes anyone may read: liveness and readiness probes, and the data-free inspector page. */
const OPEN_PATHS = new Set(["/", "/health", "/health/live", "/health/ready"]);

/**
 * Open too: the inspector's task page `/tasks/{uuid}`, which like `/` holds no data (it reads the
 * task from `/v1/tasks/{uuid}` with the token of its `#token=` fragment).
 */
function isOpenPath(path: string): boolean {
  return OPEN_PATHS.has(path) || TASK_PAGE_PATH.test(path);
}

/** The path without trailing slashes, as the routes match it. */
function normalPath(pathname: string): string {
  return pathname.length > 1 ? pathname.replace(/\/+$/, "") || "/" : pathname;
}

/** Whether a route exists at `pathname`: a non-GET request to one is a 405, elsewhere a 404. */
function knownPath(pathname: string): boolean {
  const path = normalPath(pathname);
  return INSPECTOR_PATHS.has(path) || isObservabilityPath(path);
}

function positive(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ObservabilityServerError(`timeouts must be positive numbers of ms, got ${value}`);
  }
  return value;
}

function methodNotAllowed(request: Request, url: URL): Response {
  return jsonResponse(405, {
    error: "method_not_allowed",
    method: request.method,
    path: url.pathname,
  }, { allow: "GET, HEAD" });
}

async function authorized(request: Request, expected: Promise<Uint8Array>): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer[ \t]+(.+)$/i.exec(header.trim());
  const given = await digest(match?.[1] ?? "");
  const wanted = await expected;
  // Both are SHA-256 digests (same length): compare every byte, no early exit.
  let difference = match ? 0 : 1;
  for (let i = 0; i < wanted.length; i++) difference |= wanted[i]! ^ given[i]!;
  return difference === 0;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
}
