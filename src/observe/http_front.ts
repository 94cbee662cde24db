/**
 * The observability server's TCP front: it owns the public socket, reads each request's head
 * under a deadline, and pipes the connection to `Deno.serve` listening on a private loopback
 * port. `Deno.serve` has no header read timeout, so without a front a client that opens a
 * connection and sends its headers a byte at a time (slow-loris) holds it for ever; 500 such
 * connections were held indefinitely.
 *
 * Rules, per connection:
 * - The head of the first request must be complete within `headerTimeoutMs` of the connection
 *   opening; the head of each later request within `headerTimeoutMs` of its first byte. Late:
 *   the connection is closed (with `408` when no request was forwarded on it yet).
 * - A head larger than `maxHeaderBytes` gets `431` and the connection is closed.
 * - A request body (`Content-Length`) that stalls for `headerTimeoutMs` closes the connection.
 * - Between requests, a connection on which no byte moved either way for `idleTimeoutMs` is
 *   closed (a streaming response, e.g. the inspector's SSE with its keep-alive comments, keeps
 *   its connection busy).
 * - Anything the front cannot frame (chunked request bodies, upgrades) is piped as is after its
 *   head arrived in time.
 *
 * @module
 */

import { withinDeadline } from "../deadline.ts";

/** Options of {@link listenFront}. */
export interface HttpFrontOptions {
  /** Public address to bind. */
  hostname: string;
  /** Public port; 0 picks a free one. */
  port: number;
  /** Where `Deno.serve` listens (loopback). */
  upstream: { hostname: string; port: number };
  /** Deadline for a request head, ms. */
  headerTimeoutMs: number;
  /** Keep-alive idle limit between requests, ms. */
  idleTimeoutMs: number;
  /** Largest request head, bytes. */
  maxHeaderBytes: number;
}

/** Counters of the front. */
export interface HttpFrontStats {
  /** Connections open now. */
  open: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections closed because a request head (or body) was too slow. */
  timed_out: number;
  /** Connections closed because they sat idle between requests. */
  idle_closed: number;
  /** Connections refused for an oversized head. */
  too_large: number;
}

/** A listening front. */
export interface HttpFront {
  /** The bound public address. */
  readonly addr: Deno.NetAddr;
  /** A snapshot of the counters. */
  stats(): HttpFrontStats;
  /**
   * Stops accepting and ends every connection: at once when nothing was forwarded on it, else
   * when the server's side closes (so the last response bytes reach the client), at most
   * `graceMs` later. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

const CRLFCRLF = [13, 10, 13, 10];
const TIMEOUT_RESPONSE = "HTTP/1.1 408 Request Timeout\r\n" +
  "content-type: text/plain; charset=utf-8\r\ncontent-length: 24\r\nconnection: close\r\n\r\n" +
  "request header timed out";
const TOO_LARGE_RESPONSE = "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
  "content-type: text/plain; charset=utf-8\r\ncontent-length: 25\r\nconnection: close\r\n\r\n" +
  "request header too large\n";

/**
 * Listens on the public address and fronts `options.upstream`.
 *
 * @param options addresses and limits
 * @returns the running front
 * @throws {Deno.errors.AddrInUse} (or another listen error) when it cannot bind
 */
export function listenFront(options: HttpFrontOptions): HttpFront {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const connections = new Set<FrontConnection>();
  const counts: HttpFrontStats = {
    open: 0,
    accepted: 0,
    timed_out: 0,
    idle_closed: 0,
    too_large: 0,
  };
  const tick = Math.min(1000, Math.max(20, Math.floor(options.headerTimeoutMs / 4)));
  // One sweep for all connections: 500 stalled clients cost one timer, not 500.
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const connection of connections) connection.sweep(now);
  }, tick);
  let closing: Promise<void> | undefined;
  const accepting = (async () => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return; // the listener was closed
      }
      counts.accepted++;
      const connection = new FrontConnection(client, options, counts);
      connections.add(connection);
      counts.open = connections.size;
      connection.done.finally(() => {
        connections.delete(connection);
        counts.open = connections.size;
      });
    }
  })();
  return {
    addr: listener.addr as Deno.NetAddr,
    stats: () => ({ ...counts }),
    close(graceMs = 2_000) {
      closing ??= (async () => {
        clearInterval(sweeper);
        listener.close();
        await accepting;
        const open = [...connections];
        for (const connection of open) if (!connection.hasUpstream) connection.close();
        await withinDeadline(Promise.all(open.map((c) => c.done)), graceMs);
        for (const connection of open) connection.close();
        await Promise.all(open.map((c) => c.done));
      })();
      return closing;
    },
  };
}

type Phase = "head" | "body" | "raw";

/** One client connection and its upstream. */
class FrontConnection {
  readonly done: Promise<void>;
  readonly #client: Deno.Conn;
  readonly #options: HttpFrontOptions;
  readonly #counts: HttpFrontStats;
  #upstream: Deno.Conn | undefined;
  #upstreamPump: Promise<void> | undefined;
  #phase: Phase = "head";
  #head: Uint8Array = new Uint8Array(0);
  #bodyLeft = 0;
  #forwarded = 0;
  /** When the current head (or body) must be complete; undefined while nothing is pending. */
  #deadline: number | undefined;
  #lastActivity = performance.now();
  /** Set once the connection is being ended: nothing more is read, framed or forwarded. */
  #ending = false;
  #closed = false;
  /** The last response written before closing (408, 431), if any. */
  #final: Promise<void> = Promise.resolve();

