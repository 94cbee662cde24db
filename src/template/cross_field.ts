/**
 * The rules that compare fields with each other: duplicate steps and events, aliases given
 * together, dependencies (unknown, self, twice, cycles), step types and their batch settings,
 * and environment overrides that name no step. They read the raw document defensively, so they
 * report even when the structure has other problems, and they use explicit stacks, so a
 * 16 000-step chain is checked in linear time without recursion.
 *
 * @module
 */

import { closest } from "./known_keys.ts";
import type { PathSegment } from "./yaml.ts";

/** Reports one problem at a field path. */
export type Report = (path: readonly PathSegment[], message: string) => void;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

interface RawStep {
  index: number;
  name: string;
  depsKey: string;
  deps: unknown[];
}

/** Names for messages: all of them when few, else the first ten and a count. */
function listNames(names: readonly string[]): string {
  if (names.length <= 10) return names.join(", ");
  return `${names.slice(0, 10).join(", ")} and ${names.length - 10} more`;
}

/**
 * Dependencies: unknown, self, listed twice, and cycles. `indexOf` maps every step name to the
 * index of its first declaration.
 */
function checkDependencies(steps: RawStep[], indexOf: Map<string, number>, report: Report): void {
  const names = [...indexOf.keys()];
  const edges = new Map<string, { target: string; path: PathSegment[] }[]>();
  for (const step of steps) {
    const seen = new Set<string>();
    step.deps.forEach((dep, position) => {
      if (typeof dep !== "string") return;
      const path: PathSegment[] = ["steps", step.index, step.depsKey, position];
      if (dep === step.name) return report(path, `step ${JSON.stringify(dep)} depends on itself`);
      if (seen.has(dep)) return report(path, `dependency ${JSON.stringify(dep)} is listed twice`);
      seen.add(dep);
      if (!indexOf.has(dep)) {
        const suggestion = closest(dep, names);
        const hint = suggestion === undefined
          ? `steps in this template: ${listNames(names)}`
          : `did you mean ${JSON.stringify(suggestion)}?`;
        return report(path, `unknown dependency ${JSON.stringify(dep)}; ${hint}`);
      }
      // Only the first step of a duplicated name takes part in the graph.
      if (indexOf.get(step.name) !== step.index) return;
      const list = edges.get(step.name) ?? [];
      list.push({ target: dep, path });
      edges.set(step.name, list);
    });
  }
  // Depth-first search with an explicit stack; a dependency on a step still on the path closes
  // a cycle. Each edge is looked at once.
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const positionOnPath = new Map<string, number>();
  for (const root of names) {
    if (state.has(root)) continue;
    const frames: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, "open");
    positionOnPath.set(root, path.push(root) - 1);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const out = edges.get(frame.name) ?? [];
      if (frame.next >= out.length) {
        frames.pop();
        path.pop();
        positionOnPath.delete(frame.name);
        state.set(frame.name, "done");
        continue;
      }
      const edge = out[frame.next++]!;
      const mark = state.get(edge.target);
      if (mark === "open") {
        const cycle = [...path.slice(positionOnPath.get(edge.target)), edge.target];
        report(edge.path, `dependency cycle: ${cycle.join(" -> ")}`);
      } else if (mark === undefined) {
        state.set(edge.target, "open");
        positionOnPath.set(edge.target, path.push(edge.target) - 1);
        frames.push({ name: edge.target, next: 0 });
      }
    }
  }
}

/** Keys written `:like_this` inside a JSON Schema are kept as written, so they would be ignored. */
function checkSchemaKeys(schema: unknown, at: PathSegment[], report: Report): void {
  const dataKeyParents = new Set(["properties", "patternProperties", "$defs", "definitions"]);
  const stack: { value: unknown; path: PathSegment[]; keysAreData: boolean }[] = [
    { value: schema, path: at, keysAreData: false },
  ];
  while (stack.length > 0) {
    const { value, path, keysAreData } = stack.pop()!;
    if (Array.isArray(value)) {
      value.forEach((item, i) =>
        stack.push({ value: item, path: [...path, i], keysAreData: false })
      );
      continue;
    }
    if (!isRecord(value)) continue;
    for (const [key, child] of Object.entries(value)) {
      if (!keysAreData && key.length > 1 && key.startsWith(":")) {
        report(
          [...path, key],
          `JSON Schema keys are read as written; write ${JSON.stringify(key.slice(1))}, not ${
            JSON.stringify(key)
          }`,
        );
      }
      stack.push({
        value: child,
        path: [...path, key],
        keysAreData: !keysAreData && dataKeyParents.has(key),
      });
    }
  }
}

/** Two names of one setting given together. */
function checkExclusive(
  record: Record<string, unknown>,
  at: PathSegment[],
  first: string,
  second: string,
  report: Report,
): void {
  if (record[first] !== undefined && record[second] !== undefined) {
    report([...at, second], `give either ${first} or ${second}, not both`);
  }
}

function checkRetry(retry: unknown, at: PathSegment[], report: Report): void {
  if (!isRecord(retry)) return;
  checkExclusive(retry, at, "max_attempts", "limit", report);
  checkExclusive(retry, at, "backoff_base_ms", "initial_delay", report);
  checkExclusive(retry, at, "max_backoff_ms", "max_delay", report);
}

