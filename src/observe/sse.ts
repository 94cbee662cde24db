/**
 * Server-sent events: the `text/event-stream` framing and one bounded stream per client.
 *
 * A {@link SseStream} never grows without bound: it holds at most `highWaterMark` frames that the
 * client has not read yet. Writers ask {@link SseStream.ready} before sending, so a slow browser
 * makes its writer wait (and the bus subscriber behind it drop its oldest events, counted), never
 * the publisher. The stream ends when the client goes away (the response body is cancelled or
 * the request's signal aborts) or when {@link SseStream.close} is called; either way its
 * keep-alive timer is cleared and `onClose` runs once.
 *
 * @module
 */

/** One server-sent event. */
export interface SseMessage {
  /** The event type (`event:` line); the client's default `message` when omitted. */
  event?: string;
  /** The payload (`data:` lines); a string as is, anything else as JSON. */
  data: unknown;
  /** The event id (`id:` line), e.g. a domain event's `event_id`. */
  id?: string;
  /** Reconnection delay the client should use, in ms (`retry:` line). */
  retry?: number;
}

/** Options of {@link SseStream}. */
export interface SseStreamOptions {
  /** Frames held for a client that is not reading, at most. Default 64. */
  highWaterMark?: number;
  /** Interval of `: keep-alive` comments, in ms; 0 disables them. Default 15,000. */
  keepAliveMs?: number;
  /** Ends the stream when aborted (pass the request's `signal`). */
  signal?: AbortSignal;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;
}

const encoder = new TextEncoder();
const LINE_BREAK = /\r\n|\r|\n/;
const FIELD_BREAK = /[\r\n]/;

/**
 * Frames one event as `text/event-stream` text: `event:`, `id:`, `retry:`, one `data:` line per
 * line of the payload, and the blank line that ends the event. Line breaks cannot appear inside
 * `event` or `id` (they would end the field early), so those are rejected.
 *
 * @param message the event
 * @returns the framed text, ending with a blank line
 * @throws {TypeError} when `event` or `id` contains a line break
 *
 * @example
 * ```ts
 * import { formatSseEvent } from "./sse.ts";
 * formatSseEvent({ event: "stats", id: "7", data: { ok: true } });
 * // "event: stats\nid: 7\ndata: {\"ok\":true}\n\n"
 * ```
 */
export function formatSseEvent(message: SseMessage): string {
  let frame = "";
  if (message.event !== undefined) frame += `event: ${singleLine("event", message.event)}\n`;
  if (message.id !== undefined) frame += `id: ${singleLine("id", message.id)}\n`;
  if (message.retry !== undefined) frame += `retry: ${Math.max(0, Math.trunc(message.retry))}\n`;
  const data = typeof message.data === "string" ? message.data : JSON.stringify(message.data);
  for (const line of (data ?? "null").split(LINE_BREAK)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/**
 * Frames a comment line, which clients ignore; used as a keep-alive so that proxies and the
 * browser do not time out an idle stream.
 *
 * @param text the comment
 * @returns `: text` and a blank line
 *
 * @example
 * ```ts
 * import { formatSseComment } from "./sse.ts";
 * formatSseComment("keep-alive"); // ": keep-alive\n\n"
 * ```
 */
export function formatSseComment(text: string): string {
  return text.split(LINE_BREAK).map((line) => `: ${line}\n`).join("") + "\n";
}

function singleLine(field: string, value: string): string {
  if (FIELD_BREAK.test(value)) {
    throw new TypeError(`SSE ${field} must not contain a line break: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The response headers of an event stream. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
});

/**
 * One client's event stream, bounded.
 *
 * @example
 * ```ts
 * import { SseStream } from "./sse.ts";
 * const stream = new SseStream({ keepAliveMs: 0 });
 * const response = stream.response();
 * stream.send({ event: "hello", data: { at: Date.now() } });
 * stream.close();
 * await response.body?.cancel();
 * ```
 */
export class SseStream {
  /** The bytes to send; use {@link SseStream.response} to wrap them in a `Response`. */
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #sent = 0;
  #skipped = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #waiters = new Set<() => void>();
  readonly #onClose: (() => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.close();

  /**
   * Creates the stream; its keep-alive timer runs until it closes.
   *
   * @param options queue bound, keep-alive interval, abort signal and close hook
   */
  constructor(options: SseStreamOptions = {}) {
    this.#onClose = options.onClose;
    const highWaterMark = Math.max(1, options.highWaterMark ?? 64);
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#wakeWriters(),
      cancel: () => this.close(),
    }, new CountQueuingStrategy({ highWaterMark }));
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    if (keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => this.comment("keep-alive"), keepAliveMs);
    }
    this.#signal = options.signal;
    if (this.#signal?.aborted) this.close();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Whether the stream has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Events sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Events and comments skipped because the client's queue was full. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Whether a frame sent now would be queued without exceeding the bound. */
  get hasRoom(): boolean {
    return !this.#closed && (this.#controller.desiredSize ?? 0) > 0;
  }

  /**
   * Wraps the stream in a `200 text/event-stream` response.
   *
   * @param headers extra response headers
   * @returns the response
   */
  response(headers: Record<string, string> = {}): Response {
    return new Response(this.readable, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
  }

  /**
   * Sends one event when the client's queue has room; otherwise skips it (counted in
   * `skipped`). Never throws for a closed stream.
   *
   * @param message the event
   * @returns whether it was queued
   */
  send(message: SseMessage): boolean {
    if (!this.hasRoom) {
      if (!this.#closed) this.#skipped++;
      return false;
    }
    this.#controller.enqueue(encoder.encode(formatSseEvent(message)));
    this.#sent++;
    return true;
  }

  /**
   * Sends a comment line when the queue has room (keep-alives are pointless otherwise).
   *
   * @param text the comment
   * @returns whether it was queued
   */
  comment(text: string): boolean {
    if (!this.hasRoom) return false;
    this.#controller.enqueue(encoder.encode(formatSseComment(text)));
    return true;
  }

  /**
   * Resolves when a frame can be queued (true) or when the stream closes or `signal` aborts
   * (false). Writers that must not skip wait on this.
   *
   * @param signal stops the wait early
   * @returns whether there is room now
   */
  ready(signal?: AbortSignal): Promise<boolean> {
    if (this.hasRoom) return Promise.resolve(true);
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve(this.hasRoom);
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Ends the stream: clears the keep-alive, releases waiting writers, runs `onClose`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the client: nothing left to close.
    }
    this.#wakeWriters();
    this.#onClose?.();
  }

  #wakeWriters(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
