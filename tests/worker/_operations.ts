// Helpers for the operations tests (identity, operator actions, staleness, priority): a Tasker
// on the test's database running one inline template in a namespace of its own, with handlers
// given by the test.
import type { Database } from "../../src/durable/db/database.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import type { TaskState } from "../../src/worker/step_store.ts";
import type { TaskStatus } from "../../src/worker/task_status.ts";
import { Tasker } from "../../src/tasker.ts";
import type { TaskerOptions } from "../../src/tasker_options.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import type { StepHandler } from "../../src/worker/step_handler.ts";
import { uniqueName } from "../_db.ts";
import { parseTemplateIn } from "./_engine.ts";

/** A template from YAML (its `namespace_name` replaced by a fresh one). */
export function inlineTemplate(yaml: string, prefix = "ops"): TaskTemplate {
  return parseTemplateIn(yaml, uniqueName(prefix));
}

/** A Tasker running `templates` with `handlers` (callable → handler); started unless told not. */
export async function operationsTasker(
  db: Database,
  templates: TaskTemplate | TaskTemplate[],
  handlers: Record<string, StepHandler>,
  options: Partial<TaskerOptions> = {},
): Promise<Tasker> {
  const registry = new HandlerRegistry();
  for (const [callable, handler] of Object.entries(handlers)) registry.register(callable, handler);
  const tasker = await Tasker.open({
    templates: TemplateRegistry.fromTemplates([templates].flat()),
    database: db,
    pollIntervalMs: 10,
    staleness: false,
    ...options,
    handlers: registry,
    startWorker: false,
  });
  if (options.startWorker !== false) await tasker.start();
  return tasker;
}

/** Polls `status` until `done` holds (or 20 s pass). */
export async function until(
  tasker: Tasker,
  taskUuid: string,
  done: (status: TaskStatus) => boolean,
  what: string,
): Promise<TaskStatus> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const status = await tasker.status(taskUuid);
    if (done(status)) return status;
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(status.steps)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits for the task to reach `state`. */
export function untilTask(tasker: Tasker, taskUuid: string, state: TaskState): Promise<TaskStatus> {
  return until(tasker, taskUuid, (s) => s.status === state, `task ${state}`);
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
