/**
 * The composition root: `Tasker.open` settles the options (tasker_options.ts), opens and wires the
 * parts (tasker_parts.ts: database, the process's single DurableWriter, the in-process EventBus
 * with its actor system, the registries, a Worker, the observer), and the Tasker composes them:
 * the task API over the worker's database, health and metrics from the observer, and shutdown in
 * dependency order. It stands above the engine (worker/) and observability (observe/), which
 * reads it through interfaces of its own (observe/observed.ts).
 *
 * @module
 */

import type { EventBus } from "./bus/event_bus.ts";
import type { SubscriberRegistry } from "./bus/subscriber_registry.ts";
import type { Database } from "./durable/db/database.ts";
import type { DurableWriter } from "./durable/writer/writer.ts";
import type { PublisherRegistry } from "./events/publisher_registry.ts";
import type { TaskerConfig } from "./observe/config.ts";
import type { HealthOptions, HealthReport } from "./observe/health.ts";
import type { TaskerMetrics } from "./observe/metrics.ts";
import type { ObservedTasker } from "./observe/observed.ts";
import type { ReadinessReport, TaskerObserver } from "./observe/observer.ts";
import { allPublisherNames, type TemplateRegistry } from "./template/registry.ts";
import type { HandlerRegistry } from "./worker/handler_registry.ts";
import {
  cancelTask,
  completeStep,
  resetStep,
  resolveStep,
  resolveTask,
  type TaskActionResult,
} from "./worker/task_actions.ts";
import { type Transition, type TransitionActor, transitionHistory } from "./worker/transitions.ts";
import {
  type DlqEntry,
  type DlqListOptions,
  type DlqResolution,
  listDlqEntries,
  resolveDlqEntry,
} from "./worker/task_dlq.ts";
import {
  type DetectionOptions,
  type DetectionResult,
  detectStaleTasks,
  type StalenessDetector,
} from "./worker/staleness.ts";
import { submitTask, type SubmittedTask, type TaskRequest } from "./worker/submit.ts";
import { type TaskStatus, taskStatus, waitForTask } from "./worker/task_status.ts";
import type { Worker } from "./worker/worker.ts";
import type { WorkerStats } from "./worker/worker_options.ts";
import type { ScheduleDefinition, ScheduleInfo, Scheduler } from "./worker/schedules.ts";
import {
  listTasks,
  type TaskDetail,
  taskDetail,
  type TaskPage,
  type TaskQuery,
} from "./worker/task_queries.ts";
import { purgeFinishedTasks, type PurgeOptions, type PurgeReport } from "./worker/retention.ts";
import { retryTask } from "./worker/task_retry.ts";
import { bindTaskerEngine } from "./tasker_engine.ts";
import { resolveTaskerOptions, TASKER_DEFAULTS, type TaskerOptions } from "./tasker_options.ts";
import { openTaskerParts, type TaskerParts } from "./tasker_parts.ts";

/**
 * A running deno-tasker process: database, writer, bus, registries and worker. The engine (its
 * worker and writer) is private; `stats()`, `flush()`, `health()`, `metrics()`, `ready()` and
 * `config()` are how an application looks at it.
 *
 * @example
 * ```ts ignore
 * import { success, Tasker } from "@deno-tasker/tasker";
 * // ./templates/greeting.yaml: namespace_name hello, name greeting, one step `greet` whose
 * // handler callable is hello.greet.
 * await using tasker = await Tasker.open({ templates: "./templates", startWorker: false });
 * tasker.handlers.register("hello.greet", (ctx) => success({ greeting: `hi ${ctx.input("name")}` }));
 * await tasker.start();
 * const task = await tasker.submit({ namespace: "hello", name: "greeting", context: { name: "ada" } });
 * const done = await tasker.waitFor(task.task_uuid);
 * console.log(done.steps.greet?.result, tasker.stats().succeeded); // { greeting: "hi ada" } 1
 * ```
 */
export class Tasker implements ObservedTasker, AsyncDisposable {
  /** The task engine's database. */
  readonly db: Database;
  /** Templates this process runs. */
  readonly templates: TemplateRegistry;
  /** Handlers by callable. */
  readonly handlers: HandlerRegistry;
  /** Custom publishers by name. */
  readonly publishers: PublisherRegistry;
  /** The in-process bus for fast and broadcast events. */
  readonly bus: EventBus;
  // The engine stays private (this package's modules reach it through tasker_engine.ts), so
  // that the public API documents what an application uses and not the engine's types.
  readonly #writer: DurableWriter;
  readonly #worker: Worker;
  readonly #observer: TaskerObserver;
  /** Recurring schedules this process runs (see `schedule()`). */
  readonly #scheduler: Scheduler;
  /** The staleness detector this process runs (unless `staleness: false`). */
  readonly #staleness: StalenessDetector | undefined;
  readonly #ownedDatabases: Database[];
  readonly #subscribers: SubscriberRegistry | undefined;
  readonly #runSchedules: boolean;
  #closing: Promise<void> | undefined;