/** Step types: decision steps need a parent; a batch_config names a batch_worker step. */
function checkStepTypes(raw: unknown[], report: Report): void {
  const typeOf = (step: Record<string, unknown>): unknown => step.type ?? step.step_type;
  const kinds = new Map<string, unknown>();
  for (const step of raw) {
    if (isRecord(step) && typeof step.name === "string" && !kinds.has(step.name)) {
      kinds.set(step.name, typeOf(step) ?? "standard");
    }
  }
  raw.forEach((step, index) => {
    if (!isRecord(step)) return;
    const at = (...rest: PathSegment[]): PathSegment[] => ["steps", index, ...rest];
    checkExclusive(step, at(), "type", "step_type", report);
    const type = typeOf(step);
    const deps = step.dependencies ?? step.depends_on;
    if (type === "decision" && (!Array.isArray(deps) || deps.length === 0)) {
      report(at("type"), "a decision step needs at least one dependency");
    }
    if (!isRecord(step.batch_config)) return;
    if (type !== "batchable" && type !== "batch_worker") {
      report(
        at("batch_config"),
        "batch_config belongs on a batchable or batch_worker step (set type)",
      );
    }
    const worker = step.batch_config.worker_template;
    if (typeof worker !== "string") return;
    const kind = kinds.get(worker);
    if (kind === undefined) {
      const suggestion = closest(worker, [...kinds.keys()]);
      report(
        at("batch_config", "worker_template"),
        `unknown worker_template ${JSON.stringify(worker)}${
          suggestion === undefined ? "" : `; did you mean ${JSON.stringify(suggestion)}?`
        }`,
      );
    } else if (kind !== "batch_worker") {
      report(
        at("batch_config", "worker_template"),
        `worker_template ${JSON.stringify(worker)} must name a step of type batch_worker`,
      );
    }
  });
}

/** Environment overrides: each names a step (or ALL) and uses one name per retry setting. */
function checkEnvironments(raw: unknown, stepNames: readonly string[], report: Report): void {
  if (!isRecord(raw)) return;
  for (const [environment, entry] of Object.entries(raw)) {
    if (!isRecord(entry) || !Array.isArray(entry.steps)) continue;
    entry.steps.forEach((override: unknown, index: number) => {
      if (!isRecord(override)) return;
      const at: PathSegment[] = ["environments", environment, "steps", index];
      checkRetry(override.retry, [...at, "retry"], report);
      const name = override.name;
      if (typeof name !== "string" || name === "ALL" || stepNames.includes(name)) return;
      const suggestion = closest(name, stepNames);
      report(
        [...at, "name"],
        `override for unknown step ${JSON.stringify(name)}; ${
          suggestion === undefined
            ? `steps in this template: ${listNames(stepNames)} (or ALL)`
            : `did you mean ${JSON.stringify(suggestion)}?`
        }`,
      );
    });
  }
}

/**
 * Every cross-field problem of a raw template document.
 *
 * @example
 * ```ts
 * import { checkCrossField } from "./cross_field.ts";
 * checkCrossField({ steps: [{ name: "a", dependencies: ["a"] }] }, (path, message) => {
 *   console.log(path, message); // ["steps", 0, "dependencies", 0] step "a" depends on itself
 * });
 * ```
 */
export function checkCrossField(raw: Record<string, unknown>, report: Report): void {
  if (raw.input_schema !== undefined) checkSchemaKeys(raw.input_schema, ["input_schema"], report);
  if (!Array.isArray(raw.steps)) return;
  const steps: RawStep[] = [];
  const firstIndex = new Map<string, number>();
  raw.steps.forEach((step: unknown, index: number) => {
    if (!isRecord(step)) return;
    const at = (...rest: PathSegment[]): PathSegment[] => ["steps", index, ...rest];
    if (typeof step.name === "string" && step.name !== "") {
      const first = firstIndex.get(step.name);
      if (first !== undefined) {
        report(
          at("name"),
          `duplicate step name ${JSON.stringify(step.name)} (first declared at steps[${first}])`,
        );
      } else {
        firstIndex.set(step.name, index);
      }
    }
    checkExclusive(step, at(), "dependencies", "depends_on", report);
    const depsKey = step.dependencies !== undefined ? "dependencies" : "depends_on";
    const deps = step[depsKey];
    if (typeof step.name === "string" && Array.isArray(deps)) {
      steps.push({ index, name: step.name, depsKey, deps });
    }
    checkRetry(step.retry, at("retry"), report);
    if (step.result_schema !== undefined) {
      checkSchemaKeys(step.result_schema, at("result_schema"), report);
    }
    if (!Array.isArray(step.publishes_events)) return;
    const eventNames = new Map<string, number>();
    step.publishes_events.forEach((event: unknown, position: number) => {
      if (!isRecord(event)) return;
      if (event.schema !== undefined) {
        checkSchemaKeys(event.schema, at("publishes_events", position, "schema"), report);
      }
      if (typeof event.name !== "string") return;
      const first = eventNames.get(event.name);
      if (first === undefined) return void eventNames.set(event.name, position);
      report(
        at("publishes_events", position, "name"),
        `duplicate event name ${JSON.stringify(event.name)} in step ${
          JSON.stringify(step.name)
        } (first declared at publishes_events[${first}])`,
      );
    });
  });
  checkDependencies(steps, firstIndex, report);
  checkStepTypes(raw.steps, report);
  checkEnvironments(raw.environments, [...firstIndex.keys()], report);
}
