/**
 * From a finished attempt to what the committer records: the failure written for a step claimed
 * to be settled rather than run (its attempts used up, or its template nowhere to be found), and
 * the outcome record — successors, dynamic steps, retry delay, and the events the outcome fires,
 * prepared inside the recording transaction from the step row as written.
 *
 * @module
 */

import type { TemplateRegistry } from "../template/registry.ts";
import { domainEventsQueue } from "../names.ts";
import { retryDelayMs } from "./backoff.ts";
import { batchRole, withBatchWorkers } from "./dynamic_steps.ts";
import type { EventPipeline } from "./event_pipeline.ts";
import { findStep, type StepExecution } from "./step_execution.ts";
import type { StepOutcomeRecord } from "./outcome_record.ts";
import type { ClaimedStep } from "./step_store.ts";
import { failure, type StepResult } from "./step_handler.ts";

/** An attempt ready to record; template parts are absent for a step settled without one. */
export type Attempt = Omit<StepExecution, "stepTemplate" | "graph"> & Partial<StepExecution>;

/**
 * The failure recorded for a step claimed to be settled rather than run.
 *
 * @example
 * ```ts ignore
 * const attempt = settlement(claim, templates, 600);
 * ```
 */
export function settlement(
  claim: ClaimedStep,
  templates: TemplateRegistry,
  foreignTimeoutSeconds: number,
): Attempt {
  const { step, task } = claim;
  let result: StepResult;
  if (claim.settle === "exhausted") {
    result = failure(
      `attempt ${step.attempts} of ${step.max_attempts} did not finish: the worker running it stopped renewing its claim (lease expired), and no attempts are left`,
      { errorType: "AttemptsExhausted", retryable: false },
    );
  } else {
    result = failure(
      `no worker ran this step for ${foreignTimeoutSeconds} s: every worker that saw it lacks template ${task.namespace}/${task.name}@${task.version} with content ${
        claim.template_hash?.slice(0, 12)
      }`,
      { errorType: "TemplateUnavailable", retryable: false },
    );
  }
  try {
    return { ...findStep(claim, templates), result, elapsed: 0 };
  } catch {
    return { result, elapsed: 0 }; // no template here: no successors, no declared events
  }
}

/**
 * What the committer records for `run`, the attempt of `claim`.
 *
 * @param pipeline prepares the declared events (pure; runs inside the transaction)
 * @param random the jitter source of retry delays
 *
 * @example
 * ```ts ignore
 * const record = outcomeRecord(claim, run, pipeline, Math.random);
 * ```
 */
export function outcomeRecord(
  claim: ClaimedStep,
  run: Attempt,
  pipeline: EventPipeline,
  random: () => number,
): StepOutcomeRecord {
  const { stepTemplate, graph } = run;
  const trace = run.trace;
  const durable = stepTemplate?.publishes_events.some((d) => d.delivery_mode !== "fast");
  return {
    claim,
    ...(durable ? { eventQueue: domainEventsQueue(claim.task.namespace) } : {}),
    successors: stepTemplate && graph ? graph.successors.get(stepTemplate.name) ?? [] : [],
    result: run.result,
    dynamic: {
      ...(run.expansion ? { expansion: run.expansion } : {}),
      ...(claim.batch_of ? { batch: batchRole(claim, stepTemplate) } : {}),
    },
    retryDelayMs: (attempts) =>
      stepTemplate ? retryDelayMs(stepTemplate.retry, attempts, random) : 0,
    prepareEvents: (step, result) =>
      stepTemplate
        ? pipeline.prepare({
          declarations: stepTemplate.publishes_events,
          task: claim.task,
          step,
          result,
          metadata: trace?.eventMetadata,
          stepTemplate,
          ancestors: withBatchWorkers(claim, graph?.ancestors.get(stepTemplate.name)),
          completed: claim.completed_steps,
        })
        : [],
  };
}
