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
import {
  attemptStartedAt,
  buildExecutionResult,
  buildTaskSequenceStep,
  type CompletedStepRecord,
  NIL_UUID,
} from "../events/wire.ts";
import type { StepExecutionResult, TaskSequenceStep } from "../events/wire_types.ts";
import { checkEventPayload } from "../events/payload_schema.ts";
import { applyPublisher, runBeforePublish, runPublishError } from "../events/publisher.ts";
import type { PublisherRegistry } from "../events/publisher_registry.ts";
import type { DomainEvent, JsonObject } from "../events/types.ts";
import { SchemaValidationError } from "../json_schema.ts";
import type { EventDeclaration } from "../events/declaration.ts";
import type { StepTemplate } from "../template/types.ts";
import type { EventRouterStats, PreparedEvent } from "./event_router.ts";

/** The counters the pipeline keeps: declarations skipped, and events it refused to prepare. */
export type PreparedEventStats = Pick<
  EventRouterStats,
  "skipped_by_condition" | "skipped_by_publisher" | "publisher_errors" | "schema_rejections"
>;

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
  /** The template's definition of the step (`task_sequence_step.step_definition`). */
  stepTemplate?: StepTemplate;
  /** The step's ancestors, direct and transitive; every completed step when absent. */
  ancestors?: Iterable<string>;
  /** The task's completed steps, by name (`task_sequence_step.dependency_results`). */
  completed?: Readonly<Record<string, CompletedStepRecord>>;
}

/**
 * Prepares events; counts its skips and rejections ({@link EventPipeline.stats}).
 *
 * @example
 * ```ts
 * import { EventPipeline } from "./event_pipeline.ts";
 * import { PublisherRegistry } from "@deno-tasker/tasker";
 * const pipeline = new EventPipeline(new PublisherRegistry());
 * const events = pipeline.prepare({
 *   declarations: [],
 *   task: { task_uuid: crypto.randomUUID(), namespace: "demo", name: "t", version: "1.0.0",
 *     context: {}, correlation_id: crypto.randomUUID() },
 *   step: { step_uuid: crypto.randomUUID(), name: "s", attempts: 1, max_attempts: 3,
 *     retryable: true, handler_callable: "demo.s" },
 *   result: { success: true, result: {} },
 * });
 * console.log(events.length); // 0
 * ```
 */
export class EventPipeline {
  readonly #publishers: PublisherRegistry;
  readonly #counters: PreparedEventStats = {
    skipped_by_condition: 0,
    skipped_by_publisher: 0,
    publisher_errors: 0,
    schema_rejections: 0,
  };

  /**
   * Creates a pipeline.
   *
   * @param publishers where declared publisher names are resolved (unknown → default, counted)
   */
  constructor(publishers: PublisherRegistry) {
    this.#publishers = publishers;
  }

  /** A snapshot of the pipeline's counters. */
  stats(): PreparedEventStats {
    return { ...this.#counters };
  }

  /** The events this outcome fires, in declaration order. Never throws for a declaration. */
  prepare(input: StepEventInput): PreparedEvent[] {
    if (input.declarations.length === 0) return [];
    const outcome = {
      succeeded: input.result.success,
      retryable: stepRetryability(input.step),
    };
    const prepared: PreparedEvent[] = [];
    let snapshot: TaskSequenceStep | undefined;
    let executionResult: StepExecutionResult | undefined;
    for (const declaration of input.declarations) {
      if (!shouldPublish(declaration.condition, outcome)) {
        this.#counters.skipped_by_condition++;
        continue;
      }
      const { publisher } = this.#publishers.resolve(declaration.publisher);
      snapshot ??= taskSequenceStepOf(input);
      executionResult ??= executionResultOf(input);
      const ctx: StepEventContext = {
        event: declaration,
        task: input.task,
        step: input.step,
        result: input.result,
        taskSequenceStep: snapshot,
        executionResult,
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

function taskSequenceStepOf(input: StepEventInput): TaskSequenceStep {
  const completed = input.completed ?? {};
  const names = input.ancestors ?? Object.keys(completed);
  const dependencies: Record<string, CompletedStepRecord> = {};
  for (const name of names) {
    const record = completed[name];
    if (record !== undefined) dependencies[name] = record;
  }
  return buildTaskSequenceStep({
    task: input.task,
    step: input.step,
    ...(input.stepTemplate ? { definition: input.stepTemplate } : {}),
    dependencies,
  });
}

function executionResultOf(input: StepEventInput): StepExecutionResult {
  const started = attemptStartedAt(input.step);
  return buildExecutionResult({
    step_uuid: input.step.step_uuid,
    result: input.result,
    ...(started ? { started_at: started } : {}),
    worker_id: input.step.worker_id ?? null,
  });
}

/** What {@link adHocEvent} needs: the event, and the step whose handler published it. */
export interface AdHocEventInput {
  /** The event's name. */
  name: string;
  /** Its business payload. */
  payload: JsonObject;
  /** The task. */
  task: StepEventTask;
  /** The running step, as its handler sees it. */
  step: Omit<StepEventStep, "handler_callable"> & { handler_callable?: string };
  /** The step's template, when the worker has it. */
  stepTemplate?: StepTemplate;
  /** The ancestors' results by step name, as the handler sees them. */
  dependencyResults?: Readonly<Record<string, unknown>>;
  /** Extra metadata (the tracing hook's `traceparent`). */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * The envelope of an event a handler publishes itself (`ctx.publishDomainEvent`), in Tasker's
 * wire shape. The attempt has not finished, so `execution_result` names the step with `status`
 * `in_progress` and leaves every other key to the reader's defaults (Tasker's readers fill them
 * in: `success` false, `metadata` empty); ancestors' results carry the nil step UUID, as the
 * handler's context does not know their ids.
 *
 * @param input the event and its step
 * @returns the event, `fired_by` `publishDomainEvent`
 * @throws {InvalidNameError} when the name is not a valid event name
 *
 * @example
 * ```ts
 * import { adHocEvent } from "./event_pipeline.ts";
 * const event = adHocEvent({
 *   name: "order.note_added",
 *   payload: { note: "gift wrap" },
 *   task: { task_uuid: crypto.randomUUID(), namespace: "orders", name: "o", version: "1.0.0",
 *     context: {}, correlation_id: crypto.randomUUID() },
 *   step: { step_uuid: crypto.randomUUID(), name: "pack", attempts: 1, max_attempts: 3,
 *     retryable: true },
 * });
 * console.log(event.metadata.fired_by); // "publishDomainEvent"
 * ```
 */
export function adHocEvent(input: AdHocEventInput): DomainEvent {
  const { task, stepTemplate } = input;
  const step: StepEventStep = {
    ...input.step,
    handler_callable: input.step.handler_callable ?? stepTemplate?.handler.callable ?? "",
  };
  const dependencies: Record<string, CompletedStepRecord> = {};
  for (const [name, result] of Object.entries(input.dependencyResults ?? {})) {
    dependencies[name] = { step_uuid: NIL_UUID, result };
  }
  return buildDomainEvent({
    event_name: input.name,
    payload: input.payload,
    task_sequence_step: buildTaskSequenceStep({
      task,
      step,
      ...(stepTemplate ? { definition: stepTemplate } : {}),
      dependencies,
    }),
    execution_result: { step_uuid: step.step_uuid, status: "in_progress" },
    metadata: {
      ...input.metadata,
      task_uuid: task.task_uuid,
      step_uuid: step.step_uuid,
      step_name: step.name,
      namespace: task.namespace,
      correlation_id: task.correlation_id,
      fired_by: "publishDomainEvent",
    },
  });
}
