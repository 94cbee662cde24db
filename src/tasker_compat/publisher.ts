/**
 * `BasePublisher`: a class with tasker-core's TypeScript publisher hooks (`publisherName`,
 * `shouldPublish`, `transformPayload`, `additionalMetadata`, `beforePublish`, `afterPublish`,
 * `onPublishError`) and their argument lists, turned into this library's `Publisher` by
 * `toPublisher()`. A ported class keeps its method bodies; only its imports change.
 *
 * @module
 */

import type { StepEventContext } from "../events/context.ts";
import { definePublisher, type Publisher } from "../events/publisher.ts";
import type { DomainEvent, JsonObject } from "../events/types.ts";

/** The step result as tasker-core's publisher hooks receive it. */
export interface TaskerStepResult {
  /** Whether the step succeeded. */
  readonly success: boolean;
  /** The handler's result when it is an object (`{}` on a failure or a non-object result). */
  readonly result?: Record<string, unknown>;
  /**
   * The handler's metadata, plus `error_message`, `error_type`, `error_code` and `retryable` on
   * a failure (tasker-core keeps those in the execution result's metadata).
   */
  readonly metadata?: Record<string, unknown>;
}

/** The event declaration, with tasker-core's camelCase `deliveryMode`. */
export interface TaskerEventDeclaration {
  /** The event's name. */
  readonly name: string;
  /** When it fires. */
  readonly condition?: "success" | "failure" | "retryable_failure" | "permanent_failure" | "always";
  /** Where it goes. */
  readonly deliveryMode?: "durable" | "fast" | "broadcast";
  /** The publisher's name. */
  readonly publisher?: string;
  /** The payload's JSON Schema. */
  readonly schema?: Record<string, unknown>;
}

/** The step's identity, as tasker-core's publisher hooks receive it. */
export interface TaskerStepEventContext {
  /** The task's UUID. */
  readonly taskUuid: string;
  /** The step's UUID. */
  readonly stepUuid: string;
  /** The step's name. */
  readonly stepName: string;
  /** The task's namespace. */
  readonly namespace: string;
  /** The correlation id. */
  readonly correlationId: string;
  /** The step's result (as in {@link TaskerStepResult}). */
  readonly result?: Record<string, unknown>;
  /** Its metadata (as in {@link TaskerStepResult}). */
  readonly metadata: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The three hook arguments tasker-core's publishers take, from this library's context. */
function taskerArguments(
  ctx: StepEventContext,
): [TaskerStepResult, TaskerEventDeclaration, TaskerStepEventContext] {
  const metadata: Record<string, unknown> = { ...(ctx.result.metadata ?? {}) };
  const error = ctx.result.success ? undefined : ctx.result.error;
  if (error) {
    metadata.error_message = error.message;
    if (error.error_type !== undefined) metadata.error_type = error.error_type;
    if (error.error_code !== undefined) metadata.error_code = error.error_code;
    if (error.retryable !== undefined) metadata.retryable = error.retryable;
  }
  const result = ctx.result.success && isObject(ctx.result.result) ? ctx.result.result : {};
  const declaration: TaskerEventDeclaration = {
    name: ctx.event.name,
    condition: ctx.event.condition,
    deliveryMode: ctx.event.delivery_mode,
    ...(ctx.event.publisher === undefined ? {} : { publisher: ctx.event.publisher }),
    ...(ctx.event.schema === undefined ? {} : { schema: ctx.event.schema.schema }),
  };
  return [
    { success: ctx.result.success, result, metadata },
    declaration,
    {
      taskUuid: ctx.task.task_uuid,
      stepUuid: ctx.step.step_uuid,
      stepName: ctx.step.name,
      namespace: ctx.task.namespace,
      correlationId: ctx.task.correlation_id,
      result,
      metadata,
    },
  ];
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Base class for publishers ported from tasker-core's TypeScript worker. Override the hooks you
 * need; register `new MyPublisher().toPublisher()` in a `PublisherRegistry`. The hooks keep
 * tasker-core's argument lists; what they receive and when they run is this library's (see the
 * README, "Coming from Tasker"): `beforePublish` may veto by returning `false`,
 * `afterPublish` runs once the event was handed to its route, and `onPublishError` observes a
 * failed hook or a payload that failed its schema.
 *
 * @example
 * ```ts
 * import { BasePublisher, type TaskerStepResult } from "@deno-tasker/tasker/tasker-compat";
 * class PaymentEventPublisher extends BasePublisher {
 *   readonly publisherName = "PaymentEventPublisher";
 *   override shouldPublish(stepResult: TaskerStepResult): boolean {
 *     return stepResult.success && stepResult.result?.transaction_id != null;
 *   }
 *   override transformPayload(stepResult: TaskerStepResult): Record<string, unknown> {
 *     return { transaction_id: stepResult.result?.transaction_id, status: "succeeded" };
 *   }
 * }
 * const publisher = new PaymentEventPublisher().toPublisher();
 * ```
 */
export abstract class BasePublisher {
  /** The name the template's `publisher:` refers to. */
  abstract readonly publisherName: string;

  /** The event's business payload. Default: the step's result object (`{}` on a failure). */
  transformPayload(
    stepResult: TaskerStepResult,
    _eventDeclaration?: TaskerEventDeclaration,
    _stepContext?: TaskerStepEventContext,
  ): Record<string, unknown> {
    return stepResult.result ?? {};
  }

  /** Whether to publish, beyond the declaration's condition. Default: true. */
  shouldPublish(
    _stepResult: TaskerStepResult,
    _eventDeclaration?: TaskerEventDeclaration,
    _stepContext?: TaskerStepEventContext,
  ): boolean {
    return true;
  }

  /** Extra metadata keys (kept in `metadata`; tasker-core's readers ignore them). */
  additionalMetadata(
    _stepResult: TaskerStepResult,
    _eventDeclaration?: TaskerEventDeclaration,
    _stepContext?: TaskerStepEventContext,
  ): Record<string, unknown> {
    return {};
  }

  /** Runs before the event is routed; `false` skips it. */
  beforePublish(
    _eventName: string,
    _payload: Record<string, unknown>,
    _metadata: Record<string, unknown>,
  ): boolean {
    return true;
  }

  /** Runs after the event was handed to its route. */
  afterPublish(
    _eventName: string,
    _payload: Record<string, unknown>,
    _metadata: Record<string, unknown>,
  ): void {}

  /** Observes a failure to publish (a throwing hook, a payload failing its schema). */
  onPublishError(_eventName: string, _error: Error, _payload: Record<string, unknown>): void {}

  /** This publisher as the library's frozen {@link Publisher}. */
  toPublisher(): Publisher {
    const payloadOf = (event: DomainEvent): Record<string, unknown> =>
      isObject(event.payload.payload) ? event.payload.payload : {};
    return definePublisher({
      name: this.publisherName,
      shouldPublish: (ctx) => this.shouldPublish(...taskerArguments(ctx)),
      transformPayload: (ctx) => this.transformPayload(...taskerArguments(ctx)) as JsonObject,
      additionalMetadata: (ctx) => this.additionalMetadata(...taskerArguments(ctx)) as JsonObject,
      beforePublish: (event) =>
        this.beforePublish(event.event_name, payloadOf(event), { ...event.metadata }),
      afterPublish: (event) =>
        this.afterPublish(event.event_name, payloadOf(event), { ...event.metadata }),
      onPublishError: (eventName, error, event) =>
        this.onPublishError(eventName, asError(error), event ? payloadOf(event) : {}),
    });
  }
}
