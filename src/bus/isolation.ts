/**
 * Turns a subscriber's isolation options into the factory of its actor: nothing for in-process
 * subscribers, a Worker-backed pump for `isolation: "worker"` (see `src/actors/worker_actor.ts`).
 *
 * @module
 */

import type { DomainEvent } from "../events/types.ts";
import { ActorConfigError } from "../actors/errors.ts";
import type { PumpBehavior } from "../actors/types.ts";
import { workerActorFactory } from "../actors/worker_actor.ts";
import type { IsolatedSubscriberInit, SubscribeOptions } from "./types.ts";

/** The module that serves an isolated subscriber inside its Worker. */
const HOST = new URL("./isolated_host.ts", import.meta.url).href;

/**
 * The Worker's entry: a generated module importing the host and the subscriber's module
 * statically (URLs quoted by `JSON.stringify`), so they load whatever the Worker's permissions.
 */
function entryFor(module: string): string {
  const source = `import { serveIsolatedSubscriber } from ${JSON.stringify(HOST)};\n` +
    `import * as subscriber from ${JSON.stringify(module)};\n` +
    `serveIsolatedSubscriber(subscriber);\n`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/**
 * A Worker loads its modules with the parent's read permission (whatever its own are): refuse
 * now, naming the flag, rather than let the Worker crash-loop on its first import.
 */
function assertReadable(label: string, url: string): void {
  if (!url.startsWith("file:")) return;
  const path = decodeURIComponent(new URL(url).pathname);
  if (Deno.permissions.querySync({ name: "read", path }).state === "granted") return;
  throw new ActorConfigError(
    `isolated subscriber ${label} needs read access to ${path} to load its Worker: ` +
      `grant --allow-read (at least --allow-read=${path} and the modules it imports)`,
  );
}

/**
 * The factory of an isolated subscriber's actor, or `null` for an in-process one.
 *
 * @param name the subscriber's name
 * @param options its merged options
 * @param defaultExport the export to run when `options.export` is unset
 * @returns the factory, or `null` when the subscriber runs in process
 * @throws {ActorConfigError} when `isolation`, `module` or `permissions` is invalid
 * @throws {WorkerPermissionsUnavailableError} when `permissions` narrows and the flag is absent
 *
 * @example
 * ```ts
 * import { isolatedFactory } from "./isolation.ts";
 * console.log(isolatedFactory("audit", {}, "default")); // null: in process
 * ```
 */
export function isolatedFactory(
  name: string,
  options: SubscribeOptions,
  defaultExport: string,
): (() => PumpBehavior<DomainEvent>) | null {
  const label = JSON.stringify(name);
  const isolation = options.isolation ?? "in_process";
  if (isolation === "in_process") {
    if (options.permissions !== undefined && options.permissions !== "inherit") {
      throw new ActorConfigError(
        `subscriber ${label} sets permissions, which only an isolated subscriber can have; ` +
          `add isolation: "worker" and module`,
      );
    }
    return null;
  }
  if (isolation !== "worker") {
    throw new ActorConfigError(
      `isolation of subscriber ${label} must be "in_process" or "worker", got ${String(isolation)}`,
    );
  }
  if (options.module === undefined) {
    throw new ActorConfigError(
      `subscriber ${label} has isolation: "worker" but no module: pass the URL of the module ` +
        "that exports it (e.g. module: import.meta.url)",
    );
  }
  let module: string;
  try {
    module = new URL(options.module).href;
  } catch {
    throw new ActorConfigError(
      `module of subscriber ${label} must be an absolute URL (import.meta.url, ` +
        `new URL("./x.ts", import.meta.url)), got ${String(options.module)}`,
    );
  }
  for (const needed of [module, HOST]) assertReadable(label, needed);
  const init: IsolatedSubscriberInit = { module, export: options.export ?? defaultExport };
  return workerActorFactory<DomainEvent>(name, {
    host: entryFor(module),
    init,
    permissions: options.permissions,
    heartbeatMs: options.heartbeatMs,
  });
}
