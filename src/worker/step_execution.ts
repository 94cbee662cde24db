/**
 * One attempt of one claimed step, up to its result: find the step in its template, build the
 * handler's context (results of all ancestors, the YAML `initialization`, the shutdown signal),
 * run the handler under its `timeout_seconds` (inside a trace span when tracing is on), and make
 * sure the result is something the database can store.
 *
 * @module
 */

import type { TemplateRegistry } from "../template/registry.ts";
import type { StepTemplate } from "../template/types.ts";
import { buildStepContext, runHandler } from "./context.ts";
import { type StepGraph, stepGraph } from "./graph.ts";
import type { HandlerRegistry } from "./handler_registry.ts";
import type { ClaimedStep } from "./step_store.ts";
import type { StepTrace, StepTracer } from "./step_tracer.ts";
import { failure, type StepResult } from "./types.ts";
import { WorkerConfigError } from "./worker_errors.ts";

/** What an attempt needs from its worker. */
export interface StepExecutionEnv {
  /** Where the claim's template is found. */
  templates: TemplateRegistry;
  /** Where the step's handler is found; also the ad-hoc event publisher. */
  handlers: HandlerRegistry;
  /** The worker's shutdown signal, chained into the handler's. */
  signal: AbortSignal;
  /** The tracing hook, when tracing is on. */
  tracer?: StepTracer;
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
  const template = env.templates.require(claim.task.namespace, claim.task.name, claim.task.version);
  const stepTemplate = template.steps.find((s) => s.name === claim.step.name);
  if (!stepTemplate) throw new WorkerConfigError(`template has no step ${claim.step.name}`);
  const graph = stepGraph(template);
  const dependencyResults: Record<string, unknown> = {};
  for (const ancestor of graph.ancestors.get(stepTemplate.name) ?? []) {
    dependencyResults[ancestor] = claim.completed_results[ancestor];
  }
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
    publish: env.handlers.publishDomainEvent,
  });
  const trace = env.tracer?.startStep(claim);
  const started = performance.now();
  let result: StepResult;
  try {
    const handler = env.handlers.resolve(stepTemplate.handler.callable);
    const timeoutMs = stepTemplate.timeout_seconds === undefined
      ? undefined
      : stepTemplate.timeout_seconds * 1000;
    const run = () => runHandler(handler, ctx, timeoutMs === undefined ? {} : { timeoutMs });
    result = storable(await (trace ? trace.run(run) : run()));
  } catch (error) {
    result = failure(error instanceof Error ? error.message : String(error), {
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
  if (trace) execution.trace = trace;
  return execution;
}

/**
 * A result the database can store: a result that is not JSON (a BigInt, a cycle) or holds a NUL
 * character becomes a non-retryable failure saying so, instead of failing its whole group.
 */
function storable(result: StepResult): StepResult {
  try {
    const json = JSON.stringify(result.success ? result.result ?? null : result.error) ?? "null";
    if (!json.includes("\\u0000")) return result;
    return failure("the step result contains a NUL character (\\u0000), which jsonb cannot store", {
      errorType: "InvalidStepResult",
      retryable: false,
    });
  } catch (error) {
    return failure(
      `the step result is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { errorType: "InvalidStepResult", retryable: false },
    );
  }
}
