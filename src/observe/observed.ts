/**
 * What the observability layer reads of a running Tasker, as interfaces of its own: the task API
 * it serves ({@link ObservedTasker}) and the engine parts it measures ({@link ObservedParts}).
 * The composition root (`src/tasker.ts`) implements them, so this layer depends on what it reads
 * and never on the Tasker that composes it (which itself builds the observer).
 *
 * @module
 */

import type { EventBus } from "../bus/event_bus.ts";
import type { Database } from "../durable/db/database.ts";
import type { DurableWriterStats } from "../durable/writer/types.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { EventRouterStats } from "../worker/event_router.ts";
import type { SubmittedTask, TaskRequest } from "../worker/submit.ts";
import type { TaskActionResult } from "../worker/operator_action.ts";
import type { TaskDetail } from "../worker/task_detail.ts";
import type { TaskPage, TaskQuery } from "../worker/task_queries.ts";
import type { TransitionActor } from "../worker/transitions.ts";
import type {
  OutcomeListener,
  WorkerSettings,
  WorkerState,
  WorkerStats,
} from "../worker/worker_options.ts";

/** What observability reads of the step worker: its identity, state, counters and outcomes. */
export interface ObservedWorker {
  /** The worker's id (in claims, health and metrics). */
  readonly id: string;
  /** Where it is in its life. */
  readonly state: WorkerState;
  /** Its step counters now. */
  stats(): WorkerStats;
  /** Its event router's counters now. */
  routerStats(): EventRouterStats;
  /** Its effective settings. */
  settings(): WorkerSettings;
  /** Calls `listener` after each recorded outcome; returns the unsubscribe function. */
  onOutcome(listener: OutcomeListener): () => void;
}

/** What observability reads of the durable writer: its counters. */
export interface ObservedWriter {
  /** Its counters now. */
  stats(): DurableWriterStats;
}

/** The engine parts of a Tasker that its observer measures. */
export interface ObservedParts {
  /** The task engine's database. */
  readonly db: Database;
  /** The in-process bus (its actor system's stats). */
  readonly bus: EventBus;
  /** The step worker. */
  readonly worker: ObservedWorker;
  /** The process's DurableWriter. */
  readonly writer: ObservedWriter;
}

/**
 * What the observability server, the inspector and the OpenTelemetry instrumentation read of a
 * Tasker through its public API: its templates, its bus and the task operations the HTTP task
 * API serves. A `Tasker` is one.
 *
 * @example
 * ```ts ignore
 * import { Tasker } from "@deno-tasker/tasker";
 * import type { ObservedTasker } from "@deno-tasker/tasker/observe";
 * const observed: ObservedTasker = await Tasker.open({ templates: "./templates" });
 * console.log(observed.templates.list().length);
 * ```
 */
export interface ObservedTasker {
  /** The templates it runs. */
  readonly templates: TemplateRegistry;
  /** The in-process bus for fast and broadcast events. */
  readonly bus: EventBus;
  /** Submits a task (and wakes the worker). */
  submit(request: TaskRequest): Promise<SubmittedTask>;
  /** Lists tasks, a page at a time. */
  listTasks(query?: TaskQuery): Promise<TaskPage>;
  /** One task in full. */
  task(taskUuid: string): Promise<TaskDetail>;
  /** Cancels a task. */
  cancel(taskUuid: string, actor: TransitionActor): Promise<TaskActionResult>;
  /** Settles a task by hand. */
  resolveTask(taskUuid: string, actor: TransitionActor): Promise<TaskActionResult>;
  /** Retries a failed task. */
  retry(taskUuid: string, actor: TransitionActor): Promise<TaskActionResult>;
  /** Retries a step in `error` afresh. */
  resetStep(taskUuid: string, step: string, actor: TransitionActor): Promise<TaskActionResult>;
  /** Marks a step resolved by hand. */
  resolveStep(taskUuid: string, step: string, actor: TransitionActor): Promise<TaskActionResult>;
  /** Completes a step by hand with `result`. */
  completeStep(
    taskUuid: string,
    step: string,
    result: unknown,
    actor: TransitionActor,
  ): Promise<TaskActionResult>;
}
