/**
 * Which template steps exist when: the steps created at submit (the "initial step set") and the
 * steps a decision outcome or a batch outcome creates at run time. Pure functions of the template
 * and of the names that already exist; the database side is in `dynamic_steps.ts`.
 *
 * The rules (tasker-core's, with its two quirks defined):
 *
 * - A step is **dynamic** when it is a `batch_worker`, or when one of its dependencies is a
 *   `decision` step or a dynamic step. Every other step is created at submit. So a step after a
 *   decision, a batch worker, the convergence of batch workers and anything downstream of those
 *   is created only when the run reaches it. (tasker-core creates a `deferred_convergence` step
 *   fed by batch workers at submit when the template also has a decision step, where it runs at
 *   once with no parents; and it creates a standard step after a batch convergence at submit
 *   without that edge, so it runs first. Here both wait to be created with their convergence.)
 * - A `deferred_convergence` step none of whose dependencies is dynamic is an ordinary join,
 *   created at submit.
 * - A decision's `create_steps` creates the named steps and, walking forward through their
 *   dependents, every step reached (nested decisions included, not walked past), except batch
 *   workers (their batchable step creates them) and convergence steps; then every convergence
 *   step whose dependencies include a created step; then {@link followers} of those.
 * - A decision's `no_branches` creates the decision's convergence steps (those downstream of it
 *   whose dependencies include no batch worker) and their followers; they wait for nothing, so
 *   they run at once. (tasker-core creates none and the task completes without them.)
 * - A batch outcome creates the workers, every convergence step whose dependencies include the
 *   worker template, and their followers.
 *
 * @module
 */

import type { StepTemplate, TaskTemplate } from "../template/types.ts";

/** The names of the template's dynamic steps (see the module documentation). */
export function dynamicSteps(template: TaskTemplate): ReadonlySet<string> {
  const dynamic = new Set<string>();
  if (!template.steps.some((s) => s.type === "decision" || s.type === "batch_worker")) {
    return dynamic;
  }
  // Kahn's order (templates are validated acyclic): each step after its dependencies, no
  // recursion, so a long chain costs no stack.
  const byName = new Map(template.steps.map((s) => [s.name, s]));
  const after = dependents(template);
  const waiting = new Map(template.steps.map((s) => [s.name, s.dependencies.length]));
  const queue = template.steps.filter((s) => s.dependencies.length === 0);
  for (let i = 0; i < queue.length; i++) {
    const step = queue[i]!;
    const isDynamic = step.type === "batch_worker" ||
      step.dependencies.some((d) => byName.get(d)?.type === "decision" || dynamic.has(d));
    if (isDynamic) dynamic.add(step.name);
    for (const next of after.get(step.name) ?? []) {
      const left = waiting.get(next.name)! - 1;
      waiting.set(next.name, left);
      if (left === 0) queue.push(next);
    }
  }
  return dynamic;
}

/**
 * The steps created at submit, in template order: every step that is not dynamic.
 *
 * @example
 * ```ts ignore
 * initialStepSet(approvalTemplate).map((s) => s.name); // ["validate_request", "routing_decision"]
 * ```
 */
export function initialStepSet(template: TaskTemplate): StepTemplate[] {
  const dynamic = dynamicSteps(template);
  return template.steps.filter((s) => !dynamic.has(s.name));
}

function dependents(template: TaskTemplate): Map<string, StepTemplate[]> {
  const map = new Map<string, StepTemplate[]>();
  for (const step of template.steps) {
    for (const dependency of step.dependencies) {
      map.set(dependency, [...(map.get(dependency) ?? []), step]);
    }
  }
  return map;
}

/** Whether `step` is `ancestor`'s descendant through declared dependencies. */
function descends(template: TaskTemplate, step: StepTemplate, ancestor: string): boolean {
  const byName = new Map(template.steps.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const queue = [...step.dependencies];
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i]!;
    if (name === ancestor) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(byName.get(name)?.dependencies ?? []));
  }
  return false;
}

