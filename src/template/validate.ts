/**
 * Turns a parsed YAML document into a {@link TaskTemplate} or a list of every problem in it:
 * zod's structural issues, translated into plain messages, plus the rules that compare fields
 * with each other (dependencies, cycles, duplicates). The cross-field rules read the raw data
 * defensively, so they report even when the structure has other problems.
 *
 * @module
 */

import type { z } from "../deps.ts";
import { type TemplateIssue, templateIssue } from "./errors.ts";
import { KNOWN_KEYS, type ParsedTemplate, templateSchema } from "./schema.ts";
import type { TaskTemplate } from "./types.ts";
import { formatPath, type PathSegment } from "./yaml.ts";

/** Finds a field's line; `undefined` when it is not in the document. */
export type LineLookup = (path: readonly PathSegment[]) => number | undefined;

type Report = (path: readonly PathSegment[], message: string) => void;

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const rows = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = rows[i]!;
      const above = rows[i - 1]!;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
      }
    }
  }
  return rows[a.length]![b.length]!;
}

/** The closest candidate within a third of the word's length (at least one edit), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const shape = path.map((segment) => typeof segment === "number" ? "#" : String(segment));
  switch (shape.join(".")) {
    case "":
      return KNOWN_KEYS.template;
    case "steps.#":
      return KNOWN_KEYS.step;
    case "steps.#.handler":
      return KNOWN_KEYS.handler;
    case "steps.#.retry":
      return KNOWN_KEYS.retry;
    case "steps.#.publishes_events.#":
      return KNOWN_KEYS.event;
    default:
      return [];
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function toPath(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => typeof segment === "number" ? segment : String(segment));
}

/** Reports one zod issue (one per unknown key) in the library's words. */
function reportZodIssue(issue: z.core.$ZodIssue, report: Report): void {
  const path = toPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    for (const key of issue.keys) {
      const suggestion = closest(key, known);
      const hint = suggestion === undefined
        ? known.length > 0 ? ` (known keys: ${known.join(", ")})` : ""
        : ` (did you mean ${JSON.stringify(suggestion)}?)`;
      report([...path, key], `unknown key ${JSON.stringify(key)}${hint}`);
    }
  } else if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    // zod's own wording; messages written in schema.ts are kept as they are.
    const expected = issue.expected === "record" || issue.expected === "object"
      ? "a mapping"
      : issue.expected === "array"
      ? "a list"
      : `a ${issue.expected}`;
    report(
      path,
      issue.input === undefined
        ? "is required"
        : `expected ${expected}, got ${describe(issue.input)}`,
    );
  } else {
    report(path, issue.message);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

interface RawStep {
  index: number;
  name: string;
  depsKey: string;
  deps: unknown[];
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
          ? `steps in this template: ${names.join(", ")}`
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
  // Depth-first search; a dependency on a step still on the stack closes a cycle.
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, "open");
    stack.push(name);
    for (const edge of edges.get(name) ?? []) {
      const mark = state.get(edge.target);
      if (mark === "open") {
        const cycle = [...stack.slice(stack.indexOf(edge.target)), edge.target];
        report(edge.path, `dependency cycle: ${cycle.join(" -> ")}`);
      } else if (mark === undefined) {
        visit(edge.target);
      }
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of names) if (!state.has(name)) visit(name);
}

