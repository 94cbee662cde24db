/**
 * The live event inspector: `GET /` serves one self-contained page (and `GET /tasks/{uuid}` the
 * view of one task, see `inspector_task_page.ts`), `GET /events/stream` an
 * event stream of the bus's domain events (filtered server-side by `?pattern=`) interleaved with
 * a `stats` event every second (actors, bus, writer, router, worker, throughput, recent tasks).
 *
 * Every connected client is its own bus subscriber with a bounded `drop_oldest` mailbox, and its
 * stream holds a bounded number of unread frames: a slow or stalled browser makes its own
 * subscriber drop its oldest events (counted, and shown to that client in `stats.client`), never
 * the publisher or another subscriber.
 *
 * @module
 */

import { compilePattern, InvalidPatternError } from "../bus/pattern.ts";
import type { Subscription } from "../bus/types.ts";
import type { DropReason } from "../actors/types.ts";
import { TaskerError } from "../errors.ts";
import { inspectorPage } from "./inspector_page.ts";
import { inspectorTaskPage, TASK_PAGE_PATH } from "./inspector_task_page.ts";
import {
  type InspectorSource,
  type InspectorStats,
  RecentTasks,
  StatsSampler,
} from "./inspector_stats.ts";
import { SSE_HEADERS, SseStream } from "./sse.ts";
import type { ObservedTasker } from "./observed.ts";
import { observedEngine } from "./observed_engine.ts";

export type {
  InspectorRates,
  InspectorStats,
  RateSample,
  RecentStep,
  RecentTask,
} from "./inspector_stats.ts";

/** The inspector's HTTP routes, mounted by the observability server (or served directly). */
export interface InspectorRoutes {
  /**
   * Serves GET / (the page), GET /tasks/{uuid} (a task's page) and GET /events/stream (SSE);
   * undefined for any other path.
   */
  handle(request: Request, url: URL): Response | Promise<Response> | undefined;
  /** Ends open SSE streams and unsubscribes from the bus. */
  close(): Promise<void>;
}

/** Tuning of {@link inspectorRoutes}; the defaults suit a browser on the same machine. */
export interface InspectorOptions {
  /** Interval of the `stats` event, in ms. Default 1000. */
  statsIntervalMs?: number;
  /** Interval of `: keep-alive` comments, in ms. Default 15,000. */
  keepAliveMs?: number;
  /** Mailbox capacity of each client's bus subscriber (`drop_oldest`). Default 256. */
  clientMailboxCapacity?: number;
  /** Unread frames held per client before its subscriber waits. Default 64. */
  clientQueueFrames?: number;
  /** Tasks kept in the recent-task list. Default 50. */
  recentTasks?: number;
  /** Streams open at once, at most; more get 503. Default 32. */
  maxClients?: number;
}

/** What a client's `stats` event says about that client's own stream. */
export interface InspectorClientStats {
  /** The client's bus subscriber (actor) name. */
  subscriber: string;
  /** The patterns it subscribed with. */
  patterns: string[];
  /** Events sent to the client. */
  sent: number;
  /** Events its mailbox dropped because the client read too slowly (`drop_oldest`). */
  dropped: number;
}

interface Client {
  readonly stream: SseStream;
  readonly subscription: Subscription;
}

/** Actor names of inspector clients, unique in the process (several inspectors may share a bus). */
let clientCounter = 0;

const STREAM_PATH = "/events/stream";

/**
 * The inspector's fixed paths (the page and its stream; a task's page is `TASK_PAGE_PATH`): the
 * server answers other methods on them with 405 even when the inspector is off.
 */
export const INSPECTOR_PATHS: ReadonlySet<string> = new Set(["/", STREAM_PATH]);

/**
 * Builds the inspector's routes over a Tasker. Nothing runs until a client connects: the stats
 * timer runs only while at least one stream is open.
 *
 * @param tasker the Tasker to inspect (its bus, writer, worker and templates)
 * @param options intervals and bounds
 * @returns the routes; call `close()` on shutdown
 *
 * @example
 * ```ts ignore
 * import { inspectorRoutes } from "@deno-tasker/tasker/observe";
 * const routes = inspectorRoutes(tasker);
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 8787 }, (request) =>
 *   routes.handle(request, new URL(request.url)) ?? new Response("not found", { status: 404 }));
 * // ... on shutdown:
 * await routes.close();
 * await server.shutdown();
 * ```
 */
export function inspectorRoutes(
  tasker: ObservedTasker,
  options: InspectorOptions = {},
): InspectorRoutes {
  const { worker, writer } = observedEngine(tasker);
  return new Inspector({ bus: tasker.bus, templates: tasker.templates, worker, writer }, options);
}

class Inspector implements InspectorRoutes {
  readonly #source: InspectorSource;
  readonly #options: Required<InspectorOptions>;
  readonly #recent: RecentTasks;
  readonly #sampler: StatsSampler;
  readonly #clients = new Map<SseStream, Client>();
  readonly #stopOutcomes: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;

