/**
 * `tasker tasks list|show|cancel|retry|resolve|purge`: finding tasks and acting on them from the
 * command line, against the database the environment names.
 *
 * @module
 */

import { purgeFinishedTasks } from "../worker/retention.ts";
import { cancelTask, resolveTask, type TaskActionResult } from "../worker/task_actions.ts";
import {
  checkTaskQuery,
  listTasks,
  parseDuration,
  resolveTaskRef,
  type TaskDetail,
  taskDetail,
  type TaskQuery,
  type TaskSummary,
} from "../worker/task_queries.ts";
import { retryTask } from "../worker/task_retry.ts";
import type { TransitionActor } from "../worker/transitions.ts";
import { intFlag, parseArgs, type ParsedArgs, positionals, UsageError } from "./args.ts";
import { openCliDatabase, wantsJson, warnIfEphemeral } from "./setup.ts";

/** `tasks <subcommand> ...`. */
export async function tasksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "list":
      return await listCommand(rest);
    case "show":
      return await showCommand(rest);
    case "cancel":
    case "retry":
    case "resolve":
      return await actionCommand(sub, rest);
    case "purge":
      return await purgeCommand(rest);
    default:
      throw new UsageError(
        `${sub === undefined ? "missing" : `unknown`} subcommand${
          sub === undefined ? "" : ` ${JSON.stringify(sub)}`
        } (expected list, show, cancel, retry, resolve or purge)`,
      );
  }
}

/**
 * A time flag: a duration back from now (`1h`, `30d`) or an ISO 8601 time.
 *
 * @throws {UsageError} when it is neither
 */
export function timeFlag(parsed: ParsedArgs, name: string, now = new Date()): Date | undefined {
  const raw = parsed.values[name];
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const at = /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError(
      `--${name} must be a duration back from now (e.g. 90s, 15m, 1h, 7d) or an ISO 8601 time, got ${
        JSON.stringify(raw)
      }`,
    );
  }
  return at;
}

/** `--by` and `--reason` of an action; `--by` defaults to `cli:$USER`. */
export function actorFlags(parsed: ParsedArgs): TransitionActor {
  const by = parsed.values.by ?? "cli";
  if (by.trim() === "") throw new UsageError("--by must name who acts");
  return parsed.values.reason === undefined ? { by } : { by, reason: parsed.values.reason };
}

const LIST_FLAGS = [
  "namespace",
  "name",
  "state",
  "since",
  "until",
  "correlation-id",
  "tags",
  "page",
  "per-page",
];

async function listCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, LIST_FLAGS, ["json"]);
  positionals(parsed, []);
  const query: TaskQuery = {
    page: intFlag(parsed, "page", 1, { min: 1 }),
    per_page: intFlag(parsed, "per-page", 25, { min: 1, max: 100, unit: "tasks" }),
  };
  const v = parsed.values;
  if (v.namespace !== undefined) query.namespace = v.namespace;
  if (v.name !== undefined) query.name = v.name;
  if (v.state !== undefined) query.state = list("state", v.state);
  if (v["correlation-id"] !== undefined) query.correlation_id = v["correlation-id"];
  if (v.tags !== undefined) query.tags = list("tags", v.tags);
  const since = timeFlag(parsed, "since");
  const until = timeFlag(parsed, "until");
  if (since) query.since = since;
  if (until) query.until = until;
  try {
    checkTaskQuery(query);
  } catch (error) {
    usageOnQueryError(error);
  }
  warnIfEphemeral("tasks list");
  await using db = await openCliDatabase();
  const page = await listTasks(db, query);
  if (wantsJson(parsed)) {
    console.log(JSON.stringify(page));
    return 0;
  }
  const p = page.pagination;
  for (const task of page.tasks) console.log(summaryLine(task));
  console.log(
    `page ${p.page} of ${
      Math.max(p.total_pages, 1)
    }: ${page.tasks.length} of ${p.total_count} tasks${
      p.has_next ? ` (next: --page ${p.page + 1})` : ""
    }`,
  );
  return 0;
}

async function showCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ["json"]);
  const [ref] = positionals(parsed, ["task_uuid or correlation_id"]);
  if (!ref) throw new UsageError("show needs a task UUID or a correlation id");
  warnIfEphemeral("tasks show");
  await using db = await openCliDatabase();
  const detail = await taskDetail(db, await resolveTaskRef(db, ref));
  if (wantsJson(parsed)) console.log(JSON.stringify(detail));
  else printDetail(detail);
  return 0;
}