  constructor(client: Deno.Conn, options: HttpFrontOptions, counts: HttpFrontStats) {
    this.#client = client;
    this.#options = options;
    this.#counts = counts;
    this.#deadline = performance.now() + options.headerTimeoutMs;
    this.done = this.#run();
  }

  /** Whether a request was forwarded, so the server's side may still be answering. */
  get hasUpstream(): boolean {
    return this.#upstream !== undefined;
  }

  /** Applies the deadlines; called by the front's sweep. */
  sweep(now: number): void {
    if (this.#ending || this.#closed) return;
    if (this.#deadline !== undefined && now > this.#deadline) {
      this.#counts.timed_out++;
      this.#closeWith(this.#phase === "head" && this.#forwarded === 0 ? TIMEOUT_RESPONSE : "");
    } else if (
      this.#phase === "head" && this.#head.length === 0 &&
      now - this.#lastActivity > this.#options.idleTimeoutMs
    ) {
      this.#counts.idle_closed++;
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    for (const conn of [this.#client, this.#upstream]) {
      try {
        conn?.close();
      } catch {
        // already closed
      }
    }
  }

  /** Ends the connection, after writing `response` (a complete HTTP response) when given. */
  #closeWith(response: string): void {
    this.#ending = true;
    if (response === "") {
      this.close();
      return;
    }
    this.#final = writeAll(this.#client, new TextEncoder().encode(response))
      .catch(() => {})
      .finally(() => this.close());
  }

  async #run(): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (!this.#ending) {
        const n = await this.#client.read(buffer);
        if (n === null || this.#ending) break;
        this.#lastActivity = performance.now();
        if (!(await this.#feed(buffer.subarray(0, n)))) return;
      }
      // The client finished sending: let the upstream answer what it has, then end.
      if (!this.#ending && this.#upstream !== undefined) {
        await this.#upstream.closeWrite().catch(() => {});
        await this.#upstreamPump;
      }
    } catch {
      // A read or write on a closed connection: the connection is over either way.
    } finally {
      await this.#final;
      this.close();
      await this.#upstreamPump?.catch(() => {});
    }
  }

  /** Frames and forwards client bytes; false when the connection was closed. */
  async #feed(chunk: Uint8Array): Promise<boolean> {
    let rest = chunk;
    while (rest.length > 0 && !this.#ending) {
      if (this.#phase === "raw") {
        await this.#send(rest);
        return true;
      }
      if (this.#phase === "body") {
        const take = Math.min(this.#bodyLeft, rest.length);
        await this.#send(rest.subarray(0, take));
        this.#bodyLeft -= take;
        rest = rest.subarray(take);
        if (this.#bodyLeft === 0) {
          this.#phase = "head";
          this.#deadline = undefined;
        } else {
          this.#deadline = performance.now() + this.#options.headerTimeoutMs;
        }
        continue;
      }
      // Head: a later request's clock starts with its first byte.
      if (this.#head.length === 0 && this.#deadline === undefined) {
        this.#deadline = performance.now() + this.#options.headerTimeoutMs;
      }
      const joined = concat(this.#head, rest);
      const end = indexOf(joined, CRLFCRLF, Math.max(0, this.#head.length - 3));
      if (end < 0) {
        if (joined.length > this.#options.maxHeaderBytes) return this.#tooLarge();
        this.#head = joined;
        return true;
      }
      const headLength = end + 4;
      if (headLength > this.#options.maxHeaderBytes) return this.#tooLarge();
      const head = joined.subarray(0, headLength);
      rest = joined.subarray(headLength);
      this.#head = new Uint8Array(0);
      const framing = frame(head);
      if (framing.kind === "raw") {
        this.#phase = "raw";
        this.#deadline = undefined;
      } else if (framing.kind === "length" && framing.length > 0) {
        this.#phase = "body";
        this.#bodyLeft = framing.length;
        this.#deadline = performance.now() + this.#options.headerTimeoutMs;
      } else {
        this.#deadline = undefined;
      }
      await this.#send(head);
      this.#forwarded++;
    }
    return !this.#ending;
  }

  #tooLarge(): boolean {
    this.#counts.too_large++;
    this.#closeWith(TOO_LARGE_RESPONSE);
    return false;
  }

  async #send(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    if (this.#upstream === undefined) {
      this.#upstream = await Deno.connect({
        hostname: this.#options.upstream.hostname,
        port: this.#options.upstream.port,
      });
      if (this.#ending) {
        this.#upstream.close();
        this.#upstream = undefined;
        return;
      }
      this.#upstreamPump = this.#pumpUpstream(this.#upstream);
    }
    await writeAll(this.#upstream, bytes);
  }

  async #pumpUpstream(upstream: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await upstream.read(buffer);
        if (n === null) break;
        this.#lastActivity = performance.now();
        await writeAll(this.#client, buffer.subarray(0, n));
      }
    } catch {
      // Either side closed.
    } finally {
      // The server ended the connection (or it broke): so does the client's.
      this.close();
    }
  }
}

/** How a request head says its body is framed. */
function frame(head: Uint8Array): { kind: "none" } | { kind: "length"; length: number } | {
  kind: "raw";
} {
  const text = new TextDecoder("latin1").decode(head);
  let length = 0;
  for (const line of text.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === "transfer-encoding" || name === "upgrade") return { kind: "raw" };
    if (name === "content-length") {
      const parsed = Number(value);
      // A malformed length is the server's to refuse; pipe the rest untouched.
      if (!Number.isSafeInteger(parsed) || parsed < 0) return { kind: "raw" };
      length = parsed;
    }
  }
  return length > 0 ? { kind: "length", length } : { kind: "none" };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf(haystack: Uint8Array, needle: readonly number[], from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}
