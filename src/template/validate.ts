/**
 * Turns a parsed YAML document into a {@link TaskTemplate} or a list of every problem in it:
 * unknown keys (errors, or warnings when lenient), zod's structural issues translated into
 * plain messages, and the rules that compare fields with each other (`cross_field.ts`).
 *
 * @module
 */

import type { z } from "../deps.ts";
import { assemble } from "./assemble.ts";
import { checkCrossField, type Report } from "./cross_field.ts";
import { type TemplateIssue, templateIssue } from "./errors.ts";
import { unknownKeys } from "./known_keys.ts";
import { templateSchema } from "./schema.ts";
import type { TaskTemplate } from "./types.ts";
import { formatPath, type PathSegment } from "./yaml.ts";

/** Finds a field's line; `undefined` when it is not in the document. */
export type LineLookup = (path: readonly PathSegment[]) => number | undefined;

/** How {@link validateTemplate} treats what it finds. */
export interface ValidateOptions {
  /** The file it came from, copied into every issue and into `source`. */
  file?: string;
  /** Unknown keys become warnings (kept in `template.warnings`) instead of errors. */
  lenient?: boolean;
  /** The environment whose overrides apply; `TASKER_ENV` when not given. */
  environment?: string;
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

/** Reports one zod issue in the library's words. */
function reportZodIssue(issue: z.core.$ZodIssue, report: Report): void {
  const path = toPath(issue.path);
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
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

/** Compiler order: by line, fields without a line (missing keys) after their neighbours. */
function byLine(issues: TemplateIssue[]): TemplateIssue[] {
  return issues.map((issue, order) => ({ issue, order })).sort((a, b) =>
    (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.order - b.order
  ).map((entry) => entry.issue);
}

/**
 * Validates a parsed document (keys already normalised) into a template, or returns every issue.
 *
 * @param value the document as plain data
 * @param lineOf finds the line of a field path
 * @param options the file name, lenient mode and the environment to resolve
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
  options: ValidateOptions = {},
): { template: TaskTemplate } | { issues: TemplateIssue[] } {
  const { file } = options;
  const issues: TemplateIssue[] = [];
  const warnings: TemplateIssue[] = [];
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
  for (const unknown of unknownKeys(value)) {
    const issue = templateIssue(
      file,
      lineOf(unknown.path),
      formatPath(unknown.path),
      unknown.message,
    );
    (options.lenient ? warnings : issues).push(issue);
  }
  const result = templateSchema.safeParse(value, { reportInput: true });
  if (!result.success) { for (const issue of result.error.issues) reportZodIssue(issue, report); }
  checkCrossField(value, report);
  if (issues.length > 0 || !result.success) return { issues: byLine(issues) };
  const template = assemble(result.data, {
    ...(file === undefined ? {} : { source: file }),
    ...(options.environment === undefined ? {} : { environment: options.environment }),
    warnings: byLine(warnings),
  });
  return { template };
}
