/**
 * The dependency graph of a template, computed once per template in time linear in its steps
 * and edges: each step's direct successors (to release when it completes) and its direct
 * dependencies. A step's ancestors (whose results its handler sees as `dependencyResults`) are
 * found on demand, by a walk over that step's ancestry only: materialising every step's
 * ancestor set up front is quadratic for a chain (16 000 steps: 128 million entries), while a
 * step asks for its own ancestors once per attempt.
 *
 * @module
 */

import type { TaskTemplate } from "../template/types.ts";

/** Successors and ancestors of every step of one template. */
export interface StepGraph {
  /** Steps that depend directly on the key step. */
  successors: ReadonlyMap<string, readonly string[]>;
  /**
   * Every direct and transitive dependency of the key step, computed when asked for (each
   * `get` walks that step's ancestry; the sets are not cached, so memory stays linear).
   */
  ancestors: ReadonlyMap<string, ReadonlySet<string>>;
}

const graphs = new WeakMap<TaskTemplate, StepGraph>();

/**
 * A read-only map from step name to its ancestor set, each set found by an iterative
 * breadth-first walk over direct dependencies when it is asked for.
 */
class AncestorMap implements ReadonlyMap<string, ReadonlySet<string>> {
  readonly #direct: ReadonlyMap<string, readonly string[]>;

  constructor(direct: ReadonlyMap<string, readonly string[]>) {
    this.#direct = direct;
  }

  get size(): number {
    return this.#direct.size;
  }

  has(name: string): boolean {
    return this.#direct.has(name);
  }

  get(name: string): ReadonlySet<string> | undefined {
    const first = this.#direct.get(name);
    if (first === undefined) return undefined;
    const found = new Set<string>();
    const queue = [...first];
    for (let i = 0; i < queue.length; i++) {
      const dependency = queue[i]!;
      if (found.has(dependency)) continue;
      found.add(dependency);
      for (const above of this.#direct.get(dependency) ?? []) {
        if (!found.has(above)) queue.push(above);
      }
    }
    return found;
  }

  forEach(
    callback: (
      value: ReadonlySet<string>,
      key: string,
      map: ReadonlyMap<string, ReadonlySet<string>>,
    ) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  *entries(): MapIterator<[string, ReadonlySet<string>]> {
    for (const key of this.#direct.keys()) yield [key, this.get(key)!];
  }

  keys(): MapIterator<string> {
    return this.#direct.keys();
  }

  *values(): MapIterator<ReadonlySet<string>> {
    for (const key of this.#direct.keys()) yield this.get(key)!;
  }

  [Symbol.iterator](): MapIterator<[string, ReadonlySet<string>]> {
    return this.entries();
  }
}

/**
 * The graph of `template` (cached; templates are immutable once loaded and validated acyclic).
 *
 * @example
 * ```ts ignore
 * const graph = stepGraph(template);
 * graph.successors.get("diamond_start"); // ["diamond_branch_b", "diamond_branch_c"]
 * graph.ancestors.get("diamond_end"); // Set { "diamond_branch_b", "diamond_start", ... }
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
  const graph: StepGraph = { successors, ancestors: new AncestorMap(direct) };
  graphs.set(template, graph);
  return graph;
}
