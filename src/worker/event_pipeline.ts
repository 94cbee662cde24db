/**
 * Turns one step outcome into the domain events it fires. For each declaration of the step, in
 * order: the condition (judged on retryability from the persisted step row, never the handler's
 * word), the custom publisher (a pure transform, run per event), the payload schema, the
 * envelope (a UUIDv7 `event_id` fixed here), then the publisher's `beforePublish` veto.
 *
 * Preparation is pure computation, so the worker runs it inside the step's transaction and stores
 * the durable events the step owes together with its result; routing happens after the commit.
 *
 * @module
 */

import { shouldPublish, stepRetryability } from "../events/conditions.ts";
import type {
  StepEventContext,
  StepEventResult,
  StepEventStep,
  StepEventTask,
} from "../events/context.ts";
import { buildDomainEvent } from "../events/envelope.ts";
import { checkEventPayload } from "../events/payload_schema.ts";
import { applyPublisher, runBeforePublish, runPublishError } from "../events/publisher.ts";
import type { PublisherRegistry } from "../events/publisher_registry.ts";
import type { JsonObject } from "../events/types.ts";
import { SchemaValidationError } from "../json_schema.ts";
import type { EventDeclaration } from "../template/types.ts";
import type { EventRouterStats, PreparedEvent } from "./event_router.ts";

/** The persisted outcome of one step attempt: what the pipeline judges conditions on. */
export interface StepEventInput {
  /** The step's declarations (`publishes_events`). */
  declarations: readonly EventDeclaration[];
  /** The task. */
  task: StepEventTask;
  /** The step row as just written: attempts, max_attempts and retryable are authoritative. */
  step: StepEventStep;
  /** The handler's result. */
  result: StepEventResult;
  /** Extra metadata for every event of this attempt (the tracing hook's `traceparent`). */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * Prepares events; counts skips and rejections into the router's counters.
 *
 * @example
 * ```ts
 * import { EventPipeline } from "./event_pipeline.ts";
 * import { EventRouter } from "./event_router.ts";
 * import { PublisherRegistry } from "../events/publisher_registry.ts";
 * const router = new EventRouter();
 * const pipeline = new EventPipeline(new PublisherRegistry(), router.counters);
 * const events = pipeline.prepare({
 *   declarations: [],
 *   task: { task_uuid: crypto.randomUUID(), namespace: "demo", name: "t", version: "1.0.0",
 *     context: {}, correlation_id: "c" },
 *   step: { step_uuid: crypto.randomUUID(), name: "s", attempts: 1, max_attempts: 3,
 *     retryable: true, handler_callable: "demo.s" },
 *   result: { success: true, result: {} },
 * });
 * console.log(events.length); // 0
 * ```
 */
export class EventPipeline {
  readonly #publishers: PublisherRegistry;
  readonly #counters: EventRouterStats;

  /**
   * Creates a pipeline.
   *
   * @param publishers where declared publisher names are resolved (unknown → default, counted)
   * @param counters the router's live counters, to which skips and rejections are added
   */
  constructor(publishers: PublisherRegistry, counters: EventRouterStats) {
    this.#publishers = publishers;
    this.#counters = counters;
  }

  /** The events this outcome fires, in declaration order. Never throws for a declaration. */
  prepare(input: StepEventInput): PreparedEvent[] {
    if (input.declarations.length === 0) return [];
    const outcome = {
      succeeded: input.result.success,
      retryable: stepRetryability(input.step),
    };
    const prepared: PreparedEvent[] = [];
    let snapshot: JsonObject | undefined;
    let executionResult: JsonObject | undefined;
    for (const declaration of input.declarations) {
      if (!shouldPublish(declaration.condition, outcome)) {
        this.#counters.skipped_by_condition++;
        continue;
      }
      const { publisher } = this.#publishers.resolve(declaration.publisher);
      const ctx: StepEventContext = {
        event: declaration,
        task: input.task,
        step: input.step,
        result: input.result,
      };
      const applied = applyPublisher(publisher, ctx);
      if (applied.skip) {
        if (applied.error) this.#counters.publisher_errors++;
        else this.#counters.skipped_by_publisher++;
        continue;
      }
      const failures = checkEventPayload(declaration, applied.payload);
      if (failures.length > 0) {
        this.#counters.schema_rejections++;
        const error = new SchemaValidationError(`payload of ${declaration.name}`, failures);
        console.error(`deno-tasker: ${error.message}`);
        runPublishError(publisher, declaration.name, error);
        continue;
      }
      snapshot ??= stepSnapshot(input);
      executionResult ??= executionResultOf(input);
      const event = buildDomainEvent({
        event_name: declaration.name,
        payload: applied.payload,
        task_sequence_step: snapshot,
        execution_result: executionResult,
        metadata: {
          ...applied.extraMetadata,
          ...input.metadata,
          task_uuid: input.task.task_uuid,
          step_uuid: input.step.step_uuid,
          step_name: input.step.name,
          namespace: input.task.namespace,
          correlation_id: input.task.correlation_id,
          fired_by: applied.firedBy,
        },
      });
      if (!runBeforePublish(publisher, event)) {
        this.#counters.skipped_by_publisher++;
        continue;
      }
      prepared.push({ event, delivery_mode: declaration.delivery_mode, publisher });
    }
    return prepared;
  }
}

function stepSnapshot(input: StepEventInput): JsonObject {
  const { task, step } = input;
  return {
    task: {
      task_uuid: task.task_uuid,
      namespace: task.namespace,
      name: task.name,
      version: task.version,
      correlation_id: task.correlation_id,
      context: task.context,
    },
    step: {
      step_uuid: step.step_uuid,
      name: step.name,
      attempts: step.attempts,
      max_attempts: step.max_attempts,
      retryable: step.retryable,
      handler_callable: step.handler_callable,
    },
  };
}

function executionResultOf(input: StepEventInput): JsonObject {
  const { result } = input;
  const out: JsonObject = { success: result.success };
  if (result.success) out.result = result.result ?? null;
  if (result.error) out.error = { ...result.error };
  out.metadata = result.metadata ?? {};
  return out;
}
