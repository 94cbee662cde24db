/**
 * The scale-out benchmark's workload, shared by the driver and its children: a 4-step linear
 * chain of trivial handlers in namespace `scale`, each step declaring one `durable` event, so
 * every step ends with one message in PGMQ's `scale_domain_events` queue.
 *
 * @module
 */

import {
  HandlerRegistry,
  parseTemplate,
  type StepContext,
  success,
  type TaskTemplate,
  TemplateRegistry,
} from "../../../mod.ts";

/** The namespace of the chain (its events go to `scale_domain_events`). */
export const SCALE_NAMESPACE = "scale";

/** The chain template's name. */
export const SCALE_TEMPLATE = "linear4_events";

/** Steps per workflow. */
export const SCALE_STEPS = 4;

/** The PGMQ queue table the durable events land in. */
export const EVENTS_TABLE = `pgmq.q_${SCALE_NAMESPACE}_domain_events`;

/** The step names, in chain order. */
export const STEP_NAMES: readonly string[] = Array.from(
  { length: SCALE_STEPS },
  (_, i) => `s${i + 1}`,
);

/**
 * The event step `name` declares.
 *
 * @example
 * ```ts
 * console.log(eventName("s1")); // "scale.s1_done"
 * ```
 */
export function eventName(step: string): string {
  return `${SCALE_NAMESPACE}.${step}_done`;
}

function chainTemplate(): TaskTemplate {
  const steps = STEP_NAMES.map((name, i) =>
    [
      `  - name: ${name}`,
      `    handler: { callable: ${SCALE_NAMESPACE}.${name} }`,
      i === 0 ? "" : `    dependencies: [${STEP_NAMES[i - 1]}]`,
      `    publishes_events: [{ name: ${eventName(name)}, delivery_mode: durable }]`,
    ].filter((line) => line !== "").join("\n")
  );
  return parseTemplate(
    `name: ${SCALE_TEMPLATE}\nnamespace_name: ${SCALE_NAMESPACE}\nversion: 1.0.0\n` +
      `steps:\n${steps.join("\n")}\n`,
  );
}

/** The chain's template registry. */
export function scaleTemplates(): TemplateRegistry {
  return TemplateRegistry.fromTemplates([chainTemplate()]);
}

/** What a handler reports about one call, before it returns. */
export type HandlerObserver = (ctx: StepContext, started: number) => void;

/** The chain's handlers: each adds one to its input; `observe` sees every call. */
export function scaleHandlers(observe: HandlerObserver): HandlerRegistry {
  const registry = new HandlerRegistry();
  STEP_NAMES.forEach((name, i) => {
    registry.register(`${SCALE_NAMESPACE}.${name}`, (ctx: StepContext) => {
      const started = epochMs();
      const input = i === 0
        ? ctx.input<number>("n")!
        : ctx.dependency<number>(STEP_NAMES[i - 1]!, "n")!;
      const result = success({ n: input + 1 });
      observe(ctx, started);
      return result;
    });
  });
  return registry;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
