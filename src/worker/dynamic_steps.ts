/**
 * Dynamic steps at run time, inside the transaction that records the outcomes that cause them:
 * a decision's branches, a batchable step's workers, the convergence steps that join them and
 * the steps after those (which steps: `step_set.ts`). Because the rows and their queue messages
 * commit with the outcome, a worker killed right after the commit loses nothing: the next worker
 * finds the new steps in the queue.
 *
 * Each created row records what it waits for (`waits_for`): the declared dependencies that exist
 * and are not yet complete — for a convergence step exactly the branches or batch workers
 * created — and its `pending_dependencies` counter starts at their number. Batch workers beyond
 * their template's `batch_config.parallelism` are created `pending` and released one by one as
 * workers of the same batch finish ({@link refillBatches}).
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { sendBatchVisibleNow } from "../durable/pgmq/statements.ts";
import type { BatchFailureStrategy, StepTemplate, TaskTemplate } from "../template/types.ts";
import { uuidv7 } from "../events/uuid.ts";
import { type BatchPlan, batchWorkerName, readBatchOutcome } from "./batches.ts";
import { readDecisionOutcome } from "./decisions.ts";
import { batchCreates, decisionCreates } from "./step_set.ts";
import type { ClaimedStep, StepState } from "./step_store.ts";
import type { StepResult } from "./step_handler.ts";

/** What a recorded outcome creates. */
export type Expansion =
  | { kind: "decision"; template: TaskTemplate; requested: string[] }
  | { kind: "batch"; template: TaskTemplate; plan: BatchPlan };

/** What the outcome of a dynamic step means for the engine, beyond the step itself. */
export interface DynamicOutcome {
  /** Steps the outcome creates when it is recorded as complete. */
  expansion?: Expansion;
  /** Set on a batch worker: its batch's budget and failure strategy. */
  batch?: {
    /** The batchable step that created it. */
    batch_of: string;
    /** Workers of that batch that may be queued at once. */
    parallelism: number;
    /** What a permanent failure of this worker does to the rest. */
    failure_strategy: BatchFailureStrategy;
  };
}

/** States that satisfy a dependency (`resolved_manually` is an operator's completion). */
const SATISFIED = new Set<string>(["complete", "resolved_manually"]);

/**
 * Checks a decision's or batchable step's successful result and plans what it creates; any other
 * result passes unchanged. An invalid outcome becomes the non-retryable failure that stands for
 * it, so the step fails instead of the outcome being dropped.
 *
 * @example
 * ```ts ignore
 * const { result, expansion } = planDynamic(template, stepTemplate, handlerResult);
 * ```
 */
export function planDynamic(
  template: TaskTemplate,
  step: StepTemplate,
  result: StepResult,
): { result: StepResult; expansion?: Expansion } {
  if (!result.success) return { result };
  if (step.type === "decision") {
    const read = readDecisionOutcome(template, step, result);
    if ("failure" in read) return { result: read.failure };
    return { result, expansion: { kind: "decision", template, requested: read.requested } };
  }
  if (step.type === "batchable") {
    const read = readBatchOutcome(template, step, result);
    if ("failure" in read) return { result: read.failure };
    return read.plan ? { result, expansion: { kind: "batch", template, plan: read.plan } } : {
      result,
    };
  }
  return { result };
}

/** The batch part of a claimed batch worker's outcome, when it is one. */
export function batchRole(
  claim: ClaimedStep,
  step: StepTemplate | undefined,
): DynamicOutcome["batch"] {
  if (!claim.batch_of || !step?.batch_config) return undefined;
  return {
    batch_of: claim.batch_of,
    parallelism: step.batch_config.parallelism,
    failure_strategy: step.batch_config.failure_strategy,
  };
}

/**
 * A step's ancestors with the batch workers among them: a worker `process_batch_001` is an
 * ancestor through its template step `process_batch` (for the `dependency_results` of events).
 */
export function withBatchWorkers(
  claim: ClaimedStep,
  ancestors: ReadonlySet<string> | undefined,
): Iterable<string> | undefined {
  const workers = Object.entries(claim.completed_templates ?? {});
  if (!ancestors || workers.length === 0) return ancestors;
  const all = new Set(ancestors);
  for (const [name, templateStep] of workers) if (ancestors.has(templateStep)) all.add(name);
  return all;
}

/** One recorded outcome, as {@link applyDynamicOutcomes} needs it. */
export interface DynamicItem {
  /** The claim it was recorded for. */
  claim: ClaimedStep;
  /** The state recorded. */
  state: StepState;
  /** Its dynamic part. */
  dynamic?: DynamicOutcome;
}

interface NewRow {
  uuid: string;
  name: string;
  position: number;
  step: StepTemplate;
  waits: string[];
  inputs: unknown;
  batchOf: string | null;
  templateStep: string | null;
}

/**
 * Creates the steps of every complete outcome with an expansion, queues those with nothing to
 * wait for, grows the tasks' step counts, and releases further batch workers where workers
 * finished.
 *
 * @returns the names of the steps queued, by the step whose outcome queued them
 */
