/**
 * Whether Deno will honour a Worker's own `permissions`. Deno gates that option behind
 * `--unstable-worker-options` and, without the flag, does not throw: it exits the whole process
 * (code 70) when such a Worker is created. So the flag must be known BEFORE a Worker with narrower
 * permissions is built, and Deno has no API that says which unstable flags are on:
 *
 * 1. when the process runs with every permission (`-A`), the command line is read from
 *    `/proc/self/cmdline` (Linux; Deno lets only `--allow-all` read it), and it decides;
 * 2. otherwise the process can declare the flag with `TASKER_UNSTABLE_WORKER_OPTIONS=1` (a wrong
 *    declaration is loud, not silent: Deno exits with its own message naming the flag);
 * 3. otherwise the flag counts as absent, and an actor that asks for narrower permissions is
 *    refused with a typed error rather than run with the parent's.
 *
 * @module
 */

import { readEnv } from "../env.ts";
import { WorkerPermissionsUnavailableError } from "./errors.ts";

/** The Deno flag that enables a Worker's own permissions. */
export const WORKER_OPTIONS_FLAG = "--unstable-worker-options";

/** Set to `1` to declare that the process runs with {@link WORKER_OPTIONS_FLAG}. */
export const WORKER_OPTIONS_ENV = "TASKER_UNSTABLE_WORKER_OPTIONS";

const CMDLINE = "/proc/self/cmdline";
const ALL: readonly Deno.PermissionName[] = ["read", "write", "net", "env", "run", "ffi", "sys"];

/** What detection found. */
export interface WorkerOptionsFlagState {
  /** Whether the flag is on. */
  available: boolean;
  /** How that was decided, for error messages. */
  why: string;
}

let cached: WorkerOptionsFlagState | null = null;

/**
 * Detects `--unstable-worker-options` once per process (the command line cannot change).
 *
 * @returns whether the flag is on and why detection says so
 *
 * @example
 * ```ts
 * import { workerOptionsFlag } from "@deno-tasker/tasker/actors";
 * console.log(workerOptionsFlag().available);
 * ```
 */
export function workerOptionsFlag(): WorkerOptionsFlagState {
  cached ??= detect();
  return cached;
}

function detect(): WorkerOptionsFlagState {
  const argv = commandLine();
  if (argv !== null) {
    // The same word among the script's own arguments is not a Deno flag.
    const inCommand = argv.filter((arg) => arg === WORKER_OPTIONS_FLAG).length;
    const inScriptArgs = Deno.args.filter((arg) => arg === WORKER_OPTIONS_FLAG).length;
    return inCommand > inScriptArgs
      ? { available: true, why: "it is on the command line" }
      : { available: false, why: "it is not on the command line" };
  }
  const readable = granted({ name: "env", variable: WORKER_OPTIONS_ENV });
  if (readable && readEnv(WORKER_OPTIONS_ENV) === "1") {
    return { available: true, why: `${WORKER_OPTIONS_ENV}=1 declares it` };
  }
  return {
    available: false,
    why: `it is not declared: Deno cannot show its flags without --allow-all, so a process ` +
      `started with it says so with ${WORKER_OPTIONS_ENV}=1` +
      (readable ? "" : ` (readable with --allow-env=${WORKER_OPTIONS_ENV})`),
  };
}

/** The process's arguments, when it may read them without a prompt (with `-A`, on Linux). */
function commandLine(): string[] | null {
  if (Deno.build.os !== "linux") return null;
  if (!ALL.every((name) => granted({ name } as Deno.PermissionDescriptor))) return null;
  try {
    return Deno.readTextFileSync(CMDLINE).split("\0");
  } catch {
    return null;
  }
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Whether a permissions descriptor asks for something other than the parent's permissions.
 *
 * @param permissions a Worker permissions descriptor, or `undefined`
 * @returns `false` for `undefined` and `"inherit"`, `true` otherwise
 *
 * @example
 * ```ts
 * import { isNarrowing } from "./worker_flag.ts";
 * console.log(isNarrowing({ read: false })); // true
 * ```
 */
export function isNarrowing(permissions: Deno.PermissionOptions | undefined): boolean {
  return permissions !== undefined && permissions !== "inherit";
}

/**
 * Refuses an actor that asks for its own permissions when the flag is not confirmed.
 *
 * @param actor the actor's name, for the error
 * @param permissions its permissions descriptor
 * @throws {WorkerPermissionsUnavailableError} naming the flag
 *
 * @example
 * ```ts
 * import { assertWorkerPermissionsAvailable } from "./worker_flag.ts";
 * assertWorkerPermissionsAvailable("exporter", "inherit"); // never throws for "inherit"
 * ```
 */
export function assertWorkerPermissionsAvailable(
  actor: string,
  permissions: Deno.PermissionOptions | undefined,
): void {
  if (!isNarrowing(permissions)) return;
  const state = workerOptionsFlag();
  if (!state.available) throw new WorkerPermissionsUnavailableError(actor, state.why);
}
