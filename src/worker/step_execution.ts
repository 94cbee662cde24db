/**
 * One attempt of one claimed step, up to its result: find the step in its template, build the
 * handler's context (results of all ancestors, the YAML `initialization`, the step's own input and
 * checkpoint, the shutdown signal), run the handler under its `timeout_seconds` (inside a trace
 * span when tracing is on) — again after each checkpoint yield, same attempt — and make sure the
 * result is something the database can store; a decision's or batchable step's outcome is checked
 * and planned here (`dynamic_steps.ts`).
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import { checkResultSchema } from "./result_schema.ts";
import type { StepTemplate, TaskTemplate } from "../template/types.ts";
import { yieldOf } from "./checkpoints.ts";
import type { CheckpointRecord } from "./checkpoint_record.ts";
import { type Expansion, planDynamic } from "./dynamic_steps.ts";
import { buildStepContext, type DomainEventSink, runHandler } from "./context.ts";
import { type StepGraph, stepGraph } from "./graph.ts";
import type { HandlerRegistry } from "./handler_registry.ts";
import type { ClaimedStep } from "./step_store.ts";
import type { StepTrace, StepTracer } from "./step_tracer.ts";
import { failure, type StepResult } from "./step_handler.ts";
import { jsonbProblem } from "./storable.ts";
import { WorkerConfigError } from "./worker_errors.ts";

/** What an attempt needs from its worker. */
export interface StepExecutionEnv {
  /** Where the claim's template is found. */
  templates: TemplateRegistry;
  /** Where the step's handler is found. */
  handlers: HandlerRegistry;
  /**
   * Where the handler's `ctx.publishDomainEvent` calls go: the worker's ad-hoc publisher.
   * Without it they are dropped with a debug line (see `buildStepContext`).
   */
  publish?: DomainEventSink;
  /** The worker's shutdown signal, chained into the handler's. */
  signal: AbortSignal;
  /** The tracing hook, when tracing is on. */
  tracer?: StepTracer;
  /**
   * Stores a checkpoint the handler yielded and extends the claim's lease; resolves to the
   * stored checkpoint, or undefined when the claim is no longer held. Without it a yield is a
   * failure.
   */
  saveCheckpoint?: (saved: NonNullable<ReturnType<typeof yieldOf>>) => Promise<
    CheckpointRecord | undefined
  >;
}

/** A finished attempt, ready to be recorded. */
export interface StepExecution {
  /** The step's template. */
  stepTemplate: StepTemplate;
  /** Its template's dependency graph. */
  graph: StepGraph;
  /** The handler's result, or the failure that stands for it. */
  result: StepResult;
  /** Time in the handler, ms. */
  elapsed: number;
  /** The attempt's trace, when tracing is on (ended by the worker after routing). */
  trace?: StepTrace;
  /** Steps a decision's or batchable step's outcome creates when it is recorded. */
  expansion?: Expansion;
}

/**
 * The claimed step's template and its task template's dependency graph.
 *
 * @throws {TemplateNotFoundError | WorkerConfigError} when this worker does not know the claim's
 *   template or step
 *
 * @example
 * ```ts ignore
 * const { stepTemplate, graph } = findStep(claim, templates);
 * ```
 */
export function findStep(
  claim: ClaimedStep,
  templates: TemplateRegistry,
): { stepTemplate: StepTemplate; graph: StepGraph; template: TaskTemplate } {
  const { namespace, name, version } = claim.task;
  const template = templates.require(namespace, name, version);
  // A batch worker `process_batch_001` runs template step `process_batch`.
  const templateStep = claim.template_step ?? claim.step.name;
  const stepTemplate = template.steps.find((s) => s.name === templateStep);
  if (!stepTemplate) {
    throw new WorkerConfigError(
      `template ${namespace}/${name}@${version} has no step ${templateStep}`,
    );
  }
  return { stepTemplate, graph: stepGraph(template), template };
}

/**
 * Runs one claimed step's handler.
 *
 * @throws {TemplateNotFoundError | WorkerConfigError} when the claim's template or step is not
 *   known to this worker (the message then becomes visible again for a worker that knows it)
 *
 * @example
 * ```ts ignore
 * const { result } = await executeStep(claim, { templates, handlers, signal });
 * ```
 */