export async function applyDynamicOutcomes(
  tx: Queryable,
  items: readonly DynamicItem[],
): Promise<Map<string, string[]>> {
  const queued = new Map<string, string[]>();
  const note = (by: string, names: string[]) => {
    if (names.length > 0) queued.set(by, [...(queued.get(by) ?? []), ...names]);
  };
  for (const item of items) {
    const expansion = item.dynamic?.expansion;
    if (item.state !== "complete" || !expansion) continue;
    note(item.claim.step.step_uuid, await createExpansion(tx, originOf(item.claim), expansion));
  }
  const refills = new Map<
    string,
    { item: DynamicItem; batch: NonNullable<DynamicOutcome["batch"]> }
  >();
  for (const item of items) {
    const batch = item.dynamic?.batch;
    if (!batch || (item.state !== "complete" && item.state !== "error")) continue;
    refills.set(batch.batch_of, { item, batch });
  }
  for (const [batchOf, { item, batch }] of refills) {
    note(
      item.claim.step.step_uuid,
      await refillBatches(
        tx,
        originOf(item.claim),
        batchOf,
        batch.parallelism,
        batch.failure_strategy === "fail_fast",
      ),
    );
  }
  return queued;
}

/** The step whose outcome creates steps, and the queue its task's steps are sent to. */
export interface ExpansionOrigin {
  /** Its task. */
  task_uuid: string;
  /** The decision or batchable step (batch workers record it as their `batch_of`). */
  step_uuid: string;
  /** Its name. */
  step_name: string;
  /** The step queue of its task's priority band. */
  queue: string;
}

function originOf(claim: ClaimedStep): ExpansionOrigin {
  return {
    task_uuid: claim.task.task_uuid,
    step_uuid: claim.step.step_uuid,
    step_name: claim.step.name,
    queue: claim.source.queue,
  };
}

/**
 * Creates the steps an expansion plans — a decision's branches or a batchable step's workers,
 * with the convergence steps that join them — queues those with nothing to wait for and grows
 * the task's step count. Call it in the transaction that records `origin` as complete, after
 * its row says so (a created step does not wait for it). The worker calls it for a handler's
 * outcome; an operator's `complete_manually` for the result given (task_actions.ts).
 *
 * @returns the names of the steps queued
 *
 * @example
 * ```ts ignore
 * const queued = await createExpansion(tx, origin, { kind: "decision", template, requested });
 * ```
 */
export async function createExpansion(
  tx: Queryable,
  origin: ExpansionOrigin,
  expansion: Expansion,
): Promise<string[]> {
  const taskUuid = origin.task_uuid;
  const existing = await tx.query<
    { name: string; template_step: string; state: string; batch_of: string | null }
  >(
    `SELECT name, coalesce(template_step, name) AS template_step, state,
            batch_of::text AS batch_of
       FROM tasker.steps WHERE task_uuid = $1::uuid`,
    [taskUuid],
  );
  const { template } = expansion;
  const templateNames = new Set(existing.map((row) => row.template_step));
  const stateOf = new Map(existing.map((row) => [row.name, row.state]));
  const instances = new Map<string, string[]>();
  const addInstance = (templateStep: string, name: string) =>
    instances.set(templateStep, [...(instances.get(templateStep) ?? []), name]);
  for (const row of existing) {
    if (row.template_step !== row.name) addInstance(row.template_step, row.name);
  }
  const position = new Map(template.steps.map((s, i) => [s.name, i]));
  const rows: NewRow[] = [];
  let plain: StepTemplate[];
  if (expansion.kind === "decision") {
    plain = decisionCreates(template, origin.step_name, expansion.requested, templateNames);
  } else {
    // Replays create nothing: this batchable step has made its workers already.
    if (existing.some((row) => row.batch_of === origin.step_uuid)) return [];
    const { worker, inputs } = expansion.plan;
    for (const input of inputs) {
      const name = batchWorkerName(input);
      if (stateOf.has(name)) continue;
      rows.push({
        uuid: uuidv7(),
        name,
        position: position.get(worker.name)!,
        step: worker,
        waits: [],
        inputs: input,
        batchOf: origin.step_uuid,
        templateStep: worker.name,
      });
      addInstance(worker.name, name);
    }
    plain = batchCreates(template, worker.name, templateNames);
  }
  const creating = new Set(plain.map((s) => s.name));
  for (const step of plain) {
    const waits: string[] = [];
    for (const dependency of step.dependencies) {
      const made = instances.get(dependency);
      if (made) {
        waits.push(...made.filter((n) => !SATISFIED.has(stateOf.get(n) ?? "pending")));
      } else if (creating.has(dependency)) waits.push(dependency);
      else if (stateOf.has(dependency) && !SATISFIED.has(stateOf.get(dependency)!)) {
        waits.push(dependency);
      } // else: a dependency that was not created (an unrouted branch) is not waited for
    }
    rows.push({
      uuid: uuidv7(),
      name: step.name,
      position: position.get(step.name)!,
      step,
      waits,
      inputs: null,
      batchOf: null,
      templateStep: null,
    });
  }
  if (rows.length === 0) return [];
  // Each row's waits travel as a JSON array: unnest cannot take an array of arrays.
  const inserted = await tx.query<{ step_uuid: string; name: string; state: string }>(
    `INSERT INTO tasker.steps
       (step_uuid, task_uuid, name, position, handler_callable, pending_dependencies, state,
        max_attempts, retryable, template_step, inputs, waits_for, batch_of)
     SELECT r.step_uuid, $1::uuid, r.name, r.position, r.handler_callable,
            cardinality(wl.waits), r.state, r.max_attempts, r.retryable, r.template_step,
            r.inputs, wl.waits, r.batch_of
       FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[],
                   $8::bool[], $9::text[], $10::jsonb[], $11::jsonb[], $12::uuid[])
         AS r(step_uuid, name, position, handler_callable, state, max_attempts, retryable,
              template_step, inputs, waits_json, batch_of)
       CROSS JOIN LATERAL (SELECT coalesce(array_agg(w), '{}'::text[]) AS waits
                             FROM jsonb_array_elements_text(r.waits_json) w) wl
     ON CONFLICT (task_uuid, name) DO NOTHING
     RETURNING step_uuid::text AS step_uuid, name, state`,
    [
      taskUuid,
      rows.map((r) => r.uuid),
      rows.map((r) => r.name),
      rows.map((r) => r.position),
      rows.map((r) => r.step.handler.callable),
      rows.map((r) => (r.batchOf === null && r.waits.length === 0 ? "enqueued" : "pending")),
      rows.map((r) => r.step.retry.max_attempts),
      rows.map((r) => r.step.retry.retryable),
      rows.map((r) => r.templateStep),
      rows.map((r) => (r.inputs === null ? null : JSON.stringify(r.inputs))),
      rows.map((r) => JSON.stringify(r.waits)),
      rows.map((r) => r.batchOf),
    ],
  );
  await tx.query(
    `UPDATE tasker.tasks SET step_count = step_count + $2, updated_at = now()
      WHERE task_uuid = $1::uuid`,
    [taskUuid, inserted.length],
  );
  const ready = inserted.filter((row) => row.state === "enqueued");
  await send(tx, origin, ready);
  const names = ready.map((row) => row.name);
  if (expansion.kind === "batch") {
    const worker = expansion.plan.worker;
    names.push(
      ...await refillBatches(
        tx,
        origin,
        origin.step_uuid,
        worker.batch_config!.parallelism,
        false,
      ),
    );
  }
  return names;
}

