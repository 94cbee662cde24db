/**
 * Custom publishers: named objects of pure functions of the step context. A publisher decides
 * whether a declared event fires (beyond its YAML condition), shapes its business payload and adds
 * metadata; it does no I/O, the framework routes what it returns. Its hooks observe the built
 * event's fate and can only veto (`beforePublish` returning `false`).
 *
 * Nothing a publisher throws reaches the step: {@link applyPublisher} and the `run*` hook helpers
 * turn every throw into a {@link PublisherError} the pipeline counts.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { TaskerError } from "../errors.ts";
import type { StepEventContext } from "./context.ts";
import type { DeliveryMode, DomainEvent, JsonObject } from "./types.ts";

/** The publisher function or hook that failed. */
export type PublisherStage =
  | "shouldPublish"
  | "transformPayload"
  | "additionalMetadata"
  | "beforePublish"
  | "afterPublish";

/** A publisher function threw or returned the wrong kind of value; `cause` holds any throw. */
export class PublisherError extends TaskerError {
  /** The publisher's name. */
  readonly publisher: string;
  /** The event being published. */
  readonly eventName: string;
  /** Which function failed. */
  readonly stage: PublisherStage;
  /**
   * Creates the error for one failed function of one publisher.
   *
   * @param publisher the publisher's name
   * @param eventName the event being published
   * @param stage the function that failed
   * @param reason what went wrong
   * @param options `cause`: what it threw
   */
  constructor(
    publisher: string,
    eventName: string,
    stage: PublisherStage,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      "E_PUBLISHER",
      `publisher ${JSON.stringify(publisher)} failed in ${stage} for event ${eventName}: ${reason}`,
      options,
    );
    this.publisher = publisher;
    this.eventName = eventName;
    this.stage = stage;
  }
}

/** Thrown by {@link definePublisher} for a definition without a name or with a non-function. */
export class InvalidPublisherError extends TaskerError {
  /**
   * Creates the error for a rejected definition.
   *
   * @param name the publisher's name as given (possibly not a string)
   * @param reason what is wrong
   */
  constructor(name: unknown, reason: string) {
    super("E_INVALID_PUBLISHER", `invalid publisher ${JSON.stringify(name)}: ${reason}`);
  }
}

/**
 * A publisher as the framework uses it: every function present, the object frozen.
 * The pure functions run once per declared event whose condition held.
 */
export interface Publisher {
  /** The name YAML's `publisher:` refers to. */
  readonly name: string;
  /** Whether to publish, beyond the declaration's condition. Must return a boolean. */
  readonly shouldPublish: (ctx: StepEventContext) => boolean;
  /** The event's business payload (`payload.payload` of the envelope). A JSON object. */
  readonly transformPayload: (ctx: StepEventContext) => JsonObject;
  /** Extra metadata keys; they never replace the envelope's own metadata keys. */
  readonly additionalMetadata: (ctx: StepEventContext) => JsonObject;
  /** Observes the built event before routing; returning `false` skips it. */
  readonly beforePublish: (event: DomainEvent) => boolean | void;
  /** Observes an event after it was handed to its route (`fast`, `durable` or `broadcast`). */
  readonly afterPublish: (event: DomainEvent, route: DeliveryMode) => void;
  /**
   * Observes a failure to publish: the event's name, the error, and the event when it had been
   * built (a transform failure happens before there is one).
   */
  readonly onPublishError: (eventName: string, error: unknown, event?: DomainEvent) => void;
}

/** What {@link definePublisher} takes: a name and any of the functions; the rest default. */
export interface PublisherDefinition {
  /** The name YAML's `publisher:` refers to; non-empty. */
  name: string;
  /** Default: always true. */
  shouldPublish?: (ctx: StepEventContext) => boolean;
  /** Default: {@link defaultPublisher}'s transform. */
  transformPayload?: (ctx: StepEventContext) => JsonObject;
  /** Default: no extra metadata. */
  additionalMetadata?: (ctx: StepEventContext) => JsonObject;
  /** Default: publish. */
  beforePublish?: (event: DomainEvent) => boolean | void;
  /** Default: nothing. */
  afterPublish?: (event: DomainEvent, route: DeliveryMode) => void;
  /** Default: nothing (the pipeline counts and logs failures itself). */
  onPublishError?: (eventName: string, error: unknown, event?: DomainEvent) => void;
}

function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `a ${value.constructor?.name ?? "object"}` : typeof value;
}

/**
 * The default payload: on success the handler's result when it is a plain object (as is), `{}`
 * when there is none, `{result: value}` for any other value; on failure
 * `{error_message, error_type?, error_code?}` from the result's error (absent keys left out).
 */
