/**
 * Worker-isolated actors, publisher side. The actor's mailbox stays here, bounded and counted like
 * any other; its code runs in a Deno Web Worker (its own isolate, thread and, optionally, its
 * own permissions) fed by a `PumpBehavior` that sends batches of up to `batchSize` messages as
 * soon as mail arrives, at most four batches and two batches' worth of messages ahead of the
 * Worker, so that encoding here overlaps decoding there (see `worker_incarnation.ts`).
 *
 * The publisher can kill it, which an in-process actor cannot be: a message that runs past
 * `messageTimeoutMs`, or a Worker whose heartbeat stops for `heartbeatMs`, gets the Worker
 * terminated (OTP's `brutal_kill`) and the actor crashed with that message, so its supervisor
 * counts the crash, dead-letters the message and restarts it in a fresh Worker under the usual
 * intensity, period and backoff. Messages sent but not started go back to the mailbox's head.
 *
 * @module
 */

import { ActorConfigError } from "./errors.ts";
import type { PumpBehavior } from "./types.ts";
import { assertWorkerPermissionsAvailable } from "./worker_flag.ts";
import { type Settings, WorkerIncarnation } from "./worker_incarnation.ts";

/** Default most messages per batch. */
export const DEFAULT_WORKER_BATCH = 256;

/** How to run an actor in a Worker. */
export interface WorkerActorOptions {
  /**
   * The Worker's entry module, an absolute URL: it calls `serveWorkerActor` (see
   * `worker_runtime.ts`). Creating the Worker needs read access to it for a local file.
   */
  host: string | URL;
  /** JSON-safe payload handed to the host's builder (for example which module to import). */
  init?: unknown;
  /**
   * The Worker's Deno permissions (Deno's Worker permission descriptor). Anything but `"inherit"`
   * needs `--unstable-worker-options`; without it the actor is refused at creation.
   */
  permissions?: Deno.PermissionOptions;
  /** Kill the Worker when its event loop shows no life for this long (0 = never). Default 0. */
  heartbeatMs?: number;
  /** Most messages per batch. Default 256. */
  batchSize?: number;
}

/**
 * Checks the options and returns the factory of a worker-isolated actor's behaviour: each call
 * (each incarnation) starts a fresh Worker.
 *
 * @param name the actor's name, for errors
 * @param options the Worker's entry, init payload, permissions, heartbeat and batch size
 * @returns a factory for `ActorSpec.factory`
 * @throws {ActorConfigError} when an option is invalid
 * @throws {WorkerPermissionsUnavailableError} when `permissions` narrows and the flag is absent
 *
 * @example
 * ```ts ignore
 * import { ActorSystem } from "@deno-tasker/tasker/actors";
 * import { workerActorFactory } from "@deno-tasker/tasker/actors";
 * await using system = new ActorSystem();
 * system.spawn({
 *   name: "exporter",
 *   factory: workerActorFactory("exporter", { host: new URL("./host.ts", import.meta.url) }),
 *   messageTimeoutMs: 1000,
 *   shutdown: "brutal_kill",
 * });
 * ```
 */
export function workerActorFactory<M>(
  name: string,
  options: WorkerActorOptions,
): () => PumpBehavior<M> {
  const label = JSON.stringify(name);
  let host: URL;
  try {
    host = new URL(options.host);
  } catch {
    throw new ActorConfigError(
      `the Worker entry of actor ${label} must be an absolute URL, got ${String(options.host)}`,
    );
  }
  const heartbeatMs = options.heartbeatMs ?? 0;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 0) {
    throw new ActorConfigError(
      `heartbeatMs of actor ${label} must be a non-negative number, got ${String(heartbeatMs)}`,
    );
  }
  const batchSize = options.batchSize ?? DEFAULT_WORKER_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new ActorConfigError(
      `batchSize of actor ${label} must be a positive integer, got ${String(batchSize)}`,
    );
  }
  assertWorkerPermissionsAvailable(name, options.permissions);
  const settings: Settings = {
    name,
    host,
    init: options.init ?? null,
    permissions: options.permissions,
    heartbeatMs,
    batchSize,
  };
  return () => new WorkerIncarnation<M>(settings);
}
