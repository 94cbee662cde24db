/**
 * Task submission: validate the context against the template's `input_schema`, insert the task
 * and its steps, and send the root steps to the namespace's step queue — all in one transaction,
 * so a task is either fully submitted with its first steps queued, or not at all.
 *
 * @module
 */

import { sendBatchAtCall } from "../durable/pgmq/statements.ts";
import type { Database } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { JsonObject } from "../events/types.ts";
import { uuidv7 } from "../events/uuid.ts";
import type { SchemaFailure } from "../json_schema.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import { assertRunnable } from "../template/runnable.ts";
import type { TaskTemplate } from "../template/types.ts";
import { ensureQueue } from "./queues.ts";
import { templateHash } from "./template_hash.ts";
import { checkTaskRequestWire } from "./task_request_wire.ts";
import { delayedStart } from "./schedules_delay.ts";
import { stepQueueFor } from "./priority_queues.ts";
import { duplicateTaskError, taskIdentity } from "./task_identity.ts";
import { initialStepSet } from "./step_set.ts";

/** A request to run one task. */
export interface TaskRequest {
  /** Template namespace. */
  namespace: string;
  /** Template name. */
  name: string;
  /** Template version; the latest registered when omitted. */
  version?: string;
  /** The task's input, validated against the template's `input_schema`. */
  context: JsonObject;
  /** Correlation id for tracing across services, a UUID; a new UUIDv7 when omitted. */
  correlation_id?: string;
  /** The correlation id (a UUID) of the request that caused this one. */
  parent_correlation_id?: string;
  /** Free-form labels, carried in every event's task row. Default `[]`. */
  tags?: string[];
  /** An integer from -100 to 100, carried in every event's task row. Default 0. */
  priority?: number;
  /** When the task was requested. Default: now. */
  requested_at?: Date | string;
  /** Who asked, e.g. a user or service name. */
  initiator?: string;
  /** The system the request came from. */
  source_system?: string;
  /** Why the task runs. */
  reason?: string;
  /**
   * Deduplicates submissions of the same template: a second task with this key is refused with
   * `DuplicateTaskError` (whatever the template's `identity_strategy`; see task_identity.ts).
   */
  idempotency_key?: string;
  /** Hold the task's first steps until this time (a Date or ISO 8601). Default: at once. */
  run_at?: Date | string;
  /** Hold the task's first steps this many milliseconds (not with `run_at`). Default 0. */
  delay_ms?: number;
}

/** What `submitTask` created. */
export interface SubmittedTask {
  /** The new task's UUID (v7). */
  task_uuid: string;
  /** Its namespace. */
  namespace: string;
  /** Its template name. */
  name: string;
  /** The template version it runs. */
  version: string;
  /** The correlation id recorded with it. */
  correlation_id: string;
  /** Steps created at submit (decision and batch outcomes add more as the task runs). */
  step_count: number;
  /** Names of the steps queued at once (those without dependencies). */
  root_steps: string[];
}

/** Thrown when a task's context fails its template's `input_schema`; lists every failure. */
export class TaskContextError extends TaskerError {
  /** Every failure, with its JSON pointer. */
  readonly failures: readonly SchemaFailure[];
  /**
   * Creates the error naming the template and every failure.
   *
   * @param template `namespace/name@version`
   * @param failures each failure of the context
   */
  constructor(template: string, failures: readonly SchemaFailure[]) {
    super(
      "E_TASK_CONTEXT_INVALID",
      `context for ${template} fails its input_schema: ${
        failures.map((f) => `${f.pointer || "(root)"} ${f.message}`).join("; ")
      }`,
    );
    this.failures = failures;
  }
}

/** `namespace/name@version` of a template, for messages. */
export function templateKey(template: TaskTemplate): string {
  return `${template.namespace_name}/${template.name}@${template.version}`;
}

/**
 * Validates and submits a task.
 *
 * @param db the database
 * @param templates where the template is looked up
 * @param request what to run
 * @throws {TemplateNotFoundError} when no such template is registered
 * @throws {TaskContextError} when the context fails the template's `input_schema`
 * @throws {UnsupportedStepError} when the template has a step that does not run yet (a
 *   `composition`)
 *
 * @example
 * ```ts ignore
 * import { submitTask } from "./submit.ts";
 * const task = await submitTask(db, templates, {
 *   namespace: "linear_workflow",
 *   name: "mathematical_sequence",
 *   context: { even_number: 6 },
 * });
 * console.log(task.task_uuid);
 * ```
 */
