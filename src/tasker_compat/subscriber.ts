/**
 * `BaseSubscriber`: a class with tasker-core's TypeScript subscriber hooks (`static
 * subscribesTo()`, `handle`, `beforeHandle`, `afterHandle`, `onHandleError`) receiving
 * tasker-core's camelCase event, and {@link fromTaskerSubscriber}, which turns such a class into
 * this library's subscriber class for `SubscriberRegistry.register` or `bus.subscribe`.
 *
 * @module
 */

import { Subscriber, type SubscriberClass, type SubscriberOptions } from "../bus/subscriber.ts";
import type { DomainEvent } from "../events/types.ts";
import { eventView } from "../events/view.ts";

/** The event's metadata as tasker-core's TypeScript subscribers see it. */
export interface TaskerEventMetadata {
  /** The task's UUID. */
  readonly taskUuid: string;
  /** The step's UUID (`""` when the event names none). */
  readonly stepUuid: string;
  /** The step's name. */
  readonly stepName?: string;
  /** The task's namespace. */
  readonly namespace: string;
  /** The correlation id. */
  readonly correlationId: string;
  /** When it was fired (RFC 3339). */
  readonly firedAt: string;
  /** The publisher or worker that fired it (`fired_by`). */
  readonly publisher?: string;
  /** The extra metadata keys, as written. */
  readonly [key: string]: unknown;
}

/** A domain event in tasker-core's TypeScript (camelCase) shape. */
export interface TaskerDomainEvent {
  /** The event's id. */
  readonly eventId: string;
  /** Its name. */
  readonly eventName: string;
  /** The business payload (an object; `{}` when the wire carried something else). */
  readonly payload: Record<string, unknown>;
  /** Who fired it and where. */
  readonly metadata: TaskerEventMetadata;
  /** The step's result: success, its result, and the handler's metadata. */
  readonly executionResult: {
    readonly success: boolean;
    readonly result?: Record<string, unknown>;
    readonly metadata?: Record<string, unknown>;
  };
  /** The event as it travels (snake_case, Tasker's wire shape), for anything not above. */
  readonly raw: DomainEvent;
}

const RESERVED = new Set([
  "task_uuid",
  "step_uuid",
  "step_name",
  "namespace",
  "correlation_id",
  "fired_at",
  "fired_by",
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * An event in tasker-core's camelCase TypeScript shape.
 *
 * @param event the event as this library delivers it
 * @returns the camelCase view (its `raw` is `event`)
 *
 * @example
 * ```ts ignore
 * const ported = toTaskerEvent(event);
 * console.log(ported.eventName, ported.metadata.taskUuid);
 * ```
 */
export function toTaskerEvent(event: DomainEvent): TaskerDomainEvent {
  const view = eventView(event);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.metadata)) {
    if (!RESERVED.has(key)) extra[key] = value;
  }
  const result = view.result;
  return {
    eventId: view.eventId,
    eventName: view.eventName,
    payload: isObject(view.payload) ? view.payload : {},
    metadata: {
      ...extra,
      taskUuid: view.taskUuid,
      stepUuid: view.stepUuid ?? "",
      ...(view.stepName === undefined ? {} : { stepName: view.stepName }),
      namespace: view.namespace,
      correlationId: view.correlationId,
      firedAt: event.metadata.fired_at,
      publisher: view.firedBy,
    },
    executionResult: {
      success: view.success,
      ...(isObject(result) ? { result } : {}),
      metadata: { ...view.handlerMetadata },
    },
    raw: event,
  };
}

/**
 * Base class for subscribers ported from tasker-core's TypeScript worker. Declare patterns in
 * `static subscribesTo()`, handle events in `handle(event)`; register
 * `fromTaskerSubscriber(MySubscriber)`. Patterns are this library's: `*` is exactly one segment
 * and `#` any number (tasker-core's TypeScript worker lets `*` match across dots).
 *
 * @example
 * ```ts
 * import { BaseSubscriber, fromTaskerSubscriber, type TaskerDomainEvent } from "@deno-tasker/tasker/tasker-compat";
 * class PaymentSubscriber extends BaseSubscriber {
 *   static override subscribesTo(): string[] {
 *     return ["payment.#"];
 *   }
 *   handle(event: TaskerDomainEvent): void {
 *     console.log(event.eventName, event.payload);
 *   }
 * }
 * const Adapted = fromTaskerSubscriber(PaymentSubscriber);
 * ```
 */
export abstract class BaseSubscriber {
  /** The patterns to subscribe to. Default `["*"]`. */
  static subscribesTo(): string[] {
    return ["*"];
  }

  /** Handles one event. A throw runs `onHandleError`, then the subscriber is restarted. */
  abstract handle(event: TaskerDomainEvent): void | Promise<void>;

  /** Runs before `handle`; `false` skips the event. */
  beforeHandle(_event: TaskerDomainEvent): boolean {
    return true;
  }

  /** Runs after `handle` succeeded. */
  afterHandle(_event: TaskerDomainEvent): void {}

  /** Observes a failure of `beforeHandle`, `handle` or `afterHandle`. */
  onHandleError(_event: TaskerDomainEvent, _error: Error): void {}
}

/** A concrete tasker-style subscriber class. */
export interface TaskerSubscriberClass {
  /** Builds an instance (on start and after every restart). */
  new (): BaseSubscriber;
  /** The class name, the subscriber's default name. */
  readonly name: string;
  /** Its patterns. */
  subscribesTo(): string[];
}

/**
 * This library's subscriber class for a tasker-style one: same name, its `subscribesTo()`
 * patterns, a fresh instance per actor incarnation, each event converted once with
 * {@link toTaskerEvent}.
 *
 * @param taskerClass the ported class
 * @param options actor options (mailbox, overflow, timeout, supervision...)
 * @returns a class to register
 */
export function fromTaskerSubscriber(
  taskerClass: TaskerSubscriberClass,
  options: SubscriberOptions = {},
): SubscriberClass {
  const patterns = [...taskerClass.subscribesTo()];
  const converted = new WeakMap<DomainEvent, TaskerDomainEvent>();
  const convert = (event: DomainEvent): TaskerDomainEvent => {
    let ported = converted.get(event);
    if (ported === undefined) converted.set(event, ported = toTaskerEvent(event));
    return ported;
  };
  const adapted = class extends Subscriber {
    static override subscribesTo: readonly string[] = patterns;
    static override options: SubscriberOptions = options;
    readonly inner: BaseSubscriber = new taskerClass();
    override beforeHandle(event: DomainEvent): boolean {
      return this.inner.beforeHandle(convert(event)) !== false;
    }
    handle(event: DomainEvent): void | Promise<void> {
      return this.inner.handle(convert(event));
    }
    override afterHandle(event: DomainEvent): void {
      this.inner.afterHandle(convert(event));
    }
    override onHandleError(event: DomainEvent, error: unknown): void {
      this.inner.onHandleError(
        convert(event),
        error instanceof Error ? error : new Error(String(error)),
      );
    }
  };
  Object.defineProperty(adapted, "name", { value: taskerClass.name });
  return adapted;
}
