/**
 * Unknown keys: a key that is neither deno-tasker's nor tasker-core's is reported with the
 * closest known key ("did you mean"), because a typo is the common case and tasker-core would
 * drop it silently. Lenient loading turns these reports into warnings, for files from newer
 * Tasker versions. The walk follows the template's structure with an explicit stack, so it
 * needs no recursion however large the document.
 *
 * @module
 */

import type { z } from "../deps.ts";
import { editDistance } from "../edit_distance.ts";
import {
  batchConfigSchema,
  catalogueEventSchema,
  environmentSchema,
  eventSchema,
  handlerSchema,
  lifecycleSchema,
  retrySchema,
  stepOverrideSchema,
  stepSchema,
  systemDependenciesSchema,
  templateScheduleSchema,
  templateSchema,
} from "./schema.ts";
import type { PathSegment } from "./yaml.ts";

/** Which keys an object accepts and how its known children are shaped. */
interface Shape {
  keys: readonly string[];
  children: Readonly<Record<string, Child>>;
}

/** A known child: an object, a list of objects, or a map of names to objects. */
type Child = { kind: "object" | "list" | "map"; shape: () => Shape };

const keysOf = (schema: z.ZodObject): string[] => Object.keys(schema.shape);
const leaf = (schema: z.ZodObject): Shape => ({ keys: keysOf(schema), children: {} });

const retry = leaf(retrySchema);
const override: Shape = {
  keys: keysOf(stepOverrideSchema),
  children: {
    handler: { kind: "object", shape: () => ({ keys: ["initialization"], children: {} }) },
    retry: { kind: "object", shape: () => retry },
  },
};
const step: Shape = {
  keys: keysOf(stepSchema),
  children: {
    handler: { kind: "object", shape: () => leaf(handlerSchema) },
    retry: { kind: "object", shape: () => retry },
    publishes_events: { kind: "list", shape: () => leaf(eventSchema) },
    batch_config: { kind: "object", shape: () => leaf(batchConfigSchema) },
  },
};
const template: Shape = {
  keys: keysOf(templateSchema),
  children: {
    steps: { kind: "list", shape: () => step },
    system_dependencies: { kind: "object", shape: () => leaf(systemDependenciesSchema) },
    domain_events: { kind: "list", shape: () => leaf(catalogueEventSchema) },
    lifecycle: { kind: "object", shape: () => leaf(lifecycleSchema) },
    schedules: { kind: "list", shape: () => leaf(templateScheduleSchema) },
    environments: {
      kind: "map",
      shape: () => ({
        keys: keysOf(environmentSchema),
        children: { steps: { kind: "list", shape: () => override } },
      }),
    },
  },
};

/**
 * The closest candidate within a third of the word's length (at least one edit), if any.
 *
 * @example
 * ```ts
 * import { closest } from "./known_keys.ts";
 * closest("depnds_on", ["dependencies", "depends_on"]); // "depends_on"
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    // Lengths that differ by more than the limit cannot be within it: skip the table.
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** One unknown key: where it is and the message naming it. */
export interface UnknownKey {
  /** The path of the unknown key itself. */
  path: PathSegment[];
  /** `unknown key "x" (did you mean "y"?)`. */
  message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Every key of `document` that no known shape accepts, in document order. Values of the wrong
 * type are left to the schema, which reports them.
 *
 * @example
 * ```ts
 * import { unknownKeys } from "./known_keys.ts";
 * unknownKeys({ name: "x", stpes: [] })[0]?.message; // 'unknown key "stpes" (did you mean "steps"?)'
 * ```
 */
export function unknownKeys(document: unknown): UnknownKey[] {
  const found: UnknownKey[] = [];
  const stack: { value: unknown; shape: Shape; path: PathSegment[] }[] = [
    { value: document, shape: template, path: [] },
  ];
  while (stack.length > 0) {
    const { value, shape, path } = stack.pop()!;
    if (!isRecord(value)) continue;
    const later: typeof stack = [];
    for (const [key, child] of Object.entries(value)) {
      if (!shape.keys.includes(key)) {
        const suggestion = closest(key, shape.keys);
        const hint = suggestion === undefined
          ? ` (known keys: ${shape.keys.join(", ")})`
          : ` (did you mean ${JSON.stringify(suggestion)}?)`;
        found.push({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}${hint}` });
        continue;
      }
      const known = shape.children[key];
      if (known === undefined) continue;
      const at = [...path, key];
      if (known.kind === "object") later.push({ value: child, shape: known.shape(), path: at });
      else if (known.kind === "list" && Array.isArray(child)) {
        child.forEach((item, index) =>
          later.push({ value: item, shape: known.shape(), path: [...at, index] })
        );
      } else if (known.kind === "map" && isRecord(child)) {
        for (const [name, item] of Object.entries(child)) {
          later.push({ value: item, shape: known.shape(), path: [...at, name] });
        }
      }
    }
    // Pushed in reverse so the stack pops them in document order.
    for (let i = later.length - 1; i >= 0; i--) stack.push(later[i]!);
  }
  return found;
}
