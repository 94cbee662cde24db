/**
 * A template's content hash: which template content a task was created from. A task records the
 * hash at submit; a worker runs a task's steps only with a template of the same hash, so a
 * template edited in place (same name and version, different steps) is refused with a clear
 * message instead of running steps against a plan they were not created from.
 *
 * The hash covers what the template means, not how its file is laid out: the loaded template
 * with its keys sorted, compiled schemas as their JSON Schema, where it was loaded from (and the
 * loader's warnings about that file) left out.
 *
 * @module
 */

import type { TaskTemplate } from "../template/types.ts";

const cache = new WeakMap<TaskTemplate, Promise<string>>();

/**
 * The SHA-256 of the template's canonical content, as 64 hex digits (computed once per loaded
 * template object).
 *
 * @param template a loaded template
 * @returns the hex digest
 *
 * @example
 * ```ts ignore
 * const hash = await templateHash(template); // "3f2a…"
 * ```
 */
export function templateHash(template: TaskTemplate): Promise<string> {
  let hash = cache.get(template);
  if (!hash) {
    // Where it was loaded from, and what the loader had to say about its file, say nothing of
    // what it is: the same template loaded from two directories, strictly or leniently, is one.
    const { loaded_from: _from, source: _source, warnings: _warnings, ...content } = template;
    hash = digest(canonicalJson(content));
    cache.set(template, hash);
  }
  return hash;
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with object keys sorted at every level; functions and `undefined` left out. */
function canonicalJson(root: unknown): string {
  return JSON.stringify(root, (_key, child: unknown) => {
    if (child === null || typeof child !== "object" || Array.isArray(child)) return child;
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(child).sort()) {
      sorted[name] = (child as Record<string, unknown>)[name];
    }
    return sorted;
  });
}
