/**
 * Loading templates from a string, a file or a directory tree. Parsing from a string needs no
 * permission; the file and directory loaders need `--allow-read` for the paths they read.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { type TemplateIssue, TemplateLoadError, TemplateValidationError } from "./errors.ts";
import type { TaskTemplate } from "./types.ts";
import { validateTemplate } from "./validate.ts";
import { parseTemplateYaml } from "./yaml.ts";

/** How templates are loaded (all loaders). */
export interface LoadTemplateOptions {
  /**
   * Report unknown keys as warnings (in `template.warnings`) instead of errors, for files from
   * newer Tasker versions. Default false: a typo is an error with a "did you mean".
   */
  lenient?: boolean;
  /**
   * The environment whose `environments:` overrides apply (e.g. `test`, `production`). Default:
   * the `TASKER_ENV` variable (read only for templates that have `environments`); when neither
   * is set, no overrides apply.
   */
  environment?: string;
}

/** Options of {@link parseTemplate}. */
export interface ParseTemplateOptions extends LoadTemplateOptions {
  /** Where the text came from; named in every issue and stored as the template's `source`. */
  file?: string;
}

function parseOrIssues(
  yamlText: string,
  options: ParseTemplateOptions,
): { template: TaskTemplate } | { issues: TemplateIssue[] } {
  const parsed = parseTemplateYaml(yamlText, options.file);
  if (parsed.issues.length > 0) return { issues: parsed.issues };
  return validateTemplate(parsed.value, parsed.lineOf, options);
}

/**
 * Parses and validates one template from YAML text. Works with zero Deno permissions.
 *
 * @param yamlText the template's YAML
 * @param options `file` names the source in errors and in `source`; `lenient` and
 *   `environment` as in {@link LoadTemplateOptions}
 * @throws {TemplateValidationError} listing every problem found
 *
 * @example
 * ```ts
 * import { parseTemplate } from "@deno-tasker/tasker";
 * const template = parseTemplate(`
 * name: greet
 * namespace_name: demo
 * version: 1.0.0
 * steps:
 *   - name: hello
 *     handler: { callable: demo.hello }
 * `);
 * template.steps[0]?.retry.max_attempts; // 3
 * ```
 */
export function parseTemplate(yamlText: string, options: ParseTemplateOptions = {}): TaskTemplate {
  const result = parseOrIssues(yamlText, options);
  if ("issues" in result) throw new TemplateValidationError(result.issues);
  return result.template;
}

function loadError(path: string, what: string, error: unknown): TemplateLoadError {
  if (error instanceof Deno.errors.NotFound) {
    return new TemplateLoadError(path, `${what} not found: ${path}`, { cause: error });
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new TemplateLoadError(
      path,
      `no permission to read ${what} ${path} (grant --allow-read=${path})`,
      { cause: error },
    );
  }
  const reason = errorMessage(error);
  return new TemplateLoadError(path, `cannot read ${what} ${path}: ${reason}`, { cause: error });
}

async function readTemplateText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw loadError(path, "template file", error);
  }
}

/**
 * Reads, parses and validates one template file; `source` is set to `path`.
 *
 * @param path a `.yaml` or `.yml` file
 * @param options lenient mode and the environment to resolve
 * @throws {TemplateLoadError} when the file cannot be read (naming the path)
 * @throws {TemplateValidationError} listing every problem found
 *
 * @example
 * ```ts
 * import { loadTemplateFile } from "@deno-tasker/tasker";
 * const template = await loadTemplateFile("templates/linear_workflow/mathematical_sequence.yaml");
 * console.log(template.namespace_name, template.name, template.version);
 * ```
 */
export async function loadTemplateFile(
  path: string,
  options: LoadTemplateOptions = {},
): Promise<TaskTemplate> {
  return parseTemplate(await readTemplateText(path), { ...options, file: path });
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Every `*.yaml` / `*.yml` file under `dir`, sorted; names starting with `.` are skipped. */
async function templateFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (at: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(at));
    } catch (error) {
      throw loadError(at, "template directory", error);
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(at, entry.name);
      // Symlinked directories are not followed, so a link loop cannot recurse forever; a
      // symlinked file is read, and a dangling link is skipped like any non-template entry.
      const isFile = entry.isFile ||
        (entry.isSymlink && (await Deno.stat(path).catch(() => undefined))?.isFile === true);
      if (entry.isDirectory) await walk(path);
      else if (isFile && /\.ya?ml$/.test(entry.name)) files.push(path);
    }
  };
  await walk(dir);
  return files.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Loads every `*.yaml` and `*.yml` file under `dir`, recursively, in sorted path order. Every
 * problem in every file (and templates that share namespace, name and version) is collected
 * into one error, so a broken tree is fixed in one pass.
 *
 * @param dir the directory to walk
 * @param options lenient mode and the environment to resolve
 * @throws {TemplateLoadError} when `dir` cannot be read
 * @throws {TemplateValidationError} listing every problem across all files
 *
 * @example
 * ```ts
 * import { loadTemplateDir } from "@deno-tasker/tasker";
 * const templates = await loadTemplateDir("templates");
 * console.log(templates.map((t) => `${t.namespace_name}/${t.name}`));
 * ```
 */
export async function loadTemplateDir(
  dir: string,
  options: LoadTemplateOptions = {},
): Promise<TaskTemplate[]> {
  const templates: TaskTemplate[] = [];
  const issues: TemplateIssue[] = [];
  const seen = new Map<string, string>();
  for (const file of await templateFiles(dir)) {
    let text: string;
    try {
      text = await readTemplateText(file);
    } catch (error) {
      if (!(error instanceof TemplateLoadError)) throw error;
      issues.push({ file, path: "(root)", message: error.message });
      continue;
    }
    const result = parseOrIssues(text, { ...options, file });
    if ("issues" in result) {
      issues.push(...result.issues);
      continue;
    }
    const { template } = result;
    const key = `${template.namespace_name}/${template.name}@${template.version}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ file, path: "(root)", message: `template ${key} is also defined in ${first}` });
      continue;
    }
    seen.set(key, file);
    templates.push(template);
  }
  if (issues.length > 0) throw new TemplateValidationError(issues);
  return templates;
}
