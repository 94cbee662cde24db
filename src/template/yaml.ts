/**
 * Safe YAML parsing for templates: works with zero Deno permissions, maps every field path to
 * its line, and reads the older Ruby-symbol key style (`:name:`) as plain keys.
 *
 * @module
 */

import process from "node:process";
import { errorMessage } from "../error_message.ts";
import { parseYamlDocument, YamlLineCounter } from "../deps.ts";
import { type TemplateIssue, templateIssue } from "./errors.ts";

/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number;

/** The result of {@link parseTemplateYaml}. */
export interface ParsedTemplateYaml {
  /** The document as plain data, with Ruby-symbol keys read without their leading `:`. */
  value: unknown;
  /** Syntax errors and key collisions; when non-empty, `value` should not be trusted. */
  issues: TemplateIssue[];
  /** The 1-based line of the field at `path` (the key's line for a mapping entry). */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

/**
 * Formats a field path as `steps[2].retry.max_attempts`; the empty path is `(root)`.
 *
 * @example
 * ```ts
 * import { formatPath } from "./yaml.ts";
 * formatPath(["steps", 2, "retry", "max_attempts"]); // "steps[2].retry.max_attempts"
 * ```
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * Whether the keys under `path` are data and stay as written (no `:` stripping): a handler's
 * `initialization` belongs to the handler, and JSON Schemas are language-neutral contracts whose
 * property names may legitimately start with `:`. A Ruby-style keyword such as `:type:` inside a
 * schema is reported by the validator instead of being silently ignored by ajv.
 */
export function keepsKeysAsWritten(path: readonly PathSegment[]): boolean {
  const [top, stepIndex, field, sub, leaf] = path;
  if (path.length === 1) return top === "input_schema";
  if (top !== "steps" || typeof stepIndex !== "number") return false;
  if (path.length === 4) return field === "handler" && sub === "initialization";
  return path.length === 5 && field === "publishes_events" && typeof sub === "number" &&
    leaf === "schema";
}

/**
 * Runs `fn` with `process.env` replaced by an empty object, then restores it.
 *
 * npm:yaml reads `process.env.LOG_TOKENS` and `LOG_STREAM` (debug switches) while parsing. Under
 * zero permissions that read throws `NotCapable`; under `deno run` without `--allow-env` it would
 * prompt the user; with the variables set it would print tokens to stdout. So the swap is done
 * always, not only when `env` is denied. It is atomic because parsing is synchronous: no other
 * code can run between the swap and the restore.
 */
function withEmptyProcessEnv<T>(fn: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(process, "env");
  if (descriptor === undefined || descriptor.configurable !== true) return fn();
  Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    Object.defineProperty(process, "env", descriptor);
  }
}

/**
 * How deeply a template may nest mappings and lists. Real templates, schemas included, stay
 * under 20; the cap keeps every later walk (line collection, key normalisation, schema
 * compilation) far from the call-stack limit, whatever the input.
 */
export const MAX_NESTING = 100;

const NODE_TYPE = Symbol.for("yaml.node.type");
const MAP = Symbol.for("yaml.map");
const SEQ = Symbol.for("yaml.seq");

interface YamlNode {
  [NODE_TYPE]?: symbol;
  range?: [number, number, number] | null;
  items?: unknown[];
  key?: unknown;
  value?: unknown;
}

function nodeType(node: unknown): symbol | undefined {
  return typeof node === "object" && node !== null ? (node as YamlNode)[NODE_TYPE] : undefined;
}

function keyText(key: unknown): string {
  if (typeof key === "object" && key !== null && "value" in key) return String(key.value);
  return String(key);
}

/** A key written in the Ruby-symbol style (`:name`) read without its leading colon. */
function plainKey(key: string): string {
  return key.length > 1 && key.startsWith(":") ? key.slice(1) : key;
}

/** The deepest nesting of mappings and lists under `root`, found with an explicit stack. */
function nodeDepth(root: unknown): number {
  let deepest = 0;
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const type = nodeType(node);
    if (type !== MAP && type !== SEQ) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_NESTING) return deepest;
    for (const item of (node as YamlNode).items ?? []) {
      if (type === MAP) stack.push({ node: (item as YamlNode).value, depth: depth + 1 });
      else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return deepest;
}

/** The deepest nesting of plain data (aliases expanded), found with an explicit stack. */
function valueDepth(root: unknown): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_NESTING) return deepest;
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

const tooDeep =
  `YAML nesting is too deep: templates may nest mappings and lists at most ${MAX_NESTING} levels`;

