/**
 * One attempt of one claimed step, up to its result: find the step in its template, build the
 * handler's context (results of all ancestors, the YAML `initialization`, the shutdown signal),
 * run the handler under its `timeout_seconds` (inside a trace span when tracing is on), and make
 * sure the result is something the database can store.
 *
 * @module
 */

import type { TemplateRegistry } from "../template/registry.ts";
import { checkResultSchema } from "../template/result_schema.ts";
import type { StepTemplate } from "../template/types.ts";
import { buildStepContext, runHandler } from "./context.ts";
import { type StepGraph, stepGraph } from "./graph.ts";
import type { HandlerRegistry } from "./handler_registry.ts";
import type { ClaimedStep } from "./step_store.ts";
import type { StepTrace, StepTracer } from "./step_tracer.ts";
import { failure, type StepResult } from "./types.ts";
import { jsonbProblem } from "./storable.ts";
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
): { stepTemplate: StepTemplate; graph: StepGraph } {
  const { namespace, name, version } = claim.task;
  const template = templates.require(namespace, name, version);
  const stepTemplate = template.steps.find((s) => s.name === claim.step.name);
  if (!stepTemplate) {
    throw new WorkerConfigError(
      `template ${namespace}/${name}@${version} has no step ${claim.step.name}`,
    );
  }
  return { stepTemplate, graph: stepGraph(template) };
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
  const { stepTemplate, graph } = findStep(claim, env.templates);
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
    const { callable, method } = stepTemplate.handler;
    const handler = env.handlers.resolve(callable, method);
    const timeoutMs = stepTemplate.timeout_seconds === undefined
      ? undefined
      : stepTemplate.timeout_seconds * 1000;
    const run = () => runHandler(handler, ctx, timeoutMs === undefined ? {} : { timeoutMs });
    // A result failing the step's result_schema is a non-retryable InvalidStepResult failure.
    result = storable(checkResultSchema(stepTemplate, await (trace ? trace.run(run) : run())));
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
