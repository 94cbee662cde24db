/**
 * An in-memory index of templates by namespace, name and version.
 *
 * @module
 */

import { DuplicateTemplateError, TemplateNotFoundError } from "./errors.ts";
import { loadTemplateDir, type LoadTemplateOptions } from "./load.ts";
import type { TaskTemplate } from "./types.ts";

/**
 * Compares two version strings segment by segment, numerically where both segments are numbers
 * (so `1.10.0` > `1.9.0`); missing segments count as 0 and a pre-release (`1.0.0-rc.1`) sorts
 * before its release. Returns a negative number, zero or a positive number.
 *
 * @example
 * ```ts
 * import { compareVersions } from "./registry.ts";
 * compareVersions("1.10.0", "1.9.0") > 0; // true
 * ["1.10.0", "1.2.0", "1.9.1"].sort(compareVersions); // ["1.2.0", "1.9.1", "1.10.0"]
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const [releaseA = "", preA] = splitOnce(a, "-");
  const [releaseB = "", preB] = splitOnce(b, "-");
  const byRelease = compareSegments(releaseA.split("."), releaseB.split("."), "0");
  if (byRelease !== 0) return byRelease;
  if (preA === undefined || preB === undefined) {
    return preA === preB ? 0 : preA === undefined ? 1 : -1;
  }
  return compareSegments(preA.split("."), preB.split("."), "");
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function compareSegments(a: string[], b: string[], filler: string): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? filler;
    const y = b[i] ?? filler;
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    const order = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * Templates by namespace, name and version.
 *
 * @example
 * ```ts
 * import { TemplateRegistry } from "@deno-tasker/tasker";
 * const registry = await TemplateRegistry.fromDir("templates");
 * const template = registry.require("linear_workflow", "mathematical_sequence");
 * console.log(template.version, registry.namespaces());
 * ```
 */
export class TemplateRegistry {
  readonly #byName = new Map<string, TaskTemplate[]>();

  /**
   * A registry holding `templates`.
   *
   * @throws {DuplicateTemplateError} when two share namespace, name and version
   *
   * @example
   * ```ts
   * import { parseTemplate, TemplateRegistry } from "@deno-tasker/tasker";
   * const registry = TemplateRegistry.fromTemplates([parseTemplate(
   *   "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]",
   * )]);
   * registry.list().length; // 1
   * ```
   */
  static fromTemplates(templates: Iterable<TaskTemplate>): TemplateRegistry {
    const registry = new TemplateRegistry();
    for (const template of templates) registry.add(template);
    return registry;
  }

  /**
   * A registry holding every template under `dir` (see `loadTemplateDir`).
   *
   * @param dir the directory to walk
   * @param options lenient mode and the environment to resolve
   *
   * @example
   * ```ts
   * import { TemplateRegistry } from "@deno-tasker/tasker";
   * const registry = await TemplateRegistry.fromDir("templates");
   * ```
   */
  static async fromDir(dir: string, options: LoadTemplateOptions = {}): Promise<TemplateRegistry> {
    return TemplateRegistry.fromTemplates(await loadTemplateDir(dir, options));
  }

  /**
   * Adds a template.
   *
   * @throws {DuplicateTemplateError} when its namespace, name and version are already present
   *
   * @example
   * ```ts
   * import { parseTemplate, TemplateRegistry } from "@deno-tasker/tasker";
   * const registry = new TemplateRegistry();
   * registry.add(parseTemplate(
   *   "name: a\nnamespace_name: demo\nversion: 1.0.0\nsteps: [{name: s, handler: {callable: demo.s}}]",
   * ));
   * ```
   */
  add(template: TaskTemplate): void {
    const key = `${template.namespace_name}/${template.name}`;
    const versions = this.#byName.get(key) ?? [];
    const clash = versions.find((known) => known.version === template.version);
    if (clash !== undefined) {
      throw new DuplicateTemplateError(`${key}@${template.version}`, [
        clash.source,
        template.source,
      ]);
    }
    versions.push(template);
    versions.sort((a, b) => compareVersions(a.version, b.version));
    this.#byName.set(key, versions);
  }

  /**
   * The template with that namespace and name, at `version` or else the latest version.
   *
   * @example
   * ```ts
   * import { TemplateRegistry } from "@deno-tasker/tasker";
   * new TemplateRegistry().get("payments", "charge"); // undefined
   * ```
   */
  get(namespace: string, name: string, version?: string): TaskTemplate | undefined {
    const versions = this.#byName.get(`${namespace}/${name}`) ?? [];
    if (version === undefined) return versions.at(-1);
    return versions.find((template) => template.version === version);
  }

  /**
   * Like {@link TemplateRegistry.get}, but throws when nothing matches.
   *
   * @throws {TemplateNotFoundError} naming what was asked and the versions that exist
   *
   * @example
   * ```ts
   * import { TemplateRegistry } from "@deno-tasker/tasker";
   * const registry = await TemplateRegistry.fromDir("templates");
   * registry.require("linear_workflow", "mathematical_sequence", "1.0.0");
   * ```
   */
  require(namespace: string, name: string, version?: string): TaskTemplate {
    const template = this.get(namespace, name, version);
    if (template !== undefined) return template;
    const available = (this.#byName.get(`${namespace}/${name}`) ?? []).map((t) => t.version);
    throw new TemplateNotFoundError(namespace, name, version, available);
  }

  /**
   * Every template, ordered by namespace, name and then version (oldest first).
   *
   * @example
   * ```ts
   * import { TemplateRegistry } from "@deno-tasker/tasker";
   * for (const t of new TemplateRegistry().list()) console.log(t.name);
   * ```
   */
  list(): TaskTemplate[] {
    return [...this.#byName.keys()].sort().flatMap((key) => this.#byName.get(key) ?? []);
  }

  /**
   * The namespaces that have at least one template, sorted.
   *
   * @example
   * ```ts
   * import { TemplateRegistry } from "@deno-tasker/tasker";
   * new TemplateRegistry().namespaces(); // []
   * ```
   */
  namespaces(): string[] {
    return [...new Set(this.list().map((template) => template.namespace_name))];
  }
}

/**
 * The distinct handler callables the templates use, sorted; check them against a handler
 * registry at startup.
 *
 * @example
 * ```ts
 * import { allCallables, loadTemplateDir } from "./mod.ts";
 * allCallables(await loadTemplateDir("templates")); // ["diamond_workflow.diamond_branch_b", ...]
 * ```
 */
export function allCallables(templates: Iterable<TaskTemplate>): string[] {
  const callables = new Set<string>();
  for (const template of templates) {
    for (const step of template.steps) callables.add(step.handler.callable);
  }
  return [...callables].sort();
}

/**
 * The distinct custom publisher names the templates' event declarations name, sorted; check
 * them against a publisher registry at startup.
 *
 * @example
 * ```ts
 * import { allPublisherNames, loadTemplateDir } from "./mod.ts";
 * allPublisherNames(await loadTemplateDir("templates")); // ["NotificationEventPublisher", ...]
 * ```
 */
export function allPublisherNames(templates: Iterable<TaskTemplate>): string[] {
  const names = new Set<string>();
  for (const template of templates) {
    for (const step of template.steps) {
      for (const event of step.publishes_events) {
        if (event.publisher !== undefined) names.add(event.publisher);
      }
    }
  }
  return [...names].sort();
}
