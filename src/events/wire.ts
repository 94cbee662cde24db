/**
 * Building the Tasker-shaped parts of a domain event from what the worker knows: the task and
 * step rows as claimed, the template's step definition, the ancestors' results and the handler's
 * outcome. Pure and synchronous (no I/O, no clock unless `now` is left out), so the event pipeline
 * can run it inside the step's transaction.
 *
 * Ids that Tasker keeps in tables of its own (`named_task_uuid`, `named_step_uuid`) are derived
 * deterministically from the template's namespace, name, version (and step name), so every worker
 * writes the same value for the same template. `identity_hash` is a 64-bit FNV-1a over the named
 * task and the canonicalised context, printed as 16 hex digits (Tasker's readers treat it as an
 * opaque string).
 *
 * @module
 */

import type { EventDeclaration } from "./declaration.ts";
import {
  minimalDefinition,
  type StepDefinitionSource,
  wireStepDefinition,
} from "./wire_step_definition.ts";
import { derivedUuid, fromNaive, identityHash, naiveTimestamp, namedTaskUuid } from "./wire_ids.ts";

export { derivedUuid, identityHash, naiveTimestamp, namedTaskUuid, NIL_UUID } from "./wire_ids.ts";
export { type StepDefinitionSource, wireStepDefinition } from "./wire_step_definition.ts";
import type { StepEventContext, StepEventResult, StepEventStep, StepEventTask } from "./context.ts";
import type {
  StepExecutionResult,
  TaskSequenceStep,
  UtcTimestamp,
  WireExecutionMetadata,
  WireTask,
  WireWorkflowStep,
} from "./wire_types.ts";

/** A completed ancestor, as the claim read it: what `dependency_results` is built from. */
export interface CompletedStepRecord {
  /** The ancestor step's UUID. */
  step_uuid: string;
  /** Its persisted result. */
  result: unknown;
  /** When its last attempt started (RFC 3339 with `Z`), when known. */
  started_at?: UtcTimestamp | null;
  /** When it completed (RFC 3339 with `Z`), when known. */
  completed_at?: UtcTimestamp | null;
  /** The worker that completed it, when known. */
  worker_id?: string | null;
}

/** What {@link buildTaskSequenceStep} takes. */
export interface TaskSequenceStepInput {
  /** The task, with the row's columns when the claim read them. */
  task: StepEventTask;
  /** The step as persisted with this attempt. */
  step: StepEventStep;
  /** The template's definition of the step; a minimal one is derived from `step` without it. */
  definition?: StepDefinitionSource;
  /** The completed ancestors (direct and transitive), by step name. */
  dependencies?: Readonly<Record<string, CompletedStepRecord>>;
  /** The instant used for any timestamp the rows do not carry. Default: now. */
  now?: Date;
}

function wireTask(task: StepEventTask, now: Date): WireTask {
  const fallback = naiveTimestamp(now);
  return {
    task_uuid: task.task_uuid,
    named_task_uuid: namedTaskUuid(task),
    complete: false,
    requested_at: task.requested_at ?? task.created_at ?? fallback,
    initiator: task.initiator ?? null,
    source_system: task.source_system ?? null,
    reason: task.reason ?? null,
    tags: task.tags ?? [],
    context: task.context,
    identity_hash: identityHash(task),
    priority: task.priority ?? 0,
    created_at: task.created_at ?? fallback,
    updated_at: task.updated_at ?? task.created_at ?? fallback,
    correlation_id: task.correlation_id,
    parent_correlation_id: task.parent_correlation_id ?? null,
  };
}

function wireStep(input: TaskSequenceStepInput, now: Date): WireWorkflowStep {
  const { task, step, definition } = input;
  const initialization = definition?.handler.initialization ?? {};
  const attemptStarted = step.last_attempted_at ?? naiveTimestamp(now);
  return {
    workflow_step_uuid: step.step_uuid,
    task_uuid: task.task_uuid,
    named_step_uuid: derivedUuid("named_step", task.namespace, task.name, task.version, step.name),
    name: step.name,
    template_step_name: step.template_step_name ?? step.name,
    retryable: step.retryable,
    max_attempts: step.max_attempts,
    in_process: true,
    processed: false,
    processed_at: null,
    attempts: step.attempts,
    last_attempted_at: attemptStarted,
    backoff_request_seconds: null,
    // A batch worker's inputs are its template's initialization with its cursor, as Tasker's.
    inputs: step.inputs
      ? { ...initialization, ...step.inputs }
      : Object.keys(initialization).length === 0
      ? null
      : initialization,
    results: null,
    // Tasker's column holds the CheckpointRecord as saved; null for a step that never yielded.
    checkpoint: step.checkpoint ?? null,
    created_at: step.created_at ?? attemptStarted,
    updated_at: attemptStarted,
  };
}