function defaultTransformPayload(ctx: StepEventContext): JsonObject {
  const { result } = ctx;
  if (result.success) {
    if (isPlainObject(result.result)) return result.result;
    return result.result === undefined ? {} : { result: result.result };
  }
  const payload: JsonObject = {
    error_message: result.error?.message ?? "step failed without an error message",
  };
  if (result.error?.error_type !== undefined) payload.error_type = result.error.error_type;
  if (result.error?.error_code !== undefined) payload.error_code = result.error.error_code;
  return payload;
}

const always = (): boolean => true;
const noMetadata = (): JsonObject => ({});
const nothing = (): void => {};

const MEMBERS = [
  "shouldPublish",
  "transformPayload",
  "additionalMetadata",
  "beforePublish",
  "afterPublish",
  "onPublishError",
] as const;

/**
 * Makes a frozen {@link Publisher} from a definition, filling in the defaults. The functions are
 * called as plain functions (do not rely on `this`).
 *
 * @param definition the name and any of the pure functions and hooks
 * @returns the frozen publisher
 * @throws {InvalidPublisherError} when the name is empty or a member is not a function
 *
 * @example
 * ```ts
 * import { definePublisher } from "@deno-tasker/tasker";
 * const payments = definePublisher({
 *   name: "payments",
 *   shouldPublish: (ctx) => ctx.result.success,
 *   transformPayload: (ctx) => {
 *     const r = ctx.result.result as { id: string; cents: number };
 *     return { transaction_id: r.id, amount: r.cents / 100 };
 *   },
 *   additionalMetadata: (ctx) => ({ attempt: ctx.step.attempts }),
 * });
 * ```
 */
export function definePublisher(definition: PublisherDefinition): Publisher {
  const name: unknown = definition?.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new InvalidPublisherError(name, "name must be a non-empty string");
  }
  for (const member of MEMBERS) {
    const fn = definition[member];
    if (fn !== undefined && typeof fn !== "function") {
      throw new InvalidPublisherError(name, `${member} must be a function, got ${describe(fn)}`);
    }
  }
  return Object.freeze({
    name,
    shouldPublish: definition.shouldPublish ?? always,
    transformPayload: definition.transformPayload ?? defaultTransformPayload,
    additionalMetadata: definition.additionalMetadata ?? noMetadata,
    beforePublish: definition.beforePublish ?? nothing,
    afterPublish: definition.afterPublish ?? nothing,
    onPublishError: definition.onPublishError ?? nothing,
  });
}

/**
 * The publisher used when a declaration names none (and, with a warning, when it names an
 * unregistered one). Publishes always; payload: on success the handler's result when it is a
 * plain object, `{}` when it returned nothing, `{result: value}` otherwise; on failure
 * `{error_message, error_type?, error_code?}`. No extra metadata; `fired_by` is the step's
 * handler callable.
 *
 * @example
 * ```ts
 * import { defaultPublisher } from "./publisher.ts";
 * console.log(defaultPublisher.name); // "default"
 * ```
 */
export const defaultPublisher: Publisher = definePublisher({ name: "default" });

/** What {@link applyPublisher} decided for one declared event. */
export type PublisherApplication =
  | {
    /** The event is not published. */
    skip: true;
    /** Why, when a publisher function failed; absent when `shouldPublish` said no. */
    error?: PublisherError;
  }
  | {
    /** The event is published. */
    skip: false;
    /** The business payload from `transformPayload`. */
    payload: JsonObject;
    /** Extra metadata from `additionalMetadata`. */
    extraMetadata: JsonObject;
    /** The envelope's `fired_by`: the publisher's name, or the handler for the default one. */
    firedBy: string;
  };

/**
 * Runs a publisher's pure functions for one declared event: `shouldPublish`, then
 * `transformPayload` and `additionalMetadata`. Never throws: a throw or a wrong return type
 * becomes `{skip: true, error}` with a {@link PublisherError} (also passed to the publisher's
 * `onPublishError`), for the pipeline to count.
 *
 * @param publisher the resolved publisher
 * @param ctx the step context for this declared event
 * @returns skip (with the error, when one failed) or the payload, metadata and `fired_by`
 *
 * @example
 * ```ts
 * import { applyPublisher, defaultPublisher } from "./publisher.ts";
 * import type { StepEventContext } from "@deno-tasker/tasker/events";
 * declare const ctx: StepEventContext;
 * const applied = applyPublisher(defaultPublisher, ctx);
 * if (applied.skip && applied.error) console.warn(applied.error.message);
 * ```
 */