/** Queues `steps` in their task's queue, visible at once. */
async function send(
  tx: Queryable,
  origin: ExpansionOrigin,
  steps: readonly { step_uuid: string }[],
): Promise<void> {
  await sendBatchVisibleNow(
    tx,
    origin.queue,
    steps.map((s) => ({ task_uuid: origin.task_uuid, step_uuid: s.step_uuid })),
  );
}

/**
 * Queues the next pending workers of batch `batchOf`, so that at most `parallelism` of its
 * workers are queued, running or waiting for a retry at once (a failing worker keeps its slot
 * until it completes or fails for good). With `failFast`, a batch that has a worker failed for good
 * starts no further worker (`failure_strategy: fail_fast`).
 *
 * @returns the names of the workers queued
 */
export async function refillBatches(
  tx: Queryable,
  origin: ExpansionOrigin,
  batchOf: string,
  parallelism: number,
  failFast: boolean,
): Promise<string[]> {
  const rows = await nextBatchWorkers(tx, batchOf, parallelism, failFast);
  await send(tx, origin, rows);
  return rows.map((row) => row.name).sort();
}

/**
 * Marks the next pending workers of batch `batchOf` enqueued, as {@link refillBatches} does,
 * without sending their messages (the caller sends them to its task's queue).
 *
 * @returns the workers now enqueued
 */
export function nextBatchWorkers(
  tx: Queryable,
  batchOf: string,
  parallelism: number,
  failFast: boolean,
): Promise<{ step_uuid: string; name: string }[]> {
  return tx.query<{ step_uuid: string; name: string }>(
    `WITH busy AS (
       SELECT count(*)::int AS n FROM tasker.steps
        WHERE batch_of = $1::uuid AND state IN ('enqueued', 'in_progress', 'waiting_for_retry')
     ), next AS (
       SELECT step_uuid FROM tasker.steps
        WHERE batch_of = $1::uuid AND state = 'pending' AND pending_dependencies = 0
          AND NOT ($3::bool AND EXISTS (SELECT 1 FROM tasker.steps f
                                         WHERE f.batch_of = $1::uuid AND f.state = 'error'))
        ORDER BY position, name
        LIMIT greatest($2::int - (SELECT n FROM busy), 0)
     )
     UPDATE tasker.steps s SET state = 'enqueued', updated_at = now()
       FROM next WHERE s.step_uuid = next.step_uuid
     RETURNING s.step_uuid::text AS step_uuid, s.name`,
    [batchOf, parallelism, failFast],
  );
}