/** The empty orchestration metadata Rust's own constructors write. */
function emptyOrchestrationMetadata(): StepExecutionResult["orchestration_metadata"] {
  return { headers: {}, error_context: null, backoff_hint: null, custom: {} };
}

function dependencyResult(record: CompletedStepRecord): StepExecutionResult {
  const started = record.started_at ?? null;
  const completed = record.completed_at ?? started ?? new Date().toISOString();
  const elapsed = started === null ? 0 : Date.parse(completed) - Date.parse(started);
  return {
    step_uuid: record.step_uuid,
    success: true,
    result: record.result ?? null,
    metadata: {
      execution_time_ms: Number.isFinite(elapsed) && elapsed > 0 ? Math.round(elapsed) : 0,
      handler_version: null,
      retryable: false,
      completed_at: completed,
      worker_id: record.worker_id ?? null,
      worker_hostname: null,
      started_at: started,
      custom: {},
      error_code: null,
      error_type: null,
      context: {},
    },
    status: "completed",
    error: null,
    orchestration_metadata: emptyOrchestrationMetadata(),
  };
}

/**
 * Builds `payload.task_sequence_step` as Tasker's `TaskSequenceStep`.
 *
 * @param input the task and step (as claimed), the template step, the completed ancestors
 * @returns the task row nested at `task.task`, the step row, the ancestors' results and the
 *   step definition
 *
 * @example
 * ```ts
 * import { buildTaskSequenceStep } from "./wire.ts";
 * const tss = buildTaskSequenceStep({
 *   task: {
 *     task_uuid: crypto.randomUUID(),
 *     namespace: "payments",
 *     name: "checkout",
 *     version: "1.0.0",
 *     context: { order_id: "A-1" },
 *     correlation_id: crypto.randomUUID(),
 *   },
 *   step: {
 *     step_uuid: crypto.randomUUID(),
 *     name: "charge",
 *     attempts: 1,
 *     max_attempts: 3,
 *     retryable: true,
 *     handler_callable: "payments.charge",
 *   },
 * });
 * console.log(tss.task.task.identity_hash.length); // 16
 * ```
 */
export function buildTaskSequenceStep(input: TaskSequenceStepInput): TaskSequenceStep {
  const now = input.now ?? new Date();
  const dependency_results: Record<string, StepExecutionResult> = {};
  for (const [name, record] of Object.entries(input.dependencies ?? {})) {
    dependency_results[name] = dependencyResult(record);
  }
  return {
    task: {
      task: wireTask(input.task, now),
      task_name: input.task.name,
      task_version: input.task.version,
      namespace_name: input.task.namespace,
    },
    workflow_step: wireStep(input, now),
    dependency_results,
    step_definition: input.definition
      ? wireStepDefinition(input.definition)
      : minimalDefinition(input.step),
  };
}