  private constructor(parts: TaskerParts, runSchedules: boolean) {
    this.db = parts.db;
    this.templates = parts.templates;
    this.handlers = parts.handlers;
    this.publishers = parts.publishers;
    this.bus = parts.bus;
    this.#writer = parts.writer;
    this.#worker = parts.worker;
    this.#observer = parts.observer;
    this.#scheduler = parts.scheduler;
    this.#staleness = parts.staleness;
    this.#ownedDatabases = parts.ownedDatabases;
    this.#subscribers = parts.subscribers;
    this.#runSchedules = runSchedules;
    bindTaskerEngine(this, {
      worker: parts.worker,
      writer: parts.writer,
      owed: parts.owed,
      observer: parts.observer,
      staleness: parts.staleness,
    });
  }

  /**
   * Opens everything (and migrates); starts the worker unless `startWorker: false`.
   *
   * @throws {WorkerConfigError} for a `durableEventWrites` that is not one of its two values
   * @throws {DatabaseUnavailableError} when the database cannot be reached
   * @throws {TemplateValidationError} when a template directory does not load
   * @throws {MissingHandlersError} when starting the worker and a step has no handler
   */
  static async open(options: TaskerOptions): Promise<Tasker> {
    const resolved = resolveTaskerOptions(options);
    const tasker = new Tasker(await openTaskerParts(resolved), resolved.runSchedules);
    if (resolved.startWorker) {
      try {
        await tasker.start();
      } catch (error) {
        await tasker.close();
        throw error;
      }
    }
    return tasker;
  }

