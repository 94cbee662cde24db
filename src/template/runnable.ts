/**
 * What deno-tasker can run today: every step type (standard, decision, deferred_convergence,
 * batchable, batch_worker). A step with a `composition` (tasker-core's grammar-defined virtual
 * handler) loads and validates, so `tasker templates validate` passes on such files; submitting
 * a task of one fails with {@link UnsupportedStepError} instead of running it as a plain step.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import type { StepTemplate, StepType, TaskTemplate } from "./types.ts";

/** Thrown when a task is submitted whose template has a step the engine cannot run yet. */
export class UnsupportedStepError extends TaskerError {
  /** `namespace/name@version` of the template. */
  readonly template: string;
  /** The step's name. */
  readonly step: string;
  /** The step's type. */
  readonly stepType: StepType;

  /**
   * Creates the error for one step.
   *
   * @param template `namespace/name@version`
   * @param step the step that cannot run
   */
  constructor(template: string, step: StepTemplate) {
    const what = step.type !== "standard"
      ? `step type ${step.type} is not supported yet`
      : "step composition is not supported yet";
    super(
      "E_STEP_UNSUPPORTED",
      `cannot run ${template}: ${what} (step ${
        JSON.stringify(step.name)
      }); deno-tasker runs standard steps with a handler`,
    );
    this.template = template;
    this.step = step.name;
    this.stepType = step.type;
  }
}

/**
 * The first step of `template` the engine cannot run, if any.
 *
 * @example
 * ```ts
 * import { parseTemplate } from "@deno-tasker/tasker";
 * import { unsupportedStep } from "./runnable.ts";
 * const template = parseTemplate(
 *   "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]",
 * );
 * unsupportedStep(template); // undefined
 * ```
 */
export function unsupportedStep(template: TaskTemplate): StepTemplate | undefined {
  return template.steps.find((step) => step.composition !== undefined);
}

/**
 * Throws when `template` has a step the engine cannot run yet.
 *
 * @throws {UnsupportedStepError} naming the template, the step and its type
 *
 * @example
 * ```ts
 * import { parseTemplate } from "@deno-tasker/tasker";
 * import { assertRunnable } from "./runnable.ts";
 * assertRunnable(parseTemplate(
 *   "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]",
 * ));
 * ```
 */
export function assertRunnable(template: TaskTemplate): void {
  const step = unsupportedStep(template);
  if (step === undefined) return;
  throw new UnsupportedStepError(
    `${template.namespace_name}/${template.name}@${template.version}`,
    step,
  );
}
