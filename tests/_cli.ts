// Runs the `tasker` command line as a separate `deno run` process, the way a user does.
import { fileURLToPath } from "node:url";

/** The CLI's entry module. */
export const CLI_MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
/** The repository's example templates. */
export const EXAMPLE_TEMPLATES = fileURLToPath(new URL("../templates", import.meta.url));
/** The repository root (with its deno.json). */
export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The permissions the CLI runs with in these tests. */
export const CLI_FLAGS = ["--allow-read", "--allow-write", "--allow-env", "--allow-net"];

/** What a finished command printed. */
export interface CliResult {
  code: number;
  stdout: string;
  /** stderr lines the CLI wrote itself (Deno may add download progress on a cold cache). */
  stderr: string[];
  /** All of stderr. */
  text: string;
}

/** Options of {@link tasker}. */
export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Run this module instead of the local CLI (e.g. an http: URL of it). */
  main?: string;
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * The environment of a child process: the database variables emptied (read as unset) unless a
 * test gives them, so that a `DATABASE_URL` in the suite's environment never points a command at
 * the shared server, where its example namespaces would mix with other tests' data.
 */
export function childEnv(env: Record<string, string> = {}): Record<string, string> {
  return { NO_COLOR: "1", DATABASE_URL: "", TASKER_DATA_DIR: "", TASKER_ENV: "", ...env };
}

/** Runs `tasker ...args` to the end. "deno" from PATH: the test task grants --allow-run=deno. */
export async function tasker(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const output = await new Deno.Command("deno", {
    args: ["run", ...CLI_FLAGS, options.main ?? CLI_MAIN, ...args],
    env: childEnv(options.env),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return result(output);
}

/** The result of a finished `deno` process. */
export function result(output: Deno.CommandOutput): CliResult {
  const text = decode(output.stderr);
  const stderr = text.split("\n").filter((l) => l.startsWith("tasker"));
  return { code: output.code, stdout: decode(output.stdout), stderr, text };
}

/** A temporary directory, removed on dispose. */
export async function tempDir(prefix: string): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