/** Records the line of every field path, with the same key normalisation as the value. */
function collectLines(
  node: unknown,
  path: PathSegment[],
  verbatim: boolean,
  lines: Map<string, number>,
  lineAt: (offset: number) => number,
): void {
  const type = nodeType(node);
  const items = (node as YamlNode | null)?.items ?? [];
  if (type === MAP) {
    for (const pair of items as YamlNode[]) {
      const raw = keyText(pair.key);
      const childPath = [...path, verbatim ? raw : plainKey(raw)];
      const offset = (pair.key as YamlNode | null)?.range?.[0] ??
        (pair.value as YamlNode | null)?.range?.[0];
      const formatted = formatPath(childPath);
      if (offset !== undefined && !lines.has(formatted)) lines.set(formatted, lineAt(offset));
      collectLines(pair.value, childPath, verbatim || keepsKeysAsWritten(childPath), lines, lineAt);
    }
  } else if (type === SEQ) {
    items.forEach((item, index) => {
      const childPath = [...path, index];
      const offset = (item as YamlNode | null)?.range?.[0];
      if (offset !== undefined) lines.set(formatPath(childPath), lineAt(offset));
      collectLines(item, childPath, verbatim, lines, lineAt);
    });
  }
}

/** Copies plain data, reading `:key` as `key` outside the verbatim zones. */
function normalizeKeys(
  value: unknown,
  path: PathSegment[],
  verbatim: boolean,
  report: (path: PathSegment[], message: string) => void,
): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => normalizeKeys(item, [...path, index], verbatim, report));
  }
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [raw, child] of Object.entries(value)) {
    const key = verbatim ? raw : plainKey(raw);
    const childPath = [...path, key];
    const earlier = writtenAs.get(key);
    if (earlier !== undefined) {
      report(childPath, `both ${JSON.stringify(earlier)} and ${JSON.stringify(raw)} are given`);
      continue;
    }
    writtenAs.set(key, raw);
    // defineProperty, not assignment, so a `__proto__` key stays an ordinary key.
    Object.defineProperty(out, key, {
      value: normalizeKeys(child, childPath, verbatim || keepsKeysAsWritten(childPath), report),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Parses template YAML without needing any permission, reads Ruby-symbol keys, and keeps the
 * line of every field so later validation can point at it.
 *
 * @param text the YAML source
 * @param file the file it came from, copied into every issue
 *
 * @example
 * ```ts
 * import { parseTemplateYaml } from "./yaml.ts";
 * const parsed = parseTemplateYaml(":name: demo\n:steps:\n  - :name: a\n");
 * parsed.value; // { name: "demo", steps: [{ name: "a" }] }
 * parsed.lineOf(["steps", 0, "name"]); // 3
 * ```
 */
export function parseTemplateYaml(text: string, file?: string): ParsedTemplateYaml {
  const lineCounter = new YamlLineCounter();
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const issues: TemplateIssue[] = [];
  const lines = new Map<string, number>();
  const lineOf = (path: readonly PathSegment[]): number | undefined => {
    // Fall back to the nearest enclosing field that has a line (a missing key has none).
    for (let end = path.length; end > 0; end--) {
      const line = lines.get(formatPath(path.slice(0, end)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
  const report = (path: readonly PathSegment[], message: string, line?: number): void => {
    issues.push(templateIssue(file, line ?? lineOf(path), formatPath(path), message));
  };

  const value = withEmptyProcessEnv(() => {
    // `merge: true` reads YAML 1.1 merge keys (`<<: *defaults`), common in Ruby-era templates.
    let doc: ReturnType<typeof parseYamlDocument>;
    try {
      doc = parseYamlDocument(text, { lineCounter, prettyErrors: false, merge: true });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      report([], tooDeep);
      return undefined;
    }
    // The YAML library composes recursively and turns a stack overflow into a document error.
    if (doc.errors.some((error) => error.message.includes("Maximum call stack"))) {
      report([], tooDeep);
      return undefined;
    }
    for (const error of doc.errors) {
      report([], `YAML syntax error: ${error.message.split("\n")[0]}`, lineAt(error.pos[0]));
    }
    if (doc.errors.length > 0) return undefined;
    if (nodeDepth(doc.contents) > MAX_NESTING) {
      report([], tooDeep);
      return undefined;
    }
    collectLines(doc.contents, [], false, lines, lineAt);
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // e.g. an alias bomb: "Excessive alias count indicates a resource exhaustion attack".
      const reason = error instanceof RangeError ? tooDeep : `YAML error: ${errorMessage(error)}`;
      report([], reason);
      return undefined;
    }
    // Aliases can nest a deep anchor inside another: check the expanded data too.
    if (valueDepth(js) > MAX_NESTING) {
      report([], `${tooDeep} (after expanding aliases)`);
      return undefined;
    }
    return js;
  });
  if (issues.length > 0) return { value: undefined, issues, lineOf };
  return { value: normalizeKeys(value, [], false, report), issues, lineOf };
}
