// Helpers of the inspector tests: serve routes on a free port, read an SSE response frame by
// frame with deadlines, and build synthetic domain events.
import { domainEvent } from "./_helpers.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { withinDeadline } from "../../src/deadline.ts";
import type { InspectorRoutes } from "../../src/observe/inspector.ts";

/** One parsed SSE frame. */
export interface Frame {
  event: string;
  data: string;
  id?: string;
  comments: string[];
}

/** Serves `routes` on 127.0.0.1 at a free port; 404 for paths the routes do not take. */
export function serveRoutes(routes: InspectorRoutes): { url: string; server: Deno.HttpServer } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      routes.handle(request, new URL(request.url)) ?? new Response("not found", { status: 404 }),
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, server };
}

/** Reads SSE frames from a response body. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #pending: string[] = [];
  #done = false;
  /** Every frame read so far. */
  readonly frames: Frame[] = [];

  constructor(response: Response) {
    this.#reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Whether the server ended the stream. */
  get done(): boolean {
    return this.#done;
  }

  /** The next frame (comment-only frames included), or undefined when the stream ended. */
  async next(timeoutMs = 10_000): Promise<Frame | undefined> {
    while (this.#pending.length === 0) {
      if (this.#done) return undefined;
      const chunk = await withDeadline(this.#reader.read(), timeoutMs, "the next SSE chunk");
      if (chunk.done) {
        this.#done = true;
        break;
      }
      this.#buffer += chunk.value;
      let end: number;
      while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
        this.#pending.push(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
    }
    const raw = this.#pending.shift();
    if (raw === undefined) return undefined;
    const frame = parseFrame(raw);
    this.frames.push(frame);
    return frame;
  }

  /** Reads until a frame satisfies `predicate`; throws naming what was seen at the deadline. */
  async until(predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame; saw ${this.#describe()}`);
      const frame = await this.next(left);
      if (frame === undefined) throw new Error(`stream ended; saw ${this.#describe()}`);
      if (predicate(frame)) return frame;
    }
  }

  /** The names of the domain events read so far. */
  eventNames(): string[] {
    return this.frames.filter((f) => f.event === "domain_event").map((f) =>
      (JSON.parse(f.data) as DomainEvent).event_name
    );
  }

  /** Stops reading (cancels the response body). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  #describe(): string {
    return JSON.stringify(this.frames.map((f) => f.event)).slice(0, 500);
  }
}

/** Parses one frame's lines (`field: value`, comments starting with `:`). */
export function parseFrame(raw: string): Frame {
  const frame: Frame = { event: "message", data: "", comments: [] };
  const data: string[] = [];
  for (const line of raw.split("\n")) {
    if (line.startsWith(":")) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") frame.event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") frame.id = value;
  }
  frame.data = data.join("\n");
  return frame;
}

/** Resolves like `promise`, or rejects after `ms` naming `what` (the timer is always cleared). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const outcome = await withinDeadline(promise, ms);
  if (!outcome.finished) throw new Error(`timed out waiting for ${what}`);
  return outcome.value;
}

/** Polls `check` every 10 ms until it returns true; throws naming `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A valid domain event named `name`, for publishing straight onto a bus. */
export function syntheticEvent(name: string, namespace = "inspect"): DomainEvent {
  return domainEvent(name, namespace);
}