  /**
   * Validates handlers and publishers against the templates and starts the worker. A publisher
   * a template names but nobody registered is reported once; at run time it falls back to the
   * default publisher (counted).
   */
  async start(): Promise<void> {
    const missing = this.publishers.validateRequired(allPublisherNames(this.templates.list()));
    if (missing.length > 0) {
      console.warn(
        `deno-tasker: templates name publishers that are not registered (the default publisher will be used): ${
          missing.join(", ")
        }`,
      );
    }
    if (this.#runSchedules) this.#scheduler.addTemplateSchedules();
    await this.#worker.start();
    if (this.#runSchedules) this.#scheduler.start();
    this.#staleness?.start();
  }

  // Tasks: submitting, following and finding them.

  /** Submits a task and wakes the local worker. */
  async submit(request: TaskRequest): Promise<SubmittedTask> {
    const task = await submitTask(this.db, this.templates, request);
    this.#worker.wake();
    return task;
  }

  /** A task's status, steps and fired events. */
  status(taskUuid: string): Promise<TaskStatus> {
    return taskStatus(this.db, taskUuid);
  }

  /** Waits until a task is finished: complete, in error, cancelled or resolved by hand. */
  waitFor(taskUuid: string, options: { timeoutMs?: number } = {}): Promise<TaskStatus> {
    return waitForTask(this.db, taskUuid, options);
  }

  /**
   * Lists tasks by namespace, name, state, creation time, correlation id and tags, newest
   * first, a page at a time (`{tasks, pagination}`).
   *
   * @throws {TaskQueryError} for an unknown state or a page outside its bounds
   */
  listTasks(query: TaskQuery = {}): Promise<TaskPage> {
    return listTasks(this.db, query);
  }

  /** One task in full: its steps with their timing, and every event with its payload. */
  task(taskUuid: string): Promise<TaskDetail> {
    return taskDetail(this.db, taskUuid);
  }

  /** A task's state changes and its steps', oldest first: who, when, why. */
  transitions(taskUuid: string): Promise<Transition[]> {
    return transitionHistory(this.db, taskUuid);
  }

  // Operator actions on tasks and steps (those that release work wake the local worker).

  /**
   * Cancels a task: unfinished steps never run, running handlers are aborted (`ClaimLostError`)
   * at their next lease renewal and record nothing; the task ends `cancelled`.
   *
   * @throws {InvalidTransitionError} when the task is already finished
   * @throws {TaskNotFoundError} for an unknown task
   */
  cancel(taskUuid: string, actor: TransitionActor): Promise<TaskActionResult> {
    return cancelTask(this.db, taskUuid, actor);
  }

  /**
   * Retries a failed task: every step in `error` runs again with fresh attempts (as
   * `resetStep`), and the task is `in_progress` again.
   *
   * @throws {InvalidTransitionError} when none of its steps is in `error` (e.g. it is running)
   * @throws {TaskNotFoundError} for an unknown task
   */
  async retry(taskUuid: string, actor: TransitionActor): Promise<TaskActionResult> {
    const done = await retryTask(this.db, taskUuid, actor, this.templates);
    this.#worker.wake();
    return done;
  }

  /** Settles a task by hand (also from `error`): like `cancel`, ending `resolved_manually`. */
  resolveTask(taskUuid: string, actor: TransitionActor): Promise<TaskActionResult> {
    return resolveTask(this.db, taskUuid, actor);
  }

  /**
   * Retries a step in `error` afresh (attempts from 0); its task leaves `error` when no other
   * step is in error.
   *
   * @param step the step's name or UUID
   * @throws {InvalidTransitionError} when the step is not in `error`
   */
  async resetStep(
    taskUuid: string,
    step: string,
    actor: TransitionActor,
  ): Promise<TaskActionResult> {
    const done = await resetStep(this.db, taskUuid, step, actor, this.templates);
    this.#worker.wake();
    return done;
  }

  /** Marks a step `resolved_manually`: it does not run; its dependants proceed without a result. */
  async resolveStep(
    taskUuid: string,
    step: string,
    actor: TransitionActor,
  ): Promise<TaskActionResult> {
    const done = await resolveStep(this.db, this.templates, taskUuid, step, actor);
    this.#worker.wake();
    return done;
  }

  /** Completes a step by hand with `result`, which its dependants see as its result. */
  async completeStep(
    taskUuid: string,
    step: string,
    result: unknown,
    actor: TransitionActor,
  ): Promise<TaskActionResult> {
    const done = await completeStep(this.db, this.templates, taskUuid, step, result, actor);
    this.#worker.wake();
    return done;
  }

  // The task DLQ and the staleness detector.

  /** Task-DLQ entries, newest first (filter by status or task). */
  dlqEntries(options?: DlqListOptions): Promise<DlqEntry[]> {
    return listDlqEntries(this.db, options);
  }

  /** Resolves a pending DLQ entry with the investigation's outcome. */
  resolveDlqEntry(entryUuid: string, resolution: DlqResolution): Promise<DlqEntry> {
    return resolveDlqEntry(this.db, entryUuid, resolution);
  }

  /** Runs one staleness pass now (the detector's periodic passes run the same). */
  detectStaleTasks(options?: DetectionOptions): Promise<DetectionResult> {
    return detectStaleTasks(this.db, this.templates, options);
  }

  // Recurring schedules and retention.

  /**
   * Adds a recurring schedule: `cron` (five fields, read in `timezone`) submits the task each
   * time it comes round; among all workers running it exactly one fires each occurrence.
   *
   * @throws {ScheduleError} for a bad cron or time zone, an unknown template or a bad context
   */
  schedule(definition: ScheduleDefinition): void {
    this.#scheduler.add(definition);
  }

  /** The schedules this process runs, with their next occurrence. */
  schedules(): ScheduleInfo[] {
    return this.#scheduler.list();
  }

  /** Deletes finished tasks older than `olderThanMs`, with their steps and events, in batches. */
  purge(options: PurgeOptions): Promise<PurgeReport> {
    return purgeFinishedTasks(this.db, options);
  }

  // Looking at the process: the observer's reports, the worker's counters, the writer's flush.

  /**
   * The health report: database (a real probe under a short deadline), worker, durable writer,
   * step queues, actor system and each supervised actor. Never throws.
   *
   * @param options thresholds and the probe deadline
   */
  health(options?: HealthOptions): Promise<HealthReport> {
    return this.#observer.health(options);
  }

  /** A metrics snapshot: steps, step time, events by path, actors and queue depths. */
  metrics(): Promise<TaskerMetrics> {
    return this.#observer.metrics();
  }

  /** The effective configuration, with the database password redacted and no token. */
  config(): TaskerConfig {
    return this.#observer.config();
  }

  /**
   * Readiness (what `/health/ready` answers): the worker runs (started, not closing) and the
   * database answers within `timeoutMs` (default 2000).
   */
  ready(options?: { timeoutMs?: number }): Promise<ReadinessReport> {
    return this.#observer.ready(options);
  }

  /** This process's worker id: in claims, health, metrics and transitions (`worker:<id>`). */
  get workerId(): string {
    return this.#worker.id;
  }

  /** The step worker's counters now: attempts processed, succeeded, failed, retried, running. */
  stats(): WorkerStats {
    return this.#worker.stats();
  }

  /**
   * Resolves once every durable and broadcast event enqueued so far is in its PGMQ queue (they
   * are written in batches, normally within milliseconds); e.g. before reading a queue in a test.
   */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  // Shutdown.

  /**
   * Graceful shutdown, in dependency order: stop claiming and let in-flight steps finish, drain
   * subscriber mailboxes, flush the durable writer, close the pools. Idempotent.
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.deadlineMs ?? TASKER_DEFAULTS.closeDeadlineMs);
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(deadlineMs: number): Promise<void> {
    await this.#staleness?.close();
    await this.#scheduler.close();
    await this.#worker.close({ deadlineMs });
    await this.#subscribers?.stopAll();
    await this.bus.close({ deadlineMs });
    await this.#writer.close({ deadlineMs });
    for (const db of this.#ownedDatabases.reverse()) await db.close();
    this.#observer.close();
  }
}
