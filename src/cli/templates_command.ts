/**
 * `tasker templates validate`: loads template files the way a worker would and lists every
 * problem.
 *
 * @module
 */

import { stat } from "node:fs/promises";
import { formatTemplateIssue } from "../template/errors.ts";
import { loadTemplateDir, loadTemplateFile } from "../template/load.ts";
import type { TaskTemplate } from "../template/types.ts";
import { parseArgs, positionals, UsageError } from "./args.ts";

/** `templates validate <path>`: loads a file or a directory; exit 1 listing every problem. */
export async function templatesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ["json", "lenient"]);
  const [action, path] = positionals(parsed, ["action", "file-or-directory"]);
  if (action !== "validate" || !path) {
    throw new UsageError("usage: tasker templates validate [--lenient] <file-or-directory>");
  }
  // --lenient: unknown keys (files from newer Tasker versions) are warnings, not errors.
  const options = { lenient: parsed.switches.has("lenient") };
  const info = await stat(path).catch(() => undefined);
  let templates: TaskTemplate[];
  if (info?.isDirectory()) templates = await loadTemplateDir(path, options);
  else templates = [await loadTemplateFile(path, options)];
  if (templates.length === 0) {
    throw new UsageError(`no templates (*.yaml, *.yml) in ${path}`);
  }
  for (const t of templates) {
    for (const warning of t.warnings) {
      console.error(`tasker templates: warning: ${formatTemplateIssue(warning)}`);
    }
    console.log(
      `ok ${t.namespace_name}/${t.name}@${t.version} (${t.steps.length} steps) ${t.source ?? ""}`,
    );
  }
  return 0;
}
