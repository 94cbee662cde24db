/**
 * The driver's handle on one child process of a benchmark (`peers`, `scale_out`): starts a
 * `deno run` of the child script, collects the JSON messages it prints after a prefix, keeps the
 * rest of its output for the error message when it fails, and writes commands (`go`, `stop`, …)
 * to its stdin.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { withinDeadline } from "../../src/deadline.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** What {@link BenchChild} starts. */
export interface BenchChildOptions {
  /** The child script's path. */
  script: string;
  /** Its arguments. */
  args: string[];
  /** Its Deno permission flags. */
  permissions: string[];
  /** Its environment additions. */
  env: Record<string, string>;
  /** The prefix of the lines that carry a JSON message. */
  prefix: string;
  /** The benchmark's name, for errors. */
  benchmark: string;
  /** The child's name, for errors. */
  label: string;
  /** How long `stop()` waits by default. Default 60,000 ms. */
  stopTimeoutMs?: number;
}

/**
 * A running child.
 *
 * @example
 * ```ts ignore
 * const child = new BenchChild({ script, args: ["submit"], permissions: [], env: {}, prefix: "@@x ", benchmark: "x", label: "submit" });
 * await child.finished(60_000);
 * ```
 */
export class BenchChild {
  readonly messages: Record<string, unknown>[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #output: string[] = [];
  readonly #reading: Promise<void>[];
  readonly #label: string;
  #waiters: (() => void)[] = [];
  #exited = false;

  readonly #prefix: string;
  readonly #name: string;
  readonly #stopTimeoutMs: number;

  /**
   * Starts the child.
   *
   * @param options its script, arguments, permissions, environment and message prefix
   */
  constructor(options: BenchChildOptions) {
    this.#label = options.label;
    this.#prefix = options.prefix;
    this.#name = options.benchmark;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 60_000;
    this.#child = new Deno.Command("deno", {
      args: ["run", "--lock=deno.lock", ...options.permissions, options.script, ...options.args],
      cwd: repoRoot,
      env: { ...options.env, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#child.status.then(() => {
      this.#exited = true;
      this.#wake();
    });
    this.#reading = [
      this.#read(this.#child.stdout, true),
      this.#read(this.#child.stderr, false),
    ];
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #read(stream: ReadableStream<Uint8Array>, parse: boolean): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (parse && line.startsWith(this.#prefix)) {
          this.messages.push(JSON.parse(line.slice(this.#prefix.length)));
          this.#wake();
        } else if (line.trim() !== "") {
          this.#output.push(line);
          if (this.#output.length > 200) this.#output.shift();
        }
      }
    }
  }

  /** Throws, with the child's output, when it has exited (a worker must not, mid-run). */
  assertRunning(): void {
    if (this.#exited) throw this.#failure("exited early");
  }

  /** The first message that has `key`, once it is printed; `undefined` if none yet. */
  message(key: string): unknown {
    return this.messages.find((message) => key in message)?.[key];
  }

  /** The first message that has `key`, waiting up to `timeoutMs` for it. */
  async waitFor(key: string, timeoutMs: number): Promise<unknown> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.messages.some((message) => key in message)) return this.message(key);
      if (this.#exited) throw this.#failure(`exited before printing "${key}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw this.#failure(`printed no "${key}" in ${timeoutMs} ms`);
      const printed = new Promise<void>((wake) => this.#waiters.push(wake));
      await withinDeadline(printed, Math.min(left, 1000));
    }
  }

  /** Writes `line` and waits for the next message that has `key` (a reply to it). */
  async request(line: string, key: string, timeoutMs: number): Promise<unknown> {
    const seen = this.messages.filter((message) => key in message).length;
    await this.send(line);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const replies = this.messages.filter((message) => key in message);
      if (replies.length > seen) return replies[seen]![key];
      if (this.#exited) throw this.#failure(`exited before answering "${line}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw this.#failure(`did not answer "${line}" in ${timeoutMs} ms`);
      const printed = new Promise<void>((wake) => this.#waiters.push(wake));
      await withinDeadline(printed, Math.min(left, 1000));
    }
  }

  /** Writes one command line to the child's stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Waits for the child to exit; a non-zero exit is an error carrying its output. */
  async finished(timeoutMs: number): Promise<void> {
    const outcome = await withinDeadline(this.#child.status, timeoutMs);
    if (!outcome.finished) {
      await this.kill();
      throw this.#failure(`did not exit within ${timeoutMs} ms (killed)`);
    }
    await Promise.all(this.#reading);
    await this.#stdin.close().catch(() => {});
    const status = outcome.value;
    if (!status.success) throw this.#failure(`exited with code ${status.code}`);
  }

  /** Asks a worker to stop, and waits for it to exit. */
  async stop(timeoutMs = this.#stopTimeoutMs): Promise<void> {
    await this.send("stop").catch(() => {});
    await this.finished(timeoutMs);
  }

  /** Kills the child (after a failure elsewhere), ignoring its outcome. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#child.status;
    await Promise.all(this.#reading);
    await this.#stdin.close().catch(() => {});
  }

  #failure(what: string): Error {
    return new Error(
      `${this.#name}: ${this.#label} ${what}:\n${this.#output.slice(-30).join("\n")}`,
    );
  }
}