  constructor(source: InspectorSource, options: InspectorOptions) {
    this.#source = source;
    this.#options = {
      statsIntervalMs: options.statsIntervalMs ?? 1000,
      keepAliveMs: options.keepAliveMs ?? 15_000,
      clientMailboxCapacity: options.clientMailboxCapacity ?? 256,
      clientQueueFrames: options.clientQueueFrames ?? 64,
      recentTasks: options.recentTasks ?? 50,
      maxClients: options.maxClients ?? 32,
    };
    this.#recent = new RecentTasks(source.templates, this.#options.recentTasks);
    this.#sampler = new StatsSampler(source, this.#recent);
    this.#stopOutcomes = source.worker.onOutcome((claim, outcome) => {
      this.#recent.record(claim, outcome);
    });
  }

  handle(request: Request, url: URL): Response | undefined {
    const taskPage = TASK_PAGE_PATH.test(url.pathname);
    if (!INSPECTOR_PATHS.has(url.pathname) && !taskPage) return undefined;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json(405, { code: "E_METHOD", message: `${request.method} is not allowed here` }, {
        allow: "GET, HEAD",
      });
    }
    if (url.pathname === "/") return page(request.method === "HEAD", inspectorPage);
    if (taskPage) return page(request.method === "HEAD", inspectorTaskPage);
    return this.#openStream(url, request.method === "HEAD");
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#stopOutcomes();
    this.#stopTimer();
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    for (const client of clients) client.stream.close();
    await Promise.all(
      clients.map((client) => client.subscription.unsubscribe({ deadlineMs: 100 })),
    );
  }

  #openStream(url: URL, headOnly: boolean): Response {
    if (this.#closing !== undefined) {
      return json(503, { code: "E_INSPECTOR_CLOSED", message: "the inspector is shutting down" });
    }
    const patterns = parsePatterns(url.searchParams.get("pattern"));
    for (const pattern of patterns) {
      try {
        compilePattern(pattern);
      } catch (error) {
        if (!(error instanceof InvalidPatternError)) throw error;
        return json(400, {
          code: error.code,
          message: error.message,
          pattern: error.pattern,
          reason: error.reason,
        });
      }
    }
    if (headOnly) return new Response(null, { status: 200, headers: SSE_HEADERS });
    if (this.#clients.size >= this.#options.maxClients) {
      return json(503, {
        code: "E_TOO_MANY_CLIENTS",
        message: `the inspector already serves ${this.#options.maxClients} streams`,
      });
    }
    const stream: SseStream = new SseStream({
      highWaterMark: this.#options.clientQueueFrames,
      keepAliveMs: this.#options.keepAliveMs,
      onClose: () => this.#drop(stream),
    });
    let subscription: Subscription;
    try {
      subscription = this.#source.bus.subscribe(patterns, async (event, signal) => {
        if (await stream.ready(signal)) {
          stream.send({ event: "domain_event", id: event.event_id, data: event });
        }
      }, {
        name: `inspector_client_${++clientCounter}`,
        mailboxCapacity: this.#options.clientMailboxCapacity,
        overflow: "drop_oldest",
      });
    } catch (error) {
      stream.close();
      if (error instanceof TaskerError) {
        return json(503, { code: error.code, message: error.message });
      }
      throw error;
    }
    const client: Client = { stream, subscription };
    this.#clients.set(stream, client);
    stream.send({ event: "ready", data: { subscriber: subscription.name, patterns } });
    stream.send({ event: "stats", data: this.#statsFor(client, this.#sampler.take(false)) });
    this.#startTimer();
    return stream.response();
  }

  #drop(stream: SseStream): void {
    const client = this.#clients.get(stream);
    if (client === undefined || !this.#clients.delete(stream)) return;
    void client.subscription.unsubscribe({ deadlineMs: 100 });
    if (this.#clients.size === 0) this.#stopTimer();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#sampler.take(true); // the baseline of the first rates
    this.#timer = setInterval(() => this.#tick(), this.#options.statsIntervalMs);
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const snapshot = this.#sampler.take(true);
    for (const client of this.#clients.values()) {
      // Stats are replaced by the next tick anyway: skip them for a client whose queue is full.
      client.stream.send({ event: "stats", data: this.#statsFor(client, snapshot) });
    }
  }

  #statsFor(
    client: Client,
    snapshot: InspectorStats,
  ): InspectorStats & { client: InspectorClientStats } {
    const actor = client.subscription.stats();
    return {
      ...snapshot,
      client: {
        subscriber: client.subscription.name,
        patterns: [...client.subscription.patterns],
        sent: client.stream.sent,
        dropped: sumDrops(actor.dropped),
      },
    };
  }
}

/** `?pattern=` as a list: comma-separated, blanks ignored; none means every event. */
function parsePatterns(raw: string | null): string[] {
  const patterns = (raw ?? "").split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  return patterns.length > 0 ? patterns : ["#"];
}

function sumDrops(dropped: Record<DropReason, number>): number {
  return dropped.full + dropped.evicted + dropped.deadline + dropped.stopped;
}

function json(status: number, error: Record<string, unknown>, headers = {}): Response {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function page(headOnly: boolean, html: (nonce: string) => string): Response {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  return new Response(headOnly ? null : html(nonce), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // Everything is inline and nothing is fetched from elsewhere; the CSP makes that a rule.
      "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; ` +
        `style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; ` +
        "form-action 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
    },
  });
}
