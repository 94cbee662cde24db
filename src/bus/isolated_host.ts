/**
 * What an isolated subscriber's Worker runs. Its entry is a tiny generated module (see
 * `isolation.ts`) that statically imports this module and the subscriber's module, then calls
 * {@link serveIsolatedSubscriber} with the latter: static imports load with the Worker even when
 * its own permissions deny `read` (a dynamic import of a computed URL would need it). The export
 * may be a `Subscriber` class (a fresh instance per Worker, run with its `beforeHandle`,
 * `afterHandle` and `onHandleError` hooks) or an `EventHandler` function.
 *
 * @module
 */

import type { DomainEvent } from "../events/types.ts";
import type { ActorBehavior } from "../actors/types.ts";
import { serveWorkerActor } from "../actors/worker_runtime.ts";
import { TaskerError } from "../errors.ts";
import { type Subscriber, subscriberBehavior } from "./subscriber.ts";
import type { EventHandler, IsolatedSubscriberInit } from "./types.ts";

/**
 * Serves the actor protocol in this Worker with an export of `namespace`.
 *
 * @param namespace the subscriber module's namespace object
 *
 * @example
 * ```ts ignore
 * import { serveIsolatedSubscriber } from "./isolated_host.ts";
 * import * as audit from "./audit.ts";
 * serveIsolatedSubscriber(audit);
 * ```
 */
export function serveIsolatedSubscriber(namespace: Record<string, unknown>): void {
  serveWorkerActor<DomainEvent>((init) => behaviorOf(namespace, init as IsolatedSubscriberInit));
}

function behaviorOf(
  namespace: Record<string, unknown>,
  init: IsolatedSubscriberInit,
): ActorBehavior<DomainEvent> {
  const target = namespace[init.export];
  if (typeof target !== "function") {
    throw new TaskerError(
      "E_ISOLATED_EXPORT",
      `module ${init.module} has no export ${JSON.stringify(init.export)} that is a Subscriber ` +
        `class or a handler function (found ${typeof target})`,
    );
  }
  const prototype = (target as { prototype?: { handle?: unknown } }).prototype;
  if (typeof prototype?.handle === "function") {
    return subscriberBehavior(new (target as new () => Subscriber)());
  }
  return { receive: target as EventHandler };
}
