/**
 * Batch processing: the outcome a `batchable` step's handler returns (Tasker's
 * `batch_processing_outcome`), the helpers that build it, the check that turns an invalid one
 * into a clear non-retryable failure of the batchable step, and what each batch worker gets as
 * its input (Tasker's `BatchWorkerInputs`).
 *
 * @module
 */

import type { StepTemplate, TaskTemplate } from "../template/types.ts";
import { failure, type StepFailure, type StepSuccess } from "./step_handler.ts";
import type { BatchWorkerInputs, CursorConfig } from "./batch_inputs.ts";

export type { BatchWorkerInputs, CursorConfig } from "./batch_inputs.ts";

/** Tasker's batch outcome: the batches to create, or none. */
export type BatchProcessingOutcome =
  | {
    type: "create_batches";
    worker_template_name: string;
    worker_count: number;
    cursor_configs: CursorConfig[];
    total_items: number;
  }
  | { type: "no_batches" };

/** At most this many batches from one batchable step. */
export const MAX_BATCHES = 1000;

/**
 * `workerCount` cursor ranges over `totalItems` items, `ceil(total / count)` each, batch ids
 * `"001"`, `"002"`, … (Tasker's `createCursorConfigs`).
 *
 * @example
 * ```ts
 * import { createCursorConfigs } from "@deno-tasker/tasker";
 * createCursorConfigs(1000, 3).map((c) => c.batch_size); // [334, 334, 332]
 * ```
 */
export function createCursorConfigs(totalItems: number, workerCount: number): CursorConfig[] {
  if (totalItems <= 0 || workerCount <= 0) return [];
  const per = Math.ceil(totalItems / workerCount);
  const configs: CursorConfig[] = [];
  for (let start = 0, i = 1; start < totalItems; start += per, i++) {
    const end = Math.min(start + per, totalItems);
    configs.push({
      batch_id: String(i).padStart(3, "0"),
      start_cursor: start,
      end_cursor: end,
      batch_size: end - start,
    });
  }
  return configs;
}

/**
 * A batchable step's success that creates one worker of `workerTemplateName` per cursor config
 * (Tasker's `batchSuccess`); `metadata` is spread into `result` too, as Tasker does.
 *
 * @example
 * ```ts
 * import { batchSuccess, createCursorConfigs } from "@deno-tasker/tasker";
 * const result = batchSuccess("process_batch", createCursorConfigs(5000, 5));
 * ```
 */
export function batchSuccess(
  workerTemplateName: string,
  configs: readonly CursorConfig[],
  metadata: Record<string, unknown> = {},
): StepSuccess {
  const total = configs.reduce((sum, c) => sum + c.batch_size, 0);
  return {
    success: true,
    result: {
      batch_processing_outcome: {
        type: "create_batches",
        worker_template_name: workerTemplateName,
        worker_count: configs.length,
        cursor_configs: [...configs],
        total_items: total,
      },
      worker_count: configs.length,
      ...metadata,
    },
    metadata,
  };
}

/**
 * A batchable step's success that creates no batch (Tasker's `noBatchesResult`); the engine
 * creates the placeholder worker `{template}_000` when the step's `initialization` names
 * `worker_template_name`.
 *
 * @example
 * ```ts
 * import { noBatchesResult } from "@deno-tasker/tasker";
 * const result = noBatchesResult("dataset_too_small", { dataset_size: 50 });
 * ```
 */
export function noBatchesResult(
  reason?: string,
  metadata: Record<string, unknown> = {},
): StepSuccess {
  const result: Record<string, unknown> = { batch_processing_outcome: { type: "no_batches" } };
  if (reason !== undefined) result.reason = reason;
  return { success: true, result: { ...result, ...metadata }, metadata };
}

function invalid(step: string, why: string): StepFailure {
  return failure(`batchable step ${step} returned an invalid batch_processing_outcome: ${why}`, {
    errorType: "InvalidBatchOutcome",
    retryable: false,
  });
}

