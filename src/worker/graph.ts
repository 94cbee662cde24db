/**
 * The dependency graph of a template, computed once per template: each step's direct
 * successors (to release when it completes) and all its ancestors (whose results its handler
 * sees as `dependencyResults`).
 *
 * @module
 */

import type { TaskTemplate } from "../template/types.ts";

/** Successors and ancestors of every step of one template. */
export interface StepGraph {
  /** Steps that depend directly on the key step. */
  successors: ReadonlyMap<string, readonly string[]>;
  /** Every direct and transitive dependency of the key step. */
  ancestors: ReadonlyMap<string, ReadonlySet<string>>;
}

const graphs = new WeakMap<TaskTemplate, StepGraph>();

/**
 * The graph of `template` (cached; templates are immutable once loaded and validated acyclic).
 *
 * @example
 * ```ts ignore
 * const graph = stepGraph(template);
 * graph.successors.get("diamond_start"); // ["diamond_branch_b", "diamond_branch_c"]
 * ```
 */
export function stepGraph(template: TaskTemplate): StepGraph {
  const cached = graphs.get(template);
  if (cached) return cached;
  const successors = new Map<string, string[]>();
  const direct = new Map<string, readonly string[]>();
  for (const step of template.steps) {
    successors.set(step.name, []);
    direct.set(step.name, step.dependencies);
  }
  for (const step of template.steps) {
    for (const dependency of step.dependencies) successors.get(dependency)?.push(step.name);
  }
  const ancestors = new Map<string, Set<string>>();
  const collect = (name: string): Set<string> => {
    const known = ancestors.get(name);
    if (known) return known;
    const found = new Set<string>();
    ancestors.set(name, found);
    for (const dependency of direct.get(name) ?? []) {
      found.add(dependency);
      for (const above of collect(dependency)) found.add(above);
    }
    return found;
  };
  for (const step of template.steps) collect(step.name);
  const graph: StepGraph = { successors, ancestors };
  graphs.set(template, graph);
  return graph;
}
