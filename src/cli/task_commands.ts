/**
 * `tasker run`, `tasker submit` and `tasker status`.
 *
 * @module
 */

import { withinDeadline } from "../deadline.ts";
import { TemplateRegistry } from "../template/registry.ts";
import { submitTask } from "../worker/submit.ts";
import { type TaskStatus, taskStatus } from "../worker/task_status.ts";
import { Tasker } from "../tasker.ts";
import { parseDuration, resolveTaskRef, taskDetail } from "../worker/task_queries.ts";
import { intFlag, parseArgs, type ParsedArgs, positionals, UsageError } from "./args.ts";
import {
  loadHandlersModule,
  openCliDatabase,
  parseContext,
  parseTemplateRef,
  projectPaths,
  templatesPath,
  wantsJson,
  warnIfEphemeral,
} from "./setup.ts";

/** The JSON `tasker run --json` prints. */
export interface RunReport {
  /** The task's UUID. */
  task_uuid: string;
  /** Its final state. */
  status: TaskStatus["status"];
  /** Tasker's task state, derived from the stored one and the steps'. */
  tasker_state: TaskStatus["tasker_state"];
  /** Each step's state, attempts, result and error. */
  steps: Record<string, { state: string; attempts: number; result: unknown; error: unknown }>;
  /** The events its steps fired. */
  events: { event_name: string; delivery_mode: string; event_id: string }[];
}

/** `{task_uuid, status, tasker_state, steps, events}` from a status. */
export function runReport(status: TaskStatus): RunReport {
  return {
    task_uuid: status.task_uuid,
    status: status.status,
    tasker_state: status.tasker_state,
    steps: status.steps,
    events: status.events.map((e) => ({
      event_name: e.event_name,
      delivery_mode: e.delivery_mode,
      event_id: e.event_id,
    })),
  };
}

/** How long `run` waits for the task by default, in milliseconds. */
export const DEFAULT_RUN_TIMEOUT_MS = 60_000;

/**
 * `run <namespace>/<name>[@version] --context <json> [--json] [--timeout MS]`: submits a task and
 * runs it to the end with an in-process worker. Exit code 0 when it completes, 1 when it ends in
 * error or does not finish within `--timeout` milliseconds (then the in-flight steps get a short
 * grace period and the process ends even if a handler never settles).
 */
export async function runCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["context", "templates", "handlers", "timeout"], ["json"]);
  const [refText] = positionals(parsed, ["namespace/name[@version]"]);
  const ref = parseTemplateRef(refText);
  const context = parseContext(parsed.values.context);
  const timeoutMs = intFlag(parsed, "timeout", DEFAULT_RUN_TIMEOUT_MS, { min: 1, unit: "ms" });
  const paths = await projectPaths(parsed, "run");
  const register = await loadHandlersModule(paths.handlers);
  const tasker = await Tasker.open({
    templates: paths.templates,
    startWorker: false,
    // One task, not a long-running worker: the templates' schedules are not fired.
    runSchedules: false,
    namespaces: [ref.namespace],
    pollIntervalMs: 20,
  });
  let finished = false;
  try {
    register(tasker.handlers, tasker.publishers);
    const task = await tasker.submit({ ...ref, context });
    await tasker.start();
    const done = await tasker.waitFor(task.task_uuid, { timeoutMs });
    await tasker.flush();
    const status = await tasker.status(task.task_uuid);
    if (wantsJson(parsed)) console.log(JSON.stringify(runReport(status)));
    else printStatus(status);
    finished = true;
    return done.status === "complete" ? 0 : 1;
  } finally {
    // After a timeout a handler may never settle: give in-flight steps a short grace, then stop
    // waiting for them (main exits the process, which ends them).
    await closeWithin(tasker, finished ? 10_000 : 1_000);
  }
}

/** Closes `tasker`, giving up waiting after `deadlineMs` plus a second. */
async function closeWithin(tasker: Tasker, deadlineMs: number): Promise<void> {
  await withinDeadline(tasker.close({ deadlineMs }), deadlineMs + 1_000);
}

/** `submit <namespace>/<name>[@version] --context <json>`: prints the new task's UUID. */
export async function submitCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["context", "templates", "delay", "run-at"], ["json"]);
  const [refText] = positionals(parsed, ["namespace/name[@version]"]);
  const ref = parseTemplateRef(refText);
  const context = parseContext(parsed.values.context);
  const delay = delayFlags(parsed);
  const templates = await TemplateRegistry.fromDir(await templatesPath(parsed, "submit"));
  warnIfEphemeral("submit");
  await using db = await openCliDatabase();
  const task = await submitTask(db, templates, { ...ref, context, ...delay });
  console.log(wantsJson(parsed) ? JSON.stringify(task) : task.task_uuid);
  return 0;
}

/** `status <task_uuid|correlation_id> [--json]`. */
export async function statusCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ["json"]);
  const [taskUuid] = positionals(parsed, ["task_uuid"]);
  if (!taskUuid) throw new UsageError("status needs a task UUID or a correlation id");
  warnIfEphemeral("status");
  await using db = await openCliDatabase();
  // A correlation id names its newest task.
  const status = await taskStatus(db, await resolveTaskRef(db, taskUuid));
  const { run_at } = await taskDetail(db, status.task_uuid);
  const waiting = run_at !== null && Date.parse(run_at) > Date.now();
  if (wantsJson(parsed)) {
    console.log(JSON.stringify({ ...runReport(status), ...(run_at ? { run_at } : {}) }));
  } else {
    printStatus(status);
    if (waiting) console.log(`  delayed: its first steps run at ${run_at}`);
  }
  return 0;
}

/** `--delay AGE` or `--run-at TIME` of `submit`, as request fields. */
function delayFlags(parsed: ParsedArgs): { delay_ms?: number; run_at?: string } {
  const { delay, "run-at": runAt } = parsed.values;
  if (delay !== undefined && runAt !== undefined) {
    throw new UsageError("give --delay or --run-at, not both");
  }
  if (delay !== undefined) {
    const ms = parseDuration(delay);
    if (ms === undefined) {
      throw new UsageError(
        `--delay must be an age such as 90s, 15m or 2h, got ${JSON.stringify(delay)}`,
      );
    }
    return { delay_ms: ms };
  }
  if (runAt !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T/.test(runAt) || Number.isNaN(Date.parse(runAt))) {
      throw new UsageError(
        `--run-at must be an ISO 8601 time such as 2026-12-01T09:00:00Z, got ${
          JSON.stringify(runAt)
        }`,
      );
    }
    return { run_at: runAt };
  }
  return {};
}

function printStatus(status: TaskStatus): void {
  console.log(
    `task ${status.task_uuid} ${status.namespace}/${status.name}@${status.version}: ${status.status} (tasker: ${status.tasker_state})`,
  );
  for (const [name, step] of Object.entries(status.steps)) {
    const detail = step.state === "complete"
      ? `= ${JSON.stringify(step.result)}`
      : step.error
      ? `: ${String(step.error.message ?? JSON.stringify(step.error))}`
      : "";
    console.log(
      `  ${name.padEnd(24)} ${step.state.padEnd(17)} attempts ${step.attempts} ${detail}`,
    );
  }
  for (const event of status.events) {
    console.log(`  event ${event.event_name} (${event.delivery_mode}) ${event.event_id}`);
  }
}