/**
 * Adds to `created` the steps that follow it: repeatedly, every standard, decision or batchable
 * step not yet existing with a dependency among the created steps and all of whose dependencies
 * exist or are created. (A convergence step is created only by its branches or batches, a batch
 * worker only by its batchable step, a step after a decision only by that decision's outcome.)
 */
export function followers(
  template: TaskTemplate,
  created: Set<string>,
  existing: ReadonlySet<string>,
): void {
  const decisions = new Set(template.steps.filter((s) => s.type === "decision").map((s) => s.name));
  for (let grew = true; grew;) {
    grew = false;
    for (const step of template.steps) {
      if (created.has(step.name) || existing.has(step.name)) continue;
      if (step.type === "batch_worker" || step.type === "deferred_convergence") continue;
      // A step after a decision is that decision's branch: only its outcome creates it.
      if (step.dependencies.some((d) => decisions.has(d))) continue;
      if (!step.dependencies.some((d) => created.has(d))) continue;
      if (step.dependencies.every((d) => created.has(d) || existing.has(d))) {
        created.add(step.name);
        grew = true;
      }
    }
  }
}

/**
 * The template steps a decision's outcome creates, in template order (see the module
 * documentation); `requested` are the names of `create_steps`, empty for `no_branches`.
 * `existing` holds the template step names the task already has.
 */
export function decisionCreates(
  template: TaskTemplate,
  decision: string,
  requested: readonly string[],
  existing: ReadonlySet<string>,
): StepTemplate[] {
  const created = new Set<string>();
  const after = dependents(template);
  const byName = new Map(template.steps.map((s) => [s.name, s]));
  const queue: string[] = [];
  for (const name of requested) {
    if (existing.has(name) || created.has(name)) continue;
    created.add(name);
    queue.push(name);
  }
  for (let i = 0; i < queue.length; i++) {
    const step = byName.get(queue[i]!)!;
    if (step.type === "decision") continue; // its own outcome creates what follows it
    for (const next of after.get(step.name) ?? []) {
      if (next.type === "batch_worker" || next.type === "deferred_convergence") continue;
      if (created.has(next.name) || existing.has(next.name)) continue;
      created.add(next.name);
      queue.push(next.name);
    }
  }
  for (const step of template.steps) {
    if (step.type !== "deferred_convergence" || existing.has(step.name)) continue;
    const feeds = requested.length > 0
      ? step.dependencies.some((d) => created.has(d))
      : descends(template, step, decision) &&
        step.dependencies.every((d) => byName.get(d)?.type !== "batch_worker");
    if (feeds) created.add(step.name);
  }
  followers(template, created, existing);
  return template.steps.filter((s) => created.has(s.name));
}

/**
 * The template steps a batch outcome of worker template `worker` creates besides the workers:
 * every convergence step whose dependencies include `worker`, and their followers.
 */
export function batchCreates(
  template: TaskTemplate,
  worker: string,
  existing: ReadonlySet<string>,
): StepTemplate[] {
  // The worker template stands for its instances: steps that depend on it directly follow too.
  const created = new Set<string>([worker]);
  for (const step of template.steps) {
    if (step.type !== "deferred_convergence" || existing.has(step.name)) continue;
    if (step.dependencies.includes(worker)) created.add(step.name);
  }
  followers(template, created, existing);
  return template.steps.filter((s) => s.name !== worker && created.has(s.name));
}

/**
 * The steps a decision may name in `create_steps`: its descendants up to, and including, the
 * next decision steps, except batch workers and convergence steps (created by the engine).
 */
export function allowedBranches(template: TaskTemplate, decision: string): Set<string> {
  const after = dependents(template);
  const allowed = new Set<string>();
  const queue = [decision];
  for (let i = 0; i < queue.length; i++) {
    for (const next of after.get(queue[i]!) ?? []) {
      if (allowed.has(next.name)) continue;
      if (next.type === "batch_worker" || next.type === "deferred_convergence") continue;
      allowed.add(next.name);
      if (next.type !== "decision") queue.push(next.name);
    }
  }
  return allowed;
}
