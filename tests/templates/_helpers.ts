// Running the example handlers the way the worker does, without a database: contexts built by
// buildStepContext, handlers run by runHandler, ancestors' results handed down by step name.
import assert from "node:assert/strict";
import type { StepEventContext } from "../../src/events/context.ts";
import { shouldPublish, stepRetryability } from "../../src/events/conditions.ts";
import { applyPublisher } from "../../src/events/publisher.ts";
import { PublisherRegistry } from "../../src/events/publisher_registry.ts";
import { buildStepEventContext } from "../../src/events/wire.ts";
import type { JsonObject } from "../../src/events/types.ts";
import { loadTemplateFile } from "../../src/template/load.ts";
import type { EventDeclaration } from "../../src/events/declaration.ts";
import type { StepTemplate, TaskTemplate } from "../../src/template/types.ts";
import { buildStepContext, runHandler } from "../../src/worker/context.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import type { StepContext, StepResult } from "../../src/worker/step_handler.ts";
import { registerExamples } from "../../templates/mod.ts";

export const TASK_UUID = "0193a3c4-1111-7000-8000-00000000abcd";

export const handlers = new HandlerRegistry();
export const publishers = new PublisherRegistry();
registerExamples(handlers, publishers);

export function loadExample(path: string): Promise<TaskTemplate> {
  return loadTemplateFile(new URL(`../../templates/${path}`, import.meta.url).pathname);
}

export function stepOf(template: TaskTemplate, name: string): StepTemplate {
  const step = template.steps.find((s) => s.name === name);
  assert.ok(step, `${template.name} has no step ${name}`);
  return step;
}

/** Every ancestor of `step` (direct and transitive). */
function ancestors(template: TaskTemplate, step: StepTemplate): Set<string> {
  const found = new Set<string>();
  const visit = (names: string[]) => {
    for (const name of names) {
      if (found.has(name)) continue;
      found.add(name);
      visit(stepOf(template, name).dependencies);
    }
  };
  visit(step.dependencies);
  return found;
}

export interface Attempt {
  ctx: StepContext;
  result: StepResult;
}

/** Runs one attempt of one step with the results of its ancestors taken from `done`. */
export async function runStep(
  template: TaskTemplate,
  stepName: string,
  context: JsonObject,
  done: Record<string, unknown> = {},
  attempts = 1,
): Promise<Attempt> {
  const step = stepOf(template, stepName);
  const dependencyResults: Record<string, unknown> = {};
  for (const name of ancestors(template, step)) dependencyResults[name] = done[name];
  const ctx = buildStepContext({
    task: {
      task_uuid: TASK_UUID,
      namespace: template.namespace_name,
      name: template.name,
      version: template.version,
      context,
      correlation_id: "0193a3c4-0000-7000-8000-0000000000ee",
    },
    step: {
      step_uuid: `0193a3c4-2222-7000-8000-${
        String(template.steps.indexOf(step)).padStart(12, "0")
      }`,
      name: step.name,
      attempts,
      max_attempts: step.retry.max_attempts,
      retryable: step.retry.retryable,
    },
    initialization: step.handler.initialization,
    dependencyResults,
  });
  const timeoutMs = step.timeout_seconds === undefined ? undefined : step.timeout_seconds * 1000;
  const result = await runHandler(handlers.resolve(step.handler.callable), ctx, { timeoutMs });
  return { ctx, result };
}

/** Runs every step in declaration order (a topological order in the examples); all must pass. */
export async function runWorkflow(
  template: TaskTemplate,
  context: JsonObject,
): Promise<Record<string, unknown>> {
  const done: Record<string, unknown> = {};
  for (const step of template.steps) {
    const { result } = await runStep(template, step.name, context, done);
    assert.ok(result.success, `${step.name} failed: ${JSON.stringify(result)}`);
    done[step.name] = result.result;
  }
  // What the worker stores is JSON: the results must survive it unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(done)), done);
  return done;
}

export interface FiredEvent {
  declaration: EventDeclaration;
  payload: JsonObject;
  extraMetadata: JsonObject;
  firedBy: string;
}

/**
 * The events a step's declarations fire for `attempt`, as the pipeline would build them:
 * condition (retryability from the step state), publisher, payload schema check (asserted).
 */
export function firedEvents(template: TaskTemplate, attempt: Attempt): FiredEvent[] {
  const step = stepOf(template, attempt.ctx.step.name);
  const { result, ctx } = attempt;
  const persistedRetryable = step.retry.retryable && (result.success || result.error.retryable);
  const retryable = stepRetryability({
    retryable: persistedRetryable,
    attempts: ctx.step.attempts,
    max_attempts: ctx.step.max_attempts,
  });
  const fired: FiredEvent[] = [];
  for (const declaration of step.publishes_events) {
    if (!shouldPublish(declaration.condition, { succeeded: result.success, retryable })) continue;
    const eventCtx: StepEventContext = buildStepEventContext({
      event: declaration,
      task: ctx.task,
      step: {
        step_uuid: ctx.step.step_uuid,
        name: ctx.step.name,
        attempts: ctx.step.attempts,
        max_attempts: ctx.step.max_attempts,
        retryable: persistedRetryable,
        handler_callable: step.handler.callable,
      },
      result: result.success
        ? { success: true, result: result.result, metadata: result.metadata }
        : { success: false, error: result.error, metadata: result.metadata },
      definition: step,
    });
    const resolved = publishers.resolve(declaration.publisher);
    assert.equal(resolved.fellBack, false, `publisher ${declaration.publisher} is registered`);
    const applied = applyPublisher(resolved.publisher, eventCtx);
    if (applied.skip) {
      assert.equal(applied.error, undefined, applied.error?.message);
      continue;
    }
    assert.deepEqual(
      declaration.schema?.validate(applied.payload) ?? [],
      [],
      `payload of ${declaration.name} fits its schema: ${JSON.stringify(applied.payload)}`,
    );
    const { payload, extraMetadata, firedBy } = applied;
    fired.push({ declaration, payload, extraMetadata, firedBy });
  }
  return fired;
}
