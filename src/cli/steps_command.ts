/**
 * `tasker steps retry|resolve|complete <task_uuid> <step>`: a step settled by hand. The step is
 * named by its name in the task or its UUID; `complete` takes the step's result as JSON.
 * `resolve` and `complete` release the step's dependants, so they need the task's template
 * (`--templates DIR`, default `./templates`).
 *
 * @module
 */

import { TemplateRegistry } from "../template/registry.ts";
import { completeStep, resetStep, resolveStep } from "../worker/task_actions.ts";
import { parseArgs, positionals, UsageError } from "./args.ts";
import { openCliDatabase, templatesPath, warnIfEphemeral } from "./setup.ts";
import { actorFlags, printAction } from "./tasks_command.ts";

/** `steps <retry|resolve|complete> <task_uuid> <step> ...`. */
export async function stepsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "retry" && sub !== "resolve" && sub !== "complete") {
    throw new UsageError(
      `${
        sub === undefined ? "missing subcommand" : `unknown subcommand ${JSON.stringify(sub)}`
      } (expected retry, resolve or complete)`,
    );
  }
  const valueFlags = sub === "retry" ? ["by", "reason"] : ["by", "reason", "templates", "result"];
  const parsed = parseArgs(rest, valueFlags, ["json"]);
  const [taskUuid, step] = positionals(parsed, ["task_uuid", "step"]);
  if (!taskUuid || !step) throw new UsageError(`steps ${sub} needs a task UUID and a step name`);
  const actor = actorFlags(parsed);
  let result: unknown;
  if (sub === "complete") {
    const raw = parsed.values.result;
    if (raw === undefined) {
      throw new UsageError("steps complete needs --result JSON (null for none)");
    }
    try {
      result = JSON.parse(raw);
    } catch (error) {
      throw new UsageError(`--result is not valid JSON: ${(error as Error).message}`);
    }
  } else if (parsed.values.result !== undefined) {
    throw new UsageError("--result is only for steps complete");
  }
  const templates = sub === "retry"
    ? undefined
    : await TemplateRegistry.fromDir(await templatesPath(parsed, `steps ${sub}`));
  warnIfEphemeral(`steps ${sub}`);
  await using db = await openCliDatabase();
  const outcome = sub === "retry"
    ? await resetStep(db, taskUuid, step, actor)
    : sub === "resolve"
    ? await resolveStep(db, templates!, taskUuid, step, actor)
    : await completeStep(db, templates!, taskUuid, step, result, actor);
  printAction(parsed, outcome);
  return 0;
}