async function actionCommand(
  action: "cancel" | "retry" | "resolve",
  args: string[],
): Promise<number> {
  const parsed = parseArgs(args, ["by", "reason"], ["json"]);
  const [taskUuid] = positionals(parsed, ["task_uuid"]);
  if (!taskUuid) throw new UsageError(`${action} needs a task UUID`);
  const actor = actorFlags(parsed);
  warnIfEphemeral(`tasks ${action}`);
  await using db = await openCliDatabase();
  const result = action === "cancel"
    ? await cancelTask(db, taskUuid, actor)
    : action === "retry"
    ? await retryTask(db, taskUuid, actor)
    : await resolveTask(db, taskUuid, actor);
  printAction(parsed, result);
  return 0;
}

/** Prints an action's result: JSON, or one line. */
export function printAction(parsed: ParsedArgs, result: TaskActionResult): void {
  if (wantsJson(parsed)) {
    console.log(JSON.stringify(result));
    return;
  }
  const parts = [`task ${result.task_uuid}: ${result.task_state}`];
  if (result.step) parts.push(`step ${result.step.name}: ${result.step.state}`);
  if (result.cancelled.length > 0) parts.push(`cancelled ${result.cancelled.join(", ")}`);
  if (result.enqueued.length > 0) parts.push(`queued ${result.enqueued.join(", ")}`);
  console.log(parts.join("; "));
}

async function purgeCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["older-than", "namespace", "batch-size"], ["json"]);
  positionals(parsed, []);
  const raw = parsed.values["older-than"];
  if (raw === undefined) throw new UsageError("purge needs --older-than AGE (e.g. 30d)");
  const olderThanMs = parseDuration(raw);
  if (olderThanMs === undefined) {
    throw new UsageError(
      `--older-than must be an age such as 12h, 30d or 2w, got ${JSON.stringify(raw)}`,
    );
  }
  const batchSize = intFlag(parsed, "batch-size", 500, { min: 1, max: 10_000, unit: "tasks" });
  warnIfEphemeral("tasks purge");
  await using db = await openCliDatabase();
  const report = await purgeFinishedTasks(db, {
    olderThanMs,
    batchSize,
    ...(parsed.values.namespace !== undefined ? { namespaces: [parsed.values.namespace] } : {}),
  });
  if (wantsJson(parsed)) console.log(JSON.stringify(report));
  else {
    console.log(
      `purged ${report.tasks} tasks finished before ${report.cutoff} (${report.steps} steps, ${report.events} events, ${report.schedule_fires} schedule fire records)`,
    );
  }
  return 0;
}

function list(flag: string, raw: string): string[] {
  const items = raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`--${flag} needs at least one value`);
  return items;
}

/** A TaskQueryError from a flag is a command-line mistake (exit 2). */
function usageOnQueryError(error: unknown): never {
  if (error instanceof Error && (error as { code?: string }).code === "E_TASK_QUERY") {
    const field = (error as { field?: string }).field ?? "";
    throw new UsageError(`--${field.replace("_", "-")}: ${error.message}`);
  }
  throw error;
}

function summaryLine(task: TaskSummary): string {
  const delayed = task.run_at && Date.parse(task.run_at) > Date.now()
    ? ` runs at ${task.run_at}`
    : "";
  return [
    task.task_uuid,
    task.status.padEnd(11),
    // Tasker's fine-grained state beside the stored one (derived, see task_status.ts).
    task.tasker_state.padEnd(24),
    `${task.namespace}/${task.name}@${task.version}`,
    `${task.steps_complete}/${task.step_count} steps`,
    task.created_at,
  ].join("  ") + (task.tags.length > 0 ? `  [${task.tags.join(",")}]` : "") + delayed;
}

function printDetail(d: TaskDetail): void {
  console.log(
    `task ${d.task_uuid} ${d.namespace}/${d.name}@${d.version}: ${d.status} (tasker: ${d.tasker_state})`,
  );
  console.log(
    `  correlation_id ${d.correlation_id}  created ${d.created_at}${
      d.completed_at ? `  finished ${d.completed_at}` : ""
    }`,
  );
  if (d.run_at) console.log(`  runs at ${d.run_at}`);
  if (d.tags.length > 0) console.log(`  tags ${d.tags.join(", ")}`);
  for (const s of d.steps) {
    const ms = s.started_at && s.completed_at
      ? ` ${Date.parse(s.completed_at) - Date.parse(s.started_at)} ms`
      : "";
    const detail = s.state === "complete"
      ? ` = ${JSON.stringify(s.result)}`
      : s.error
      ? `: ${String(s.error.message ?? JSON.stringify(s.error))}`
      : "";
    console.log(
      `  ${s.name.padEnd(24)} ${
        s.state.padEnd(17)
      } attempts ${s.attempts}/${s.max_attempts}${ms}${detail}`,
    );
  }
  for (const e of d.events) {
    console.log(
      `  event ${e.event_name} (${e.delivery_mode}) ${e.event_id} ${JSON.stringify(e.payload)}`,
    );
  }
}
