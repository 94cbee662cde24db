/**
 * Ad-hoc events: the ones a handler publishes itself with `ctx.publishDomainEvent`, while its
 * step runs. The worker owns one {@link AdHocPublisher} and hands its `publish` to every step's
 * execution (`StepExecutionEnv.publish`), so the path goes one way — handler → step context →
 * the worker's publisher → router — and nothing is plugged into the handler registry.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { defaultPublisher } from "../events/publisher.ts";
import type { JsonObject } from "../events/types.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { DomainEventSink } from "./context.ts";
import { adHocEvent } from "./event_pipeline.ts";
import type { PreparedEvent } from "./event_router.ts";
import type { StepContext } from "./step_handler.ts";
import type { StepTracer } from "./step_tracer.ts";

/** What an {@link AdHocPublisher} needs from its worker. */
export interface AdHocPublisherOptions {
  /** Where the publishing step's template is found (for `step_definition`). */
  templates: TemplateRegistry;
  /** Where the events go (the worker's router); ad-hoc events are always `durable`. */
  router: { route(prepared: PreparedEvent): void };
  /** The tracing hook, whose `traceparent` the events carry. */
  tracer?: StepTracer;
}

/**
 * Builds and routes the ad-hoc events of one worker's steps. Never throws to the handler: an
 * event that cannot be built or routed is logged and counted ({@link AdHocPublisher.failed}).
 * After {@link AdHocPublisher.close} (the worker stopped; a handler it gave up on may still
 * run) events are dropped with one debug line each.
 *
 * @example
 * ```ts
 * import { AdHocPublisher } from "./ad_hoc_events.ts";
 * import { TemplateRegistry } from "@deno-tasker/tasker";
 * import { buildStepContext } from "@deno-tasker/tasker/testing";
 * const routed: string[] = [];
 * const adHoc = new AdHocPublisher({
 *   templates: new TemplateRegistry(),
 *   router: { route: ({ event }) => void routed.push(event.event_name) },
 * });
 * const ctx = buildStepContext({
 *   task: { task_uuid: crypto.randomUUID(), namespace: "demo", name: "greet", version: "1.0.0",
 *     context: {}, correlation_id: "req-1" },
 *   step: { step_uuid: crypto.randomUUID(), name: "hello", attempts: 1, max_attempts: 3,
 *     retryable: true },
 *   publish: adHoc.publish,
 * });
 * ctx.publishDomainEvent("demo.greeted", { who: "world" });
 * console.log(routed); // ["demo.greeted"]
 * ```
 */
export class AdHocPublisher {
  readonly #options: AdHocPublisherOptions;
  #closed = false;
  #failed = 0;

  /**
   * Creates the publisher; it publishes until {@link AdHocPublisher.close}.
   *
   * @param options the templates, the router and the tracing hook
   */
  constructor(options: AdHocPublisherOptions) {
    this.#options = options;
  }

  /** Ad-hoc events not published because they could not be built or routed. */
  get failed(): number {
    return this.#failed;
  }

  /** Stops publishing: later events are dropped with a debug line (the worker has stopped). */
  close(): void {
    this.#closed = true;
  }

  /** The sink to give a step's context as `publish`; a bound function, safe to pass around. */
  readonly publish: DomainEventSink = (
    name: string,
    payload: JsonObject,
    ctx: StepContext,
  ): void => {
    if (this.#closed) {
      console.debug(
        `deno-tasker: ${name} from step ${ctx.step.name} dropped: no publisher attached ` +
          "(its worker has stopped)",
      );
      return;
    }
    try {
      this.#options.router.route({
        event: this.#event(name, payload, ctx),
        delivery_mode: "durable",
        publisher: defaultPublisher,
      });
    } catch (error) {
      this.#failed++;
      console.error(`deno-tasker: ad-hoc event ${name} was not published: ${errorMessage(error)}`);
    }
  };

  #event(name: string, payload: JsonObject, ctx: StepContext) {
    const { task, step } = ctx;
    let stepTemplate;
    try {
      stepTemplate = this.#options.templates.require(task.namespace, task.name, task.version)
        .steps.find((s) => s.name === step.name);
    } catch {
      stepTemplate = undefined; // the event still goes out, with a definition from the row
    }
    return adHocEvent({
      name,
      payload,
      task,
      step,
      ...(stepTemplate ? { stepTemplate } : {}),
      dependencyResults: ctx.dependencyResults,
      metadata: this.#options.tracer?.metadataFor(step.step_uuid),
    });
  }
}