export function applyPublisher(publisher: Publisher, ctx: StepEventContext): PublisherApplication {
  const eventName = ctx.event.name;
  const fail = (stage: PublisherStage, reason: string, cause?: unknown): PublisherApplication => {
    const error = new PublisherError(
      publisher.name,
      eventName,
      stage,
      reason,
      cause === undefined ? undefined : { cause },
    );
    runPublishError(publisher, eventName, error);
    return { skip: true, error };
  };
  const call = <T>(stage: PublisherStage, fn: (ctx: StepEventContext) => T) => {
    try {
      return { ok: true as const, value: fn(ctx) };
    } catch (cause) {
      return {
        ok: false as const,
        failure: fail(stage, `threw ${errorMessage(cause, { withName: true })}`, cause),
      };
    }
  };

  const decision = call("shouldPublish", publisher.shouldPublish);
  if (!decision.ok) return decision.failure;
  // Typed boolean, but written in plain JS too: a forgotten `return` must not skip silently.
  const publish: unknown = decision.value;
  if (typeof publish !== "boolean") {
    return fail("shouldPublish", `returned ${describe(publish)}, expected a boolean`);
  }
  if (!publish) return { skip: true };

  const payload = call("transformPayload", publisher.transformPayload);
  if (!payload.ok) return payload.failure;
  if (!isPlainObject(payload.value)) {
    return fail("transformPayload", `returned ${describe(payload.value)}, expected an object`);
  }
  const extra = call("additionalMetadata", publisher.additionalMetadata);
  if (!extra.ok) return extra.failure;
  if (!isPlainObject(extra.value)) {
    return fail("additionalMetadata", `returned ${describe(extra.value)}, expected an object`);
  }
  return {
    skip: false,
    payload: payload.value,
    extraMetadata: extra.value,
    firedBy: publisher === defaultPublisher ? ctx.step.handler_callable : publisher.name,
  };
}

/**
 * Calls `beforePublish`. Returns false only when the hook returned `false`; a throw is passed to
 * `onPublishError` as a {@link PublisherError} and the event is published anyway (hooks observe,
 * they do not fail publishing).
 *
 * @param publisher the event's publisher
 * @param event the built event
 * @returns whether to route the event
 *
 * @example
 * ```ts
 * import { defaultPublisher, runBeforePublish } from "./publisher.ts";
 * import type { DomainEvent } from "@deno-tasker/tasker";
 * declare const event: DomainEvent;
 * if (runBeforePublish(defaultPublisher, event)) {
 *   // route it
 * }
 * ```
 */
export function runBeforePublish(publisher: Publisher, event: DomainEvent): boolean {
  try {
    return publisher.beforePublish(event) !== false;
  } catch (cause) {
    const error = new PublisherError(
      publisher.name,
      event.event_name,
      "beforePublish",
      `threw ${errorMessage(cause, { withName: true })}`,
      { cause },
    );
    runPublishError(publisher, event.event_name, error, event);
    return true;
  }
}

/**
 * Calls `afterPublish`; a throw is passed to `onPublishError` as a {@link PublisherError}.
 *
 * @param publisher the event's publisher
 * @param event the routed event
 * @param route where it went
 *
 * @example
 * ```ts
 * import { defaultPublisher, runAfterPublish } from "./publisher.ts";
 * import type { DomainEvent } from "@deno-tasker/tasker";
 * declare const event: DomainEvent;
 * runAfterPublish(defaultPublisher, event, "fast");
 * ```
 */
export function runAfterPublish(
  publisher: Publisher,
  event: DomainEvent,
  route: DeliveryMode,
): void {
  try {
    publisher.afterPublish(event, route);
  } catch (cause) {
    const error = new PublisherError(
      publisher.name,
      event.event_name,
      "afterPublish",
      `threw ${errorMessage(cause, { withName: true })}`,
      { cause },
    );
    runPublishError(publisher, event.event_name, error, event);
  }
}

/**
 * Calls `onPublishError`. A throw from the hook itself is dropped: the caller has already
 * counted and logged the original error, and an observer must not turn it into a step failure.
 *
 * @param publisher the event's publisher
 * @param eventName the event's name
 * @param error what went wrong
 * @param event the event, when it had been built
 *
 * @example
 * ```ts
 * import { defaultPublisher, runPublishError } from "./publisher.ts";
 * runPublishError(defaultPublisher, "order.shipped", new Error("queue unavailable"));
 * ```
 */
export function runPublishError(
  publisher: Publisher,
  eventName: string,
  error: unknown,
  event?: DomainEvent,
): void {
  try {
    publisher.onPublishError(eventName, error, event);
  } catch {
    // Deliberately ignored; see the JSDoc.
  }
}
