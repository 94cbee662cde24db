// Helpers for task-engine tests: example templates under a namespace of their own (tests share
// a server database, so every test isolates its queues and tasks by namespace), and a Tasker
// wired to the test's database.
import { fileURLToPath } from "node:url";
import type { Database } from "../../src/durable/db/database.ts";
import { parseTemplate } from "../../src/template/load.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import { Tasker } from "../../src/tasker.ts";
import type { TaskerOptions } from "../../src/tasker_options.ts";
import { registerExamples } from "../../templates/mod.ts";
import { uniqueName } from "../_db.ts";

const templatesDir = fileURLToPath(new URL("../../templates/", import.meta.url));

/** An example template (path under templates/) moved to a fresh namespace. */
export async function exampleTemplate(path: string, prefix = "ns"): Promise<TaskTemplate> {
  const text = await Deno.readTextFile(`${templatesDir}${path}`);
  return parseTemplateIn(text, uniqueName(prefix));
}

/** A template from YAML text moved to `namespace`. */
export function parseTemplateIn(text: string, namespace: string): TaskTemplate {
  return parseTemplate(text.replace(/^namespace_name: .*$/m, `namespace_name: ${namespace}`));
}

/** A Tasker on `db` running `templates` with the example handlers and publishers. */
export async function openTasker(
  db: Database,
  templates: TaskTemplate[],
  options: Partial<TaskerOptions> = {},
): Promise<Tasker> {
  const tasker = await Tasker.open({
    templates: TemplateRegistry.fromTemplates(templates),
    database: db,
    startWorker: false,
    pollIntervalMs: 10,
    ...options,
  });
  if (!options.handlers) registerExamples(tasker.handlers, tasker.publishers);
  // Started after the example handlers are registered, unless the caller wants no worker.
  if (options.startWorker !== false) await tasker.start();
  return tasker;
}