export async function submitTask(
  db: Database,
  templates: TemplateRegistry,
  request: TaskRequest,
): Promise<SubmittedTask> {
  const template = templates.require(request.namespace, request.name, request.version);
  // A `composition` step loads but does not run yet: refuse, never run it as plain.
  assertRunnable(template);
  const context = request.context ?? {};
  const failures = template.input_schema?.validate(context) ?? [];
  if (failures.length > 0) throw new TaskContextError(templateKey(template), failures);

  const wire = checkTaskRequestWire(templateKey(template), request);
  // The task's priority band picks its step queue (priority_queues.ts).
  const queue = stepQueueFor(template.namespace_name, wire.priority);
  await ensureQueue(db, queue);
  const identity = await taskIdentity(
    template,
    templateKey(template),
    context,
    request.idempotency_key,
  );

  const taskUuid = uuidv7();
  const correlationId = wire.correlation_id;
  const runAt = delayedStart(templateKey(template), request);
  // Steps after a decision or a batch are created when the run reaches them (step_set.ts).
  const position = new Map(template.steps.map((step, i) => [step.name, i]));
  const steps = initialStepSet(template).map((step) => ({ step, uuid: uuidv7() }));
  const roots = steps.filter(({ step }) => step.dependencies.length === 0);

  // One statement is one transaction: the task, its steps and the root messages commit
  // together, in one round trip (a transaction of four statements took five).
  const inserted = await db.query<{ inserted: boolean }>(SUBMIT_SQL, [
    taskUuid,
    template.namespace_name,
    template.name,
    template.version,
    JSON.stringify(context),
    wire.correlation_id,
    request.initiator ?? null,
    request.source_system ?? null,
    request.reason ?? null,
    steps.length,
    wire.tags,
    wire.priority,
    wire.parent_correlation_id,
    wire.requested_at.toISOString(),
    // Which template content the task's steps were made from (workers check it at claim).
    await templateHash(template),
    identity.hash,
    identity.strategy,
    identity.idempotency_key,
    runAt?.toISOString() ?? null,
    steps.map((s) => s.uuid),
    steps.map((s) => s.step.name),
    steps.map((s) => position.get(s.step.name)!),
    steps.map((s) => s.step.handler.callable),
    steps.map((s) => s.step.dependencies.length),
    steps.map((s) => (s.step.dependencies.length === 0 ? "enqueued" : "pending")),
    steps.map((s) => s.step.retry.max_attempts),
    steps.map((s) => s.step.retry.retryable),
    queue,
    roots.map((r) => JSON.stringify({ task_uuid: taskUuid, step_uuid: r.uuid })),
  ]);
  if (inserted[0]?.inserted !== true) {
    throw await duplicateTaskError(db, templateKey(template), identity);
  }

  return {
    task_uuid: taskUuid,
    namespace: template.namespace_name,
    name: template.name,
    version: template.version,
    correlation_id: correlationId,
    step_count: steps.length,
    root_steps: roots.map((r) => r.step.name),
  };
}

/**
 * Inserts the task (unless another task holds its identity: task_identity.ts), its steps, and
 * sends the root steps' messages; nothing but the task check when the identity is taken. A
 * delayed task's root messages stay invisible until `run_at`.
 */
const SUBMIT_SQL = `
  WITH task AS (
    INSERT INTO tasker.tasks
      (task_uuid, namespace, name, version, state, context, correlation_id, initiator,
       source_system, reason, step_count, tags, priority, parent_correlation_id, requested_at,
       template_hash, identity_hash, identity_strategy, idempotency_key, run_at)
    VALUES ($1, $2, $3, $4, 'in_progress', $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb, $12,
            $13::uuid, $14::timestamptz, $15, $16, $17, $18, $19::timestamptz)
    ON CONFLICT (identity_hash) DO NOTHING
    RETURNING task_uuid
  ), steps AS (
    INSERT INTO tasker.steps
      (step_uuid, task_uuid, name, position, handler_callable, pending_dependencies, state,
       max_attempts, retryable)
    SELECT s.step_uuid, task.task_uuid, s.name, s.position, s.handler_callable,
           s.pending_dependencies, s.state, s.max_attempts, s.retryable
      FROM task,
           unnest($20::uuid[], $21::text[], $22::int[], $23::text[], $24::int[], $25::text[],
                  $26::int[], $27::bool[])
             AS s(step_uuid, name, position, handler_callable, pending_dependencies, state,
                  max_attempts, retryable)
  ), sent AS (
    SELECT ${
  sendBatchAtCall("$28::text", "$29::jsonb[]", "coalesce($19::timestamptz, clock_timestamp())")
}
      FROM task
  )
  SELECT EXISTS (SELECT 1 FROM task) AS inserted, (SELECT count(*) FROM sent) AS sent`;