/** Keys written `:like_this` inside a JSON Schema are kept as written, so they would be ignored. */
function checkSchemaKeys(schema: unknown, path: PathSegment[], report: Report): void {
  const dataKeyParents = new Set(["properties", "patternProperties", "$defs", "definitions"]);
  const walk = (value: unknown, at: PathSegment[], keysAreData: boolean): void => {
    if (Array.isArray(value)) return value.forEach((item, i) => walk(item, [...at, i], false));
    if (!isRecord(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (!keysAreData && key.length > 1 && key.startsWith(":")) {
        report(
          [...at, key],
          `JSON Schema keys are read as written; write ${JSON.stringify(key.slice(1))}, not ${
            JSON.stringify(key)
          }`,
        );
      }
      walk(child, [...at, key], !keysAreData && dataKeyParents.has(key));
    }
  };
  walk(schema, path, false);
}

/** The rules that compare fields with each other, read defensively from the raw data. */
function checkCrossField(raw: Record<string, unknown>, report: Report): void {
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
    if (step.dependencies !== undefined && step.depends_on !== undefined) {
      report(at("depends_on"), "give either dependencies or depends_on, not both");
    }
    const depsKey = step.dependencies !== undefined ? "dependencies" : "depends_on";
    const deps = step[depsKey];
    if (typeof step.name === "string" && Array.isArray(deps)) {
      steps.push({ index, name: step.name, depsKey, deps });
    }
    if (isRecord(step.retry) && step.retry.max_attempts !== undefined) {
      if (step.retry.limit !== undefined) {
        report(at("retry", "limit"), "give either max_attempts or limit, not both");
      }
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
}

function assemble(parsed: ParsedTemplate, source: string | undefined): TaskTemplate {
  const template: TaskTemplate = {
    name: parsed.name,
    namespace_name: parsed.namespace_name,
    version: parsed.version,
    metadata: parsed.metadata,
    steps: parsed.steps.map((step) => {
      const { max_attempts, limit, ...retry } = step.retry;
      return {
        name: step.name,
        ...(step.description === undefined ? {} : { description: step.description }),
        handler: { callable: step.handler.callable, initialization: step.handler.initialization },
        dependencies: step.dependencies ?? step.depends_on ?? [],
        retry: { ...retry, max_attempts: max_attempts ?? limit ?? 3 },
        ...(step.timeout_seconds === undefined ? {} : { timeout_seconds: step.timeout_seconds }),
        publishes_events: step.publishes_events.map((event) => ({
          name: event.name,
          ...(event.description === undefined ? {} : { description: event.description }),
          condition: event.condition,
          delivery_mode: event.delivery_mode,
          ...(event.publisher === undefined ? {} : { publisher: event.publisher }),
          ...(event.schema === undefined ? {} : { schema: event.schema }),
        })),
      };
    }),
  };
  if (parsed.description !== undefined) template.description = parsed.description;
  if (parsed.input_schema !== undefined) template.input_schema = parsed.input_schema;
  if (source !== undefined) template.source = source;
  return template;
}

/**
 * Validates a parsed document (keys already normalised) into a template, or returns every issue.
 *
 * @param value the document as plain data
 * @param lineOf finds the line of a field path
 * @param file the file it came from, copied into every issue and into `source`
 *
 * @example
 * ```ts
 * import { validateTemplate } from "./validate.ts";
 * const result = validateTemplate({ name: "x" }, () => undefined);
 * if ("issues" in result) console.log(result.issues.length);
 * ```
 */
export function validateTemplate(
  value: unknown,
  lineOf: LineLookup,
  file?: string,
): { template: TaskTemplate } | { issues: TemplateIssue[] } {
  const issues: TemplateIssue[] = [];
  const report: Report = (path, message) => {
    issues.push(templateIssue(file, lineOf(path), formatPath(path), message));
  };
  if (!isRecord(value)) {
    report(
      [],
      `expected a mapping with name, namespace_name, version and steps, got ${describe(value)}`,
    );
    return { issues };
  }
  const result = templateSchema.safeParse(value, { reportInput: true });
  if (!result.success) { for (const issue of result.error.issues) reportZodIssue(issue, report); }
  checkCrossField(value, report);
  if (issues.length > 0 || !result.success) {
    // Compiler order: by line, fields without a line (missing keys) after their neighbours.
    const sorted = issues.map((issue, order) => ({ issue, order })).sort((a, b) =>
      (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.order - b.order
    );
    return { issues: sorted.map((entry) => entry.issue) };
  }
  return { template: assemble(result.data, file) };
}
