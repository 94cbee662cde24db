// Helpers for the dynamic-workflow tests: tasker-core's fixture templates moved to a fresh
// namespace, and a Tasker running them with a given set of handlers.
import { fileURLToPath } from "node:url";
import type { Database } from "../../src/durable/db/database.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import type { Tasker } from "../../src/tasker.ts";
import type { TaskerOptions } from "../../src/tasker_options.ts";
import { uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "./_engine.ts";

const fixtures = fileURLToPath(
  new URL("../fixtures/tasker_core_templates/tests/fixtures/task_templates/", import.meta.url),
);

/** A tasker-core fixture (path under task_templates/) in a fresh namespace. */
export async function fixtureTemplate(path: string, prefix = "dyn"): Promise<TaskTemplate> {
  return parseTemplateIn(await Deno.readTextFile(`${fixtures}${path}`), uniqueName(prefix));
}

/** A Tasker on `db` running `templates` with the handlers `register` adds. */
export function openWith(
  db: Database,
  templates: TaskTemplate[],
  register: (handlers: HandlerRegistry) => void,
  options: Partial<TaskerOptions> = {},
): Promise<Tasker> {
  const handlers = new HandlerRegistry();
  register(handlers);
  return openTasker(db, templates, { handlers, ...options });
}

/** The names of a task's steps, sorted. */
export function stepNames(status: { steps: Record<string, unknown> }): string[] {
  return Object.keys(status.steps).sort();
}
