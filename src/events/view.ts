/**
 * Typed, flat access to a domain event, so that subscribers and publishers' hooks do not dig
 * through `payload.task_sequence_step.task.task`. {@link eventView} reads what is there and
 * checks each part's type as it goes; a part that an event from another producer lacks (or has
 * with the wrong type) reads as `undefined` instead of throwing.
 *
 * @module
 */

import type { DomainEvent } from "./types.ts";
import type {
  StepExecutionResult,
  TaskSequenceStep,
  WireStepDefinition,
  WireTask,
  WireWorkflowStep,
} from "./wire_types.ts";

/** A flat, typed view of one domain event. */
export interface DomainEventView {
  /** The event's id. */
  readonly eventId: string;
  /** The event's name. */
  readonly eventName: string;
  /** The task's UUID. */
  readonly taskUuid: string;
  /** The step's UUID, when the event names one. */
  readonly stepUuid: string | undefined;
  /** The step's name, when the event names one. */
  readonly stepName: string | undefined;
  /** The task's namespace. */
  readonly namespace: string;
  /** The correlation id (a UUID). */
  readonly correlationId: string;
  /** When the event was fired. */
  readonly firedAt: Date;
  /** The publisher (or worker) that fired it. */
  readonly firedBy: string;
  /** The business payload: any JSON value. */
  readonly payload: unknown;
  /** The whole `task_sequence_step`, when it has Tasker's four parts. */
  readonly taskSequenceStep: TaskSequenceStep | undefined;
  /** The task row (`task_sequence_step.task.task`). */
  readonly task: WireTask | undefined;
  /** The task's input context (`task.task.context`). */
  readonly taskContext: Record<string, unknown> | undefined;
  /** The template's name (`task.task_name`). */
  readonly taskName: string | undefined;
  /** The template's version (`task.task_version`). */
  readonly taskVersion: string | undefined;
  /** The step row (`task_sequence_step.workflow_step`). */
  readonly workflowStep: WireWorkflowStep | undefined;
  /** The template's definition of the step. */
  readonly stepDefinition: WireStepDefinition | undefined;
  /** The ancestors' results by step name (`{}` when there are none or they are not there). */
  readonly dependencyResults: Readonly<Record<string, StepExecutionResult>>;
  /** The step's execution result. */
  readonly executionResult: StepExecutionResult | undefined;
  /** Whether the step succeeded (`execution_result.success`; false when absent). */
  readonly success: boolean;
  /** The handler's return value (`execution_result.result`). */
  readonly result: unknown;
  /** The handler's own metadata (`execution_result.metadata.custom`; `{}` when absent). */
  readonly handlerMetadata: Readonly<Record<string, unknown>>;
  /** The error message of a failure. */
  readonly errorMessage: string | undefined;
  /** The error code of a failure (`execution_result.metadata.error_code`). */
  readonly errorCode: string | undefined;
  /** The error type of a failure. */
  readonly errorType: string | undefined;
  /** What the handler said about retrying a failure. */
  readonly retryable: boolean | undefined;
  /** One ancestor's result value by step name (`dependency_results[name].result`). */
  dependencyResult<T = unknown>(stepName: string): T | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function objectOr<T>(value: unknown): T | undefined {
  return isObject(value) ? value as T : undefined;
}

/**
 * A typed view of `event`. Cheap: it reads fields, it does not copy or validate the event
 * against its schema (use `parseDomainEvent` for that).
 *
 * @param event a domain event, from the bus or a queue
 * @returns its parts, flat and typed
 *
 * @example
 * ```ts
 * import { eventView } from "@deno-tasker/tasker";
 * import type { DomainEvent } from "@deno-tasker/tasker";
 * function describe(event: DomainEvent): string {
 *   const view = eventView(event);
 *   return `${view.eventName} of ${view.taskName}/${view.stepName}: ` +
 *     (view.success ? "ok" : `${view.errorCode ?? view.errorType} ${view.errorMessage}`);
 * }
 * ```
 */
export function eventView(event: DomainEvent): DomainEventView {
  const body = objectOr<Record<string, unknown>>(event.payload) ?? {};
  const tssRaw = objectOr<Record<string, unknown>>(body.task_sequence_step);
  const orchestration = objectOr<Record<string, unknown>>(tssRaw?.task);
  const task = objectOr<WireTask>(orchestration?.task);
  const workflowStep = objectOr<WireWorkflowStep>(tssRaw?.workflow_step);
  const stepDefinition = objectOr<WireStepDefinition>(tssRaw?.step_definition);
  const dependencyResults =
    objectOr<Record<string, StepExecutionResult>>(tssRaw?.dependency_results) ?? {};
  const taskSequenceStep = task && workflowStep && stepDefinition
    ? tssRaw as unknown as TaskSequenceStep
    : undefined;
  const executionResult = objectOr<StepExecutionResult>(body.execution_result);
  const metadata = objectOr<Record<string, unknown>>(executionResult?.metadata);
  const error = objectOr<Record<string, unknown>>(executionResult?.error);
  const meta = event.metadata;
  return {
    eventId: event.event_id,
    eventName: event.event_name,
    taskUuid: meta.task_uuid,
    stepUuid: stringOr(meta.step_uuid),
    stepName: stringOr(meta.step_name),
    namespace: meta.namespace,
    correlationId: meta.correlation_id,
    firedAt: new Date(meta.fired_at),
    firedBy: meta.fired_by,
    payload: body.payload,
    taskSequenceStep,
    task,
    taskContext: objectOr(task?.context),
    taskName: stringOr(orchestration?.task_name),
    taskVersion: stringOr(orchestration?.task_version),
    workflowStep,
    stepDefinition,
    dependencyResults,
    executionResult,
    success: executionResult?.success === true,
    result: executionResult?.result,
    handlerMetadata: objectOr(metadata?.custom) ?? {},
    errorMessage: stringOr(error?.message),
    errorCode: stringOr(metadata?.error_code) ?? stringOr(error?.error_code),
    errorType: stringOr(error?.error_type) ?? stringOr(metadata?.error_type),
    retryable: typeof error?.retryable === "boolean" ? error.retryable : undefined,
    dependencyResult<T = unknown>(stepName: string): T | undefined {
      if (!Object.hasOwn(dependencyResults, stepName)) return undefined;
      return objectOr<StepExecutionResult>(dependencyResults[stepName])?.result as T | undefined;
    },
  };
}
