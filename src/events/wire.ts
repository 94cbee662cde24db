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
import type { StepEventContext, StepEventResult, StepEventStep, StepEventTask } from "./context.ts";
import type {
  NaiveTimestamp,
  StepExecutionResult,
  TaskSequenceStep,
  UtcTimestamp,
  WireEventDeclaration,
  WireExecutionMetadata,
  WireStepDefinition,
  WireTask,
  WireWorkflowStep,
} from "./wire_types.ts";

/** The nil UUID, which Tasker's readers use for a result that names no step. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * A `Date` as Tasker's `NaiveDateTime`: ISO 8601 in UTC without the trailing `Z`.
 *
 * @param date the instant
 * @returns e.g. `2026-03-22T09:15:03.201`
 *
 * @example
 * ```ts
 * import { naiveTimestamp } from "./wire.ts";
 * naiveTimestamp(new Date(0)); // "1970-01-01T00:00:00.000"
 * ```
 */
export function naiveTimestamp(date: Date): NaiveTimestamp {
  return date.toISOString().slice(0, -1);
}

/** A naive (UTC) timestamp back to a Date; undefined when it does not parse. */
function fromNaive(value: NaiveTimestamp | null | undefined): Date | undefined {
  if (typeof value !== "string") return undefined;
  const date = new Date(value.endsWith("Z") ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * 64-bit FNV-1a of `text`'s UTF-16 code units, starting from `basis`, as 16 hex digits. The
 * 64-bit state is kept as two 32-bit halves (BigInt arithmetic per character cost ~10 µs per
 * event): the prime is 2^40 + 0x1b3, so `h * prime` is `h * 0x1b3 + (h << 40)` mod 2^64.
 */
function fnv1a64(text: string, basis: bigint): string {
  let hi = Number(basis >> 32n);
  let lo = Number(basis & 0xffffffffn);
  for (let i = 0; i < text.length; i++) {
    lo ^= text.charCodeAt(i);
    lo >>>= 0;
    const low = lo * 0x1b3; // < 2^41: exact in a double
    const carry = Math.floor(low / 0x100000000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/**
 * A deterministic UUID (version 8, RFC 9562 "custom") for `parts`: the same parts always give
 * the same id. Used for the template-level ids Tasker keeps in tables of its own.
 *
 * @param parts the identifying strings, e.g. namespace, name and version
 * @returns a canonical lowercase UUID
 *
 * @example
 * ```ts
 * import { derivedUuid } from "./wire.ts";
 * derivedUuid("payments", "charge", "1.0.0") === derivedUuid("payments", "charge", "1.0.0"); // true
 * ```
 */
export function derivedUuid(...parts: string[]): string {
  const text = parts.join("\u0000");
  const known = derivedIds.get(text);
  if (known !== undefined) return known;
  if (derivedIds.size >= DERIVED_IDS_KEPT) derivedIds.clear();
  const id = computeDerivedUuid(text);
  derivedIds.set(text, id);
  return id;
}

/** Template and step ids are derived again for every event: the last few thousand are kept. */
const derivedIds = new Map<string, string>();
const DERIVED_IDS_KEPT = 4096;

function computeDerivedUuid(text: string): string {
  const hi = fnv1a64(text, 0xcbf29ce484222325n);
  const lo = fnv1a64(text, 0x84222325cbf29ce4n);
  const variant = ((parseInt(lo[0]!, 16) & 0x3) | 0x8).toString(16);
  return `${hi.slice(0, 8)}-${hi.slice(8, 12)}-8${hi.slice(13, 16)}-${variant}${lo.slice(1, 4)}-${
    lo.slice(4, 16)
  }`;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value).sort().map((key) =>
      `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The registered-template id of a task's template. */
export function namedTaskUuid(task: Pick<StepEventTask, "namespace" | "name" | "version">): string {
  return derivedUuid("named_task", task.namespace, task.name, task.version);
}

/**
 * The task's identity hash: 16 hex digits of FNV-1a over its named task and canonical context.
 *
 * @param task the task (namespace, name, version, context)
 * @returns e.g. `9c41e07a5b2d8f13`
 */
export function identityHash(
  task: Pick<StepEventTask, "namespace" | "name" | "version" | "context">,
): string {
  return fnv1a64(`${namedTaskUuid(task)}|${canonicalJson(task.context)}`, 0xcbf29ce484222325n);
}

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

/**
 * What the wire reads of a template's step definition: the fields of the template layer's
 * `StepTemplate` that Tasker's `StepDefinition` carries (declared here, so the event model does
 * not depend on the template loader; a `StepTemplate` is one).
 */
export interface StepDefinitionSource {
  /** The step's name. */
  name: string;
  /** Its description, if the template gives one. */
  description?: string;
  /** The handler's callable and its `initialization`. */
  handler: { callable: string; initialization?: Record<string, unknown> };
  /** The names of the steps it depends on. */
  dependencies: readonly string[];
  /** Its retry policy, as the template resolved it. */
  retry: {
    retryable: boolean;
    max_attempts: number;
    backoff: string;
    backoff_base_ms?: number | null;
    max_backoff_ms?: number | null;
  };
  /** Its timeout, if any. */
  timeout_seconds?: number;
  /** The events it declares. */
  publishes_events: readonly EventDeclaration[];
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

/** Optional template keys that newer template parsers add; read without depending on them. */
interface StepTemplateExtras {
  type?: string;
  system_dependency?: string | null;
  batch_config?: Record<string, unknown> | null;
  result_schema?: unknown;
  handler: { method?: string | null; resolver?: string | null };
}

function schemaJson(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return null;
  const raw = (schema as { schema?: unknown }).schema;
  return raw === undefined ? schema : raw;
}

/**
 * The template's step as Tasker's `StepDefinition`.
 *
 * @param definition the loaded template step
 * @returns the wire form, defaults written out as Rust writes them
 */
export function wireStepDefinition(definition: StepDefinitionSource): WireStepDefinition {
  const extras = definition as unknown as StepTemplateExtras;
  const compiledResultSchema = schemaJson(extras.result_schema);
  const out: WireStepDefinition = {
    name: definition.name,
    description: definition.description ?? null,
    handler: {
      callable: definition.handler.callable,
      method: extras.handler.method ?? null,
      resolver: extras.handler.resolver ?? null,
      initialization: definition.handler.initialization ?? {},
    },
    type: extras.type ?? "standard",
    system_dependency: extras.system_dependency ?? null,
    dependencies: [...definition.dependencies],
    retry: {
      retryable: definition.retry.retryable,
      max_attempts: definition.retry.max_attempts,
      backoff: definition.retry.backoff,
      backoff_base_ms: definition.retry.backoff_base_ms ?? null,
      max_backoff_ms: definition.retry.max_backoff_ms ?? null,
    },
    timeout_seconds: definition.timeout_seconds ?? null,
    publishes_events: definition.publishes_events.map((declaration): WireEventDeclaration => ({
      name: declaration.name,
      description: declaration.description ?? "",
      condition: declaration.condition,
      schema: schemaJson(declaration.schema),
      delivery_mode: declaration.delivery_mode,
      publisher: declaration.publisher ?? null,
    })),
    batch_config: extras.batch_config ?? null,
  };
  if (compiledResultSchema !== null) out.result_schema = compiledResultSchema;
  return out;
}

/** A definition for a step whose template is not at hand: what the step row says. */
function minimalDefinition(step: StepEventStep): WireStepDefinition {
  return {
    name: step.name,
    description: null,
    handler: {
      callable: step.handler_callable,
      method: null,
      resolver: null,
      initialization: {},
    },
    type: "standard",
    system_dependency: null,
    dependencies: [],
    retry: {
      retryable: step.retryable,
      max_attempts: step.max_attempts,
      backoff: "exponential",
      backoff_base_ms: null,
      max_backoff_ms: null,
    },
    timeout_seconds: null,
    publishes_events: [],
    batch_config: null,
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
 * import { buildStepEventContext } from "@deno-tasker/tasker";
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