/** The batches a checked outcome creates (none: `no_batches` without a worker template). */
export interface BatchPlan {
  /** The `batch_worker` template. */
  worker: StepTemplate;
  /** Each worker's input, in batch order. */
  inputs: BatchWorkerInputs[];
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

function workerTemplate(
  template: TaskTemplate,
  step: StepTemplate,
  name: unknown,
  where: string,
): StepTemplate | StepFailure {
  const worker = typeof name === "string" ? template.steps.find((s) => s.name === name) : undefined;
  if (!worker) {
    return invalid(step.name, `${where} ${JSON.stringify(name)} is not a step of the template`);
  }
  if (worker.type !== "batch_worker" || !worker.batch_config) {
    return invalid(
      step.name,
      `${where} ${JSON.stringify(name)} is not a batch_worker step with a batch_config`,
    );
  }
  return worker;
}

function inputsFor(worker: StepTemplate, cursor: CursorConfig, noOp: boolean): BatchWorkerInputs {
  return {
    cursor,
    batch_metadata: {
      cursor_field: worker.batch_config!.cursor_field,
      failure_strategy: worker.batch_config!.failure_strategy,
    },
    is_no_op: noOp,
    __template_step_name: worker.name,
  };
}

/**
 * Reads and checks a batchable step's successful result.
 *
 * @returns the workers to create (`plan` absent for `no_batches` when the step's
 *   `initialization` names no `worker_template_name`), or the non-retryable failure of type
 *   `InvalidBatchOutcome` that stands for the result
 */
export function readBatchOutcome(
  template: TaskTemplate,
  step: StepTemplate,
  result: StepSuccess,
): { plan?: BatchPlan } | { failure: StepFailure } {
  const body = result.result;
  const outcome = typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>).batch_processing_outcome
    : undefined;
  if (typeof outcome !== "object" || outcome === null || Array.isArray(outcome)) {
    return {
      failure: invalid(
        step.name,
        "the result has no batch_processing_outcome object (return batchSuccess(...) or noBatchesResult(...))",
      ),
    };
  }
  const o = outcome as Record<string, unknown>;
  if (o.type === "no_batches") {
    const name = step.handler.initialization.worker_template_name;
    if (name === undefined) return {};
    const worker = workerTemplate(template, step, name, "initialization.worker_template_name");
    if ("success" in worker) return { failure: worker };
    const placeholder = { batch_id: "000", start_cursor: 0, end_cursor: 0, batch_size: 0 };
    return { plan: { worker, inputs: [inputsFor(worker, placeholder, true)] } };
  }
  if (o.type !== "create_batches") {
    return {
      failure: invalid(
        step.name,
        `type is ${JSON.stringify(o.type)}; expected "create_batches" or "no_batches"`,
      ),
    };
  }
  const worker = workerTemplate(template, step, o.worker_template_name, "worker_template_name");
  if ("success" in worker) return { failure: worker };
  const configs = o.cursor_configs;
  if (!Array.isArray(configs) || configs.length === 0) {
    return { failure: invalid(step.name, "cursor_configs must be a non-empty array") };
  }
  if (configs.length > MAX_BATCHES) {
    return {
      failure: invalid(step.name, `${configs.length} batches; at most ${MAX_BATCHES}`),
    };
  }
  const seen = new Set<string>();
  const inputs: BatchWorkerInputs[] = [];
  for (const [i, config] of configs.entries()) {
    const c = config as Record<string, unknown>;
    if (typeof c !== "object" || c === null || typeof c.batch_id !== "string") {
      return { failure: invalid(step.name, `cursor_configs[${i}] has no string batch_id`) };
    }
    if (!BATCH_ID.test(c.batch_id)) {
      return {
        failure: invalid(
          step.name,
          `cursor_configs[${i}].batch_id ${
            JSON.stringify(c.batch_id)
          } must be 1-64 letters, digits, _ or -`,
        ),
      };
    }
    if (seen.has(c.batch_id)) {
      return {
        failure: invalid(step.name, `batch_id ${JSON.stringify(c.batch_id)} appears twice`),
      };
    }
    seen.add(c.batch_id);
    if (!("start_cursor" in c) || !("end_cursor" in c)) {
      return {
        failure: invalid(step.name, `cursor_configs[${i}] needs start_cursor and end_cursor`),
      };
    }
    const size = c.batch_size;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
      return {
        failure: invalid(step.name, `cursor_configs[${i}].batch_size must be an integer >= 0`),
      };
    }
    const cursor: CursorConfig = {
      batch_id: c.batch_id,
      start_cursor: c.start_cursor,
      end_cursor: c.end_cursor,
      batch_size: size,
    };
    inputs.push(inputsFor(worker, cursor, false));
  }
  return { plan: { worker, inputs } };
}

/** A batch worker's step name: `{template}_{batch_id}`, as Tasker names it. */
export function batchWorkerName(inputs: BatchWorkerInputs): string {
  return `${inputs.__template_step_name}_${inputs.cursor.batch_id}`;
}

/**
 * The input of a batch worker, when `inputs` (a step's `ctx.inputs`) is one.
 */
export function asBatchInputs(inputs: Record<string, unknown>): BatchWorkerInputs | null {
  const cursor = inputs.cursor as Record<string, unknown> | undefined;
  if (typeof cursor !== "object" || cursor === null || typeof cursor.batch_id !== "string") {
    return null;
  }
  return inputs as unknown as BatchWorkerInputs;
}