export async function executeStep(
  claim: ClaimedStep,
  env: StepExecutionEnv,
): Promise<StepExecution> {
  const trace = env.tracer?.startStep(claim);
  let current = claim;
  let elapsed = 0;
  // A yield saves its checkpoint, extends the lease and runs the handler again at once: same
  // claim, same attempt. Only a success or a failure ends the attempt.
  for (;;) {
    const execution = await executeOnce(current, env, trace);
    elapsed += execution.elapsed;
    const saved = yieldOf(execution.result);
    if (!saved) return { ...execution, elapsed };
    let stored: CheckpointRecord | undefined;
    try {
      if (!env.saveCheckpoint) throw new Error("this runner cannot store checkpoints");
      stored = await env.saveCheckpoint(saved);
    } catch (error) {
      const why = errorMessage(error);
      return {
        ...execution,
        elapsed,
        result: failure(`Checkpoint yield failed: ${why}`, {
          errorType: "checkpoint_error",
          retryable: true,
        }),
      };
    }
    if (stored === undefined || env.signal.aborted) {
      // The claim is gone, or the worker is stopping: the checkpoint (if stored) stays for the
      // next attempt, this one ends here without an outcome of its own.
      return {
        ...execution,
        elapsed,
        result: failure(
          stored === undefined
            ? `step ${claim.step.name} yielded but its claim is no longer held`
            : `step ${claim.step.name} yielded while the worker is stopping`,
          { errorType: "checkpoint_interrupted", retryable: true },
        ),
      };
    }
    current = { ...current, checkpoint: stored };
  }
}

/** One run of the handler (a yielding step has several per attempt). */
async function executeOnce(
  claim: ClaimedStep,
  env: StepExecutionEnv,
  trace: StepTrace | undefined,
): Promise<StepExecution> {
  const { stepTemplate, graph, template } = findStep(claim, env.templates);
  const dependencyResults: Record<string, unknown> = {};
  const ancestors = graph.ancestors.get(stepTemplate.name) ?? new Set<string>();
  for (const ancestor of ancestors) {
    dependencyResults[ancestor] = claim.completed_results[ancestor];
  }
  // Batch workers are ancestors through their template step: each one's result, by its name.
  const batchWorkers: Record<string, string[]> = {};
  for (const [name, templateStep] of Object.entries(claim.completed_templates ?? {})) {
    if (!ancestors.has(templateStep)) continue;
    dependencyResults[name] = claim.completed_results[name];
    (batchWorkers[templateStep] ??= []).push(name);
  }
  for (const names of Object.values(batchWorkers)) names.sort();
  const ctx = buildStepContext({
    task: claim.task,
    step: {
      step_uuid: claim.step.step_uuid,
      name: claim.step.name,
      attempts: claim.step.attempts,
      max_attempts: claim.step.max_attempts,
      retryable: claim.step.retryable,
    },
    initialization: stepTemplate.handler.initialization,
    dependencyResults,
    signal: env.signal,
    publish: env.publish,
    inputs: claim.inputs ?? {},
    checkpoint: claim.checkpoint ?? null,
    batchWorkers,
  });
  const started = performance.now();
  let result: StepResult;
  let expansion: Expansion | undefined;
  try {
    const { callable, method } = stepTemplate.handler;
    const handler = env.handlers.resolve(callable, method);
    const timeoutMs = stepTemplate.timeout_seconds === undefined
      ? undefined
      : stepTemplate.timeout_seconds * 1000;
    const run = () => runHandler(handler, ctx, timeoutMs === undefined ? {} : { timeoutMs });
    const returned = storable(await (trace ? trace.run(run) : run()));
    if (yieldOf(returned)) result = returned;
    else {
      // A result failing the step's result_schema is a non-retryable InvalidStepResult failure;
      // an invalid decision or batch outcome fails the step the same way.
      const planned = planDynamic(
        template,
        stepTemplate,
        checkResultSchema(stepTemplate, returned),
      );
      result = planned.result;
      expansion = planned.expansion;
    }
  } catch (error) {
    result = failure(errorMessage(error), {
      errorType: error instanceof Error ? error.name : "Error",
      retryable: false,
    });
  }
  const execution: StepExecution = {
    stepTemplate,
    graph,
    result,
    elapsed: performance.now() - started,
  };
  if (expansion) execution.expansion = expansion;
  if (trace) execution.trace = trace;
  return execution;
}

/**
 * A result the database can store: a result, failure or metadata that `jsonb` would reject (a
 * BigInt, a cycle, a NUL character, a lone surrogate) becomes a non-retryable failure naming the
 * offending value's path, so that it fails this step alone instead of its whole commit group.
 */
export function storable(result: StepResult): StepResult {
  const problem = result.success
    ? jsonbProblem(result.result ?? null, "result") ?? jsonbProblem(result.metadata, "metadata")
    : jsonbProblem(result.error, "error") ?? jsonbProblem(result.metadata, "metadata");
  if (!problem) return result;
  return failure(
    `the step's outcome cannot be stored in PostgreSQL's jsonb: ${problem.path} holds ${problem.reason}`,
    { errorType: "InvalidStepResult", retryable: false },
  );
}
