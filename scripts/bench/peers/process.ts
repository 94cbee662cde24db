/**
 * The driver's handle on one child process of the peers benchmark: starts `child.ts`, collects
 * the `@@peers ` messages it prints, keeps the rest of its output for the error message when it
 * fails, and stops a worker by writing `stop` to its stdin.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { MESSAGE_PREFIX } from "./child.ts";
import type { ContenderKey } from "./contenders.ts";

const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A running child. */
export class PeerProcess {
  readonly messages: Record<string, unknown>[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #output: string[] = [];
  readonly #reading: Promise<void>[];
  readonly #label: string;
  #waiters: (() => void)[] = [];
  #exited = false;

  constructor(contender: ContenderKey, role: string, args: Record<string, unknown>, url: string) {
    this.#label = `${contender} ${role}`;
    this.#child = new Deno.Command("deno", {
      args: [
        "run",
        "--lock=deno.lock",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net",
        "--allow-sys",
        childPath,
        contender,
        role,
        JSON.stringify(args),
      ],
      cwd: repoRoot,
      env: { PEERS_DATABASE_URL: url, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#child.status.then(() => this.#exited = true);
    this.#reading = [
      this.#read(this.#child.stdout, true),
      this.#read(this.#child.stderr, false),
    ];
  }

  async #read(stream: ReadableStream<Uint8Array>, parse: boolean): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (parse && line.startsWith(MESSAGE_PREFIX)) {
          this.messages.push(JSON.parse(line.slice(MESSAGE_PREFIX.length)));
          const waiters = this.#waiters;
          this.#waiters = [];
          for (const wake of waiters) wake();
        } else if (line.trim() !== "") {
          this.#output.push(line);
          if (this.#output.length > 200) this.#output.shift();
        }
      }
    }
  }

  /** Whether the child has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Throws, with the child's output, when it has exited (a worker must not). */
  assertRunning(): void {
    if (this.#exited) throw this.#failure("exited early");
  }

  /** The first message that has `key`, once it is printed. */
  async waitFor(key: string, timeoutMs: number): Promise<unknown> {
    const deadline = performance.now() + timeoutMs;
    let exited = false;
    const status = this.#child.status.then(() => {
      exited = true;
    });
    for (;;) {
      const found = this.messages.find((message) => key in message);
      if (found) return found[key];
      if (exited) throw this.#failure(`exited before printing "${key}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw this.#failure(`printed no "${key}" in ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((wake) => this.#waiters.push(wake)),
        status,
        new Promise<void>((wake) => timer = setTimeout(wake, Math.min(left, 1000))),
      ]);
      clearTimeout(timer);
    }
  }

  /** Waits for the child to exit; a non-zero exit is an error carrying its output. */
  async finished(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([this.#child.status, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#child.kill("SIGKILL");
      await this.#child.status;
      await Promise.all(this.#reading);
      throw this.#failure(`did not exit within ${timeoutMs} ms (killed)`);
    }
    await Promise.all(this.#reading);
    await this.#stdin.close().catch(() => {});
    if (!outcome.success) throw this.#failure(`exited with code ${outcome.code}`);
  }

  /** Asks a worker to stop, and waits for it to exit. */
  async stop(timeoutMs = 30_000): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("stop\n")).catch(() => {});
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
    return new Error(`peers: ${this.#label} ${what}:\n${this.#output.slice(-30).join("\n")}`);
  }
}
