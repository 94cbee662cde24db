/**
 * `environments:` — per-environment step overrides, resolved at load for the current
 * environment exactly as tasker-core's `resolve_for_environment` does: overrides apply in
 * order, `ALL` targets every step, a step name the first step so named; `initialization` is
 * merged shallowly, `timeout_seconds` replaces when given, and `retry` replaces the whole
 * policy (keys it leaves out take their defaults, not the step's earlier values).
 *
 * The current environment is the load option `environment`, else the `TASKER_ENV` variable;
 * when neither is set no overrides apply (which is what tasker-core's execution paths see: they
 * run the unresolved template).
 *
 * @module
 */

import { readEnv } from "../env.ts";
import type { StepOverride, StepTemplate } from "./types.ts";

/** The environment variable naming the current environment (as in tasker-core). */
export const ENVIRONMENT_VARIABLE = "TASKER_ENV";

/** The override name that targets every step. */
export const ALL_STEPS = "ALL";

/**
 * The current environment: `explicit` when given, else `TASKER_ENV` (read only when asked, so
 * templates without `environments` never touch the environment).
 *
 * @example
 * ```ts
 * import { currentEnvironment } from "./environments.ts";
 * currentEnvironment("test"); // "test"
 * ```
 */
export function currentEnvironment(explicit?: string): string | undefined {
  return explicit ?? readEnv(ENVIRONMENT_VARIABLE);
}

/**
 * The steps with `overrides` applied, in order; the input is not changed.
 *
 * @example
 * ```ts ignore
 * const steps = applyOverrides(template.steps, [{ name: "ALL", timeout_seconds: 5 }]);
 * ```
 */
export function applyOverrides(
  steps: readonly StepTemplate[],
  overrides: readonly StepOverride[],
): StepTemplate[] {
  const resolved = steps.map((step) => ({ ...step, handler: { ...step.handler } }));
  const firstByName = new Map<string, StepTemplate>();
  for (const step of resolved) if (!firstByName.has(step.name)) firstByName.set(step.name, step);
  for (const override of overrides) {
    const targets = override.name === ALL_STEPS
      ? resolved
      : [firstByName.get(override.name)].filter((step) => step !== undefined);
    for (const step of targets) {
      if (override.initialization !== undefined) {
        step.handler.initialization = {
          ...step.handler.initialization,
          ...override.initialization,
        };
      }
      if (override.timeout_seconds !== undefined) step.timeout_seconds = override.timeout_seconds;
      if (override.retry !== undefined) step.retry = { ...override.retry };
    }
  }
  return resolved;
}