/** What {@link buildExecutionResult} takes. */
export interface ExecutionResultInput {
  /** The step that produced the result. */
  step_uuid: string;
  /** The handler's outcome. */
  result: StepEventResult;
  /** When the attempt started; the duration is measured from it. */
  started_at?: Date;
  /** When the attempt ended. Default: now. */
  completed_at?: Date;
  /** The worker that ran it. */
  worker_id?: string | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Builds `payload.execution_result` as Tasker's `StepExecutionResult`: the handler's metadata
 * under `metadata.custom`, the error code and type in `metadata.error_code` / `error_type` (the
 * type also in `error.error_type`), `status` `completed` or `failed`, `result` `{}` on failure.
 *
 * @param input the step, the handler's outcome and the attempt's timing
 * @returns the wire form
 *
 * @example
 * ```ts
 * import { buildExecutionResult } from "./wire.ts";
 * const wire = buildExecutionResult({
 *   step_uuid: crypto.randomUUID(),
 *   result: {
 *     success: false,
 *     error: { message: "declined", error_type: "PaymentError", error_code: "DECLINED", retryable: false },
 *     metadata: { provider: "stripe" },
 *   },
 * });
 * console.log(wire.status, wire.metadata.error_code, wire.metadata.custom); // failed DECLINED { provider: "stripe" }
 * ```
 */
export function buildExecutionResult(input: ExecutionResultInput): StepExecutionResult {
  const { result } = input;
  const completed = input.completed_at ?? new Date();
  const started = input.started_at;
  const elapsed = started === undefined ? 0 : completed.getTime() - started.getTime();
  const error = result.success ? undefined : result.error;
  const retryable = error?.retryable ?? false;
  const metadata: WireExecutionMetadata = {
    execution_time_ms: elapsed > 0 ? Math.round(elapsed) : 0,
    handler_version: null,
    retryable: result.success ? false : retryable,
    completed_at: completed.toISOString(),
    worker_id: input.worker_id ?? null,
    worker_hostname: null,
    started_at: started === undefined ? null : started.toISOString(),
    custom: isObject(result.metadata) ? result.metadata : {},
    error_code: error?.error_code ?? null,
    error_type: error?.error_type ?? null,
    context: {},
  };
  return {
    step_uuid: input.step_uuid,
    success: result.success,
    result: result.success ? (result.result ?? null) : {},
    metadata,
    status: result.success ? "completed" : "failed",
    error: result.success ? null : {
      message: error?.message ?? "step failed without an error message",
      error_type: error?.error_type ?? null,
      backtrace: null,
      retryable,
    },
    orchestration_metadata: emptyOrchestrationMetadata(),
  };
}

/** When an attempt of `step` started, from its row; undefined when the row does not say. */
export function attemptStartedAt(step: StepEventStep): Date | undefined {
  return fromNaive(step.last_attempted_at);
}

/** What {@link buildStepEventContext} takes: the event's declaration and the attempt. */
export interface StepEventContextInput extends TaskSequenceStepInput {
  /** The declaration being published. */
  event: EventDeclaration;
  /** The attempt's outcome. */
  result: StepEventResult;
}

/**
 * The context a publisher's functions receive, with the Tasker-typed `taskSequenceStep` and
 * `executionResult` built from the task, step and result (as the event pipeline does). For tests
 * of custom publishers, and for code that calls `applyPublisher` itself.
 *
 * @param input the declaration, task, step, result (and optionally the template step and the
 *   completed ancestors)
 * @returns the context
 *
 * @example
 * ```ts
 * import { buildStepEventContext } from "@deno-tasker/tasker/events";
 * const ctx = buildStepEventContext({
 *   event: { name: "payment.processed", condition: "success", delivery_mode: "durable" },
 *   task: {
 *     task_uuid: crypto.randomUUID(),
 *     namespace: "payments",
 *     name: "checkout",
 *     version: "1.0.0",
 *     context: {},
 *     correlation_id: crypto.randomUUID(),
 *   },
 *   step: {
 *     step_uuid: crypto.randomUUID(),
 *     name: "charge",
 *     attempts: 1,
 *     max_attempts: 3,
 *     retryable: true,
 *     handler_callable: "payments.charge",
 *   },
 *   result: { success: true, result: { id: "ch_1" }, metadata: { provider: "stripe" } },
 * });
 * console.log(ctx.executionResult.metadata.custom); // { provider: "stripe" }
 * ```
 */
export function buildStepEventContext(input: StepEventContextInput): StepEventContext {
  const started = attemptStartedAt(input.step);
  return {
    event: input.event,
    task: input.task,
    step: input.step,
    result: input.result,
    taskSequenceStep: buildTaskSequenceStep(input),
    executionResult: buildExecutionResult({
      step_uuid: input.step.step_uuid,
      result: input.result,
      ...(started ? { started_at: started } : {}),
      ...(input.now ? { completed_at: input.now } : {}),
      worker_id: input.step.worker_id ?? null,
    }),
  };
}
