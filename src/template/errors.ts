/**
 * The typed errors of template loading: a template that breaks the rules, a file that cannot be
 * read, a duplicate registration and a lookup that finds nothing. Every message names the file,
 * the line and the field path, so a typo can be fixed without reading the loader's code.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";

/** One problem found in a template. */
export interface TemplateIssue {
  /** The file the template came from, when it came from a file. */
  file?: string;
  /** 1-based line of the offending field, when known. */
  line?: number;
  /** Field path such as `steps[2].retry.max_attempts`; `(root)` for the document itself. */
  path: string;
  /** What is wrong, naming the offending value. */
  message: string;
}

/**
 * Builds an issue, leaving out `file` and `line` when they are unknown (so issues compare
 * cleanly with `assert.deepEqual`).
 *
 * @example
 * ```ts
 * import { templateIssue } from "./errors.ts";
 * templateIssue(undefined, 4, "version", "is required"); // { line: 4, path: "version", message: "is required" }
 * ```
 */
export function templateIssue(
  file: string | undefined,
  line: number | undefined,
  path: string,
  message: string,
): TemplateIssue {
  return {
    ...(file === undefined ? {} : { file }),
    ...(line === undefined ? {} : { line }),
    path,
    message,
  };
}

/**
 * Formats one issue as `file:line: path: message`; without a file it reads `line N: path:
 * message`, and unknown parts are left out.
 *
 * @example
 * ```ts
 * import { formatTemplateIssue } from "@deno-tasker/tasker/templates";
 * formatTemplateIssue({ file: "a.yaml", line: 3, path: "version", message: "is required" });
 * // "a.yaml:3: version: is required"
 * ```
 */
export function formatTemplateIssue(issue: TemplateIssue): string {
  const where = issue.file !== undefined
    ? [issue.file, issue.line].filter((part) => part !== undefined).join(":")
    : issue.line !== undefined
    ? `line ${issue.line}`
    : "";
  return `${where === "" ? "" : `${where}: `}${issue.path}: ${issue.message}`;
}

/**
 * Thrown when one or more templates break the rules. `issues` holds every problem found, across
 * every file of a directory load, and the message lists them one per line.
 *
 * @example
 * ```ts
 * import { parseTemplate, TemplateValidationError } from "@deno-tasker/tasker";
 * try {
 *   parseTemplate("name: x\nnamespace_name: Bad-Name\nversion: 1.0.0\nsteps: []\n");
 * } catch (error) {
 *   if (error instanceof TemplateValidationError) {
 *     for (const issue of error.issues) console.log(issue.path, issue.message);
 *   }
 * }
 * ```
 */
export class TemplateValidationError extends TaskerError {
  /** Every problem found, in file order and then line order. */
  readonly issues: readonly TemplateIssue[];

  /**
   * Creates the error from every issue found.
   *
   * @param issues every problem found (at least one)
   */
  constructor(issues: readonly TemplateIssue[]) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(
      "E_TEMPLATE_INVALID",
      `invalid task template (${count}):\n${issues.map(formatTemplateIssue).join("\n")}`,
    );
    this.issues = issues;
  }
}

/**
 * Thrown when a template file or directory cannot be read (missing, not permitted, not a file).
 *
 * @example
 * ```ts
 * import { loadTemplateFile, TemplateLoadError } from "@deno-tasker/tasker";
 * try {
 *   await loadTemplateFile("missing.yaml");
 * } catch (error) {
 *   if (error instanceof TemplateLoadError) console.log(error.path);
 * }
 * ```
 */
export class TemplateLoadError extends TaskerError {
  /** The path that could not be read. */
  readonly path: string;

  /**
   * Creates the error for one unreadable path.
   *
   * @param path the file or directory that could not be read
   * @param message what went wrong, naming the path
   * @param options standard error options (`cause`)
   */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super("E_TEMPLATE_LOAD", message, options);
    this.path = path;
  }
}

/**
 * Thrown by `TemplateRegistry.add` when the same namespace, name and version is added twice.
 *
 * @example
 * ```ts
 * import { DuplicateTemplateError, parseTemplate, TemplateRegistry } from "@deno-tasker/tasker";
 * const text = "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]";
 * const registry = new TemplateRegistry();
 * registry.add(parseTemplate(text));
 * try {
 *   registry.add(parseTemplate(text));
 * } catch (error) {
 *   if (error instanceof DuplicateTemplateError) console.log(error.message);
 * }
 * ```
 */
export class DuplicateTemplateError extends TaskerError {
  /**
   * Creates the error for one clashing template.
   *
   * @param key `namespace/name@version` of the template
   * @param sources where the two copies came from, when known
   */
  constructor(key: string, sources: readonly (string | undefined)[] = []) {
    const from = sources.filter((source) => source !== undefined);
    super(
      "E_TEMPLATE_DUPLICATE",
      `template ${key} is already registered${from.length > 0 ? ` (${from.join(" and ")})` : ""}`,
    );
  }
}

/**
 * Thrown by `TemplateRegistry.require` when no template matches; names what was asked and lists
 * the versions that do exist.
 *
 * @example
 * ```ts
 * import { TemplateNotFoundError, TemplateRegistry } from "@deno-tasker/tasker";
 * try {
 *   new TemplateRegistry().require("payments", "charge");
 * } catch (error) {
 *   if (error instanceof TemplateNotFoundError) console.log(error.message);
 * }
 * ```
 */
export class TemplateNotFoundError extends TaskerError {
  /** The namespace asked for. */
  readonly namespace: string;
  /** The template name asked for. */
  readonly templateName: string;
  /** The version asked for; undefined when the latest was asked for. */
  readonly version?: string;
  /** The versions registered under that namespace and name (may be empty). */
  readonly available: readonly string[];

  /**
   * Creates the error for one failed lookup.
   *
   * @param namespace the namespace asked for
   * @param name the template name asked for
   * @param version the version asked for, if any
   * @param available versions registered under that namespace and name
   */
  constructor(
    namespace: string,
    name: string,
    version: string | undefined,
    available: readonly string[],
  ) {
    const asked = `${namespace}/${name}${version === undefined ? "" : `@${version}`}`;
    const known = available.length > 0
      ? `available versions: ${available.join(", ")}`
      : `no versions of ${namespace}/${name} are registered`;
    super("E_TEMPLATE_NOT_FOUND", `no task template ${asked}; ${known}`);
    this.namespace = namespace;
    this.templateName = name;
    this.version = version;
    this.available = available;
  }
}
