/**
 * The composition root: one call opens the database, the process's single DurableWriter (its own
 * small pool on a server, the same PGlite instance when embedded), the in-process EventBus with
 * its actor system, the registries, and a Worker — wired so that owed durable events are marked
 * sent by the very statement that writes them (the writer's ledger) and recovered after a crash.
 *
 * @module
 */

import { EventBus } from "../bus/event_bus.ts";
import type { EventBusOptions } from "../bus/types.ts";
import type { SubscriberRegistry } from "../bus/subscriber_registry.ts";
import type { Database } from "../durable/db/database.ts";
import { builtinMigrations, migrate } from "../durable/db/migrate.ts";
import { openDatabase } from "../durable/db/open.ts";
import { openPglite } from "../durable/db/pglite.ts";
import { openPostgres } from "../durable/db/postgres.ts";
import { DurableWriter } from "../durable/writer/writer.ts";
import type { DurableWriterTuning } from "../durable/writer/types.ts";
import { readEnv } from "../env.ts";
import { PublisherRegistry } from "../events/publisher_registry.ts";
import { TemplateRegistry } from "../template/registry.ts";
import { allPublisherNames } from "../template/registry.ts";
import { HandlerRegistry } from "./handler_registry.ts";
import { OwedEvents } from "./owed_events.ts";
import {
  claimGuardsMigration,
  dynamicStepsMigration,
  eventHistoryMigration,
  fillfactorMigration,
  operationsMigration,
  taskEngineMigration,
  taskOperationsMigration,
  taskWireColumnsMigration,
} from "./engine_migrations.ts";
import {
  cancelTask,
  completeStep,
  resetStep,
  resolveStep,
  resolveTask,
  type TaskActionResult,
} from "./task_actions.ts";
import { type Transition, type TransitionActor, transitionHistory } from "./transitions.ts";
import {
  type DlqEntry,
  type DlqListOptions,
  type DlqResolution,
  listDlqEntries,
  resolveDlqEntry,
} from "./task_dlq.ts";
import {
  type DetectionOptions,
  type DetectionResult,
  detectStaleTasks,
  StalenessDetector,
  type StalenessDetectorOptions,
} from "./staleness.ts";
import { submitTask, type SubmittedTask, type TaskRequest } from "./submit.ts";
import { type TaskStatus, taskStatus, waitForTask } from "./task_status.ts";
import { Worker, type WorkerStats } from "./worker.ts";
import type { WorkerTuning } from "./worker_options.ts";
import { type ScheduleDefinition, type ScheduleInfo, Scheduler } from "./schedules.ts";
import {
  listTasks,
  type TaskDetail,
  taskDetail,
  type TaskPage,
  type TaskQuery,
} from "./task_queries.ts";
import { purgeFinishedTasks, type PurgeOptions, type PurgeReport } from "./retention.ts";
import { retryTask } from "./task_retry.ts";
import type { TaskerConfig, TaskerConfigSource } from "../observe/config.ts";
import type { HealthOptions, HealthReport } from "../observe/health.ts";
import type { TaskerMetrics } from "../observe/metrics.ts";
import { type ReadinessReport, TaskerObserver } from "../observe/observer.ts";
import { WorkerConfigError } from "./worker_errors.ts";
import { bindTaskerEngine } from "./tasker_engine.ts";

/**
 * The plan cache mode of the pools a Tasker opens on a server: each prepared statement is planned
 * once. Planning the claim statement with each call's values took 1.1 ms against 0.2 ms to run it
 * (statement log, idle worker), and generic plans cut the server's CPU per step by 15% (fsync-on
 * server, concurrency 100). A database handed to `Tasker.open` keeps its own mode; the commit's
 * statements still run generic plans (step_outcomes.ts).
 */
const GENERIC_PLANS = "force_generic_plan";

/** Every migration the framework needs: PGMQ, the `tasker` schema and the task engine. */
export const taskerMigrations: typeof builtinMigrations = [
  ...builtinMigrations,
  taskEngineMigration,
  taskWireColumnsMigration,
  claimGuardsMigration,
  dynamicStepsMigration,
  operationsMigration,
  taskOperationsMigration,
  eventHistoryMigration,
  fillfactorMigration,
];

/** Where the data lives. */
export interface TaskerDatabaseOptions {
  /** PostgreSQL URL; default `DATABASE_URL`, else embedded PGlite. */
  url?: string;
  /** PGlite data directory; default `TASKER_DATA_DIR`, else in memory. */
  dataDir?: string;
  /** Pool size of the task engine's pool on a server. Default 10. */
  poolSize?: number;
  /** Pool size of the durable writer's own pool on a server. Default 4. */
  writerPoolSize?: number;
  /**
   * On a server, most SQL texts each pool runs as prepared statements. Default 500; `0` prepares
   * none (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: number;
  /** Use embedded PGlite even when `DATABASE_URL` is set. */
  embedded?: boolean;
}

/** Options of {@link Tasker.open}. */
export interface TaskerOptions extends WorkerTuning {
  /** Templates: a registry, or a directory to load. */
  templates: TemplateRegistry | string;
  /** Handlers by callable. Default an empty registry (register before `start`). */
  handlers?: HandlerRegistry;
  /** Custom publishers. */
  publishers?: PublisherRegistry;
  /** Class-style subscribers, started on the bus at open. */
  subscribers?: SubscriberRegistry;
  /** Where the data lives, or an open database (not closed by the Tasker). */
  database?: TaskerDatabaseOptions | Database;
  /** Batching, buffer and retry tuning of the durable writer. */
  writer?: DurableWriterTuning;
  /**
   * When a step's durable and broadcast events are written into PGMQ. `"with_outcome"`
   * (default): in the transaction that records the step's outcome — atomic, nothing is ever
   * owed, and the fastest; a queue table that cannot be written holds the step's commit back
   * (it is retried) instead. `"after_commit"`: stored with the outcome as owed, then written by
   * the writer's own batches; a stalled queue never delays a step, and owed events are
   * recovered after a crash.
   */
  durableEventWrites?: "with_outcome" | "after_commit";
  /** Defaults for bus subscribers. */
  bus?: EventBusOptions;
  /** Start the worker at once. Default true. */
  startWorker?: boolean;
  /**
   * Fire recurring schedules (the templates' `schedules:` and `schedule()`) while the worker
   * runs. Default true; `tasker run` turns it off.
   */
  runSchedules?: boolean;
  /**
   * The staleness detector (staleness.ts): every `intervalMs` (default 300 000) one pass across
   * all workers fails tasks stuck past their template's `lifecycle` thresholds and files them in
   * the task DLQ. `false`: not run by this process.
   */
  staleness?: StalenessDetectorOptions | false;
}

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
export class Tasker implements AsyncDisposable {
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
  #runSchedules = true;
  #closing: Promise<void> | undefined;

  private constructor(parts: {
    db: Database;
    templates: TemplateRegistry;
    handlers: HandlerRegistry;
    publishers: PublisherRegistry;
    bus: EventBus;
    writer: DurableWriter;
    worker: Worker;
    owed: OwedEvents;
    ownedDatabases: Database[];
    subscribers: SubscriberRegistry | undefined;
    staleness?: StalenessDetectorOptions | false;
    configSource: TaskerConfigSource;
  }) {
    this.db = parts.db;
    this.templates = parts.templates;
    this.handlers = parts.handlers;
    this.publishers = parts.publishers;
    this.bus = parts.bus;
    this.#writer = parts.writer;
    this.#worker = parts.worker;
    this.#ownedDatabases = parts.ownedDatabases;
    this.#subscribers = parts.subscribers;
    this.#observer = new TaskerObserver(
      { db: parts.db, bus: parts.bus, worker: parts.worker, writer: parts.writer },
      parts.configSource,
    );
    this.#scheduler = new Scheduler({
      db: parts.db,
      templates: parts.templates,
      workerId: parts.worker.id,
      onFire: () => parts.worker.wake(),
    });
    this.#staleness = parts.staleness === false
      ? undefined
      : new StalenessDetector(parts.db, parts.templates, parts.staleness);
    bindTaskerEngine(this, {
      worker: parts.worker,
      writer: parts.writer,
      owed: parts.owed,
      observer: this.#observer,
      staleness: this.#staleness,
    });
  }

  /**
   * Opens everything (and migrates); starts the worker unless `startWorker: false`.
   *
   * @throws {DatabaseUnavailableError} when the database cannot be reached
   * @throws {TemplateValidationError} when a template directory does not load
   * @throws {MissingHandlersError} when starting the worker and a step has no handler
   */
  static async open(options: TaskerOptions): Promise<Tasker> {
    const writes = options.durableEventWrites;
    if (writes !== undefined && writes !== "with_outcome" && writes !== "after_commit") {
      throw new WorkerConfigError(
        `durableEventWrites must be "with_outcome" or "after_commit", got ${
          JSON.stringify(writes)
        }`,
      );
    }
    const templates = typeof options.templates === "string"
      ? await TemplateRegistry.fromDir(options.templates)
      : options.templates;
    const owned: Database[] = [];
    const given = isDatabase(options.database) ? options.database : undefined;
    const settings = isDatabase(options.database) ? {} : options.database ?? {};
    let db: Database;
    let writerDb: Database;
    let url: string | undefined;
    try {
      if (given) {
        db = given;
        await migrate(db, taskerMigrations);
        writerDb = db;
      } else {
        db = settings.embedded
          ? await openPglite({ dataDir: settings.dataDir ?? readEnv("TASKER_DATA_DIR") })
          : await openDatabase({ ...settings, migrate: false, planCacheMode: GENERIC_PLANS });
        owned.push(db);
        await migrate(db, taskerMigrations);
        url = settings.embedded ? undefined : settings.url ?? readEnv("DATABASE_URL");
        // On a server the writer gets its own small pool, so step transactions and event
        // batches never queue behind each other; PGlite is one connection shared by both.
        writerDb = db.kind === "postgres" && url !== undefined
          ? await openPostgres({
            url,
            poolSize: settings.writerPoolSize ?? 4,
            preparedStatements: settings.preparedStatements,
            planCacheMode: GENERIC_PLANS,
          })
          : db;
        if (writerDb !== db) owned.push(writerDb);
      }
    } catch (error) {
      await Promise.allSettled(owned.map((d) => d.close()));
      throw error;
    }
    const handlers = options.handlers ?? new HandlerRegistry();
    const publishers = options.publishers ?? new PublisherRegistry();
    const owed = new OwedEvents();
    const writer = new DurableWriter({
      ...options.writer,
      db: writerDb,
      ledger: owed.ledger,
    });
    const bus = new EventBus(options.bus);
    options.subscribers?.startAll(bus);
    const worker = new Worker({
      db,
      templates,
      handlers,
      publishers,
      bus,
      writer,
      owed,
      // The writer's pool is on the engine's database: events go in with the outcomes.
      ...(options.durableEventWrites === "after_commit"
        ? {}
        : { eventsWithOutcomes: writer.transactional() }),
      namespaces: options.namespaces,
      concurrency: options.concurrency,
      pollIntervalMs: options.pollIntervalMs,
      leaseSeconds: options.leaseSeconds,
      foreignTimeoutSeconds: options.foreignTimeoutSeconds,
      shutdownGraceMs: options.shutdownGraceMs,
      recovery: options.recovery,
      workerId: options.workerId,
      random: options.random,
      stepTracer: options.stepTracer,
      listen: options.listen,
      recordStepTransitions: options.recordStepTransitions,
    });
    const tasker = new Tasker({
      db,
      templates,
      handlers,
      publishers,
      bus,
      writer,
      worker,
      owed,
      ownedDatabases: owned,
      subscribers: options.subscribers,
      staleness: options.staleness,
      configSource: {
        url,
        dataDir: settings.dataDir,
        poolSize: settings.poolSize,
        writerPoolSize: settings.writerPoolSize,
        databaseGiven: given !== undefined,
        writer: options.writer,
        bus: options.bus?.defaults,
      },
    });
    tasker.#runSchedules = options.runSchedules !== false;
    if (options.startWorker !== false) {
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

  /** Submits a task and wakes the local worker. */
  async submit(request: TaskRequest): Promise<SubmittedTask> {
    const task = await submitTask(this.db, this.templates, request);
    this.#worker.wake();
    return task;
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

  /** A task's state changes and its steps', oldest first: who, when, why. */
  transitions(taskUuid: string): Promise<Transition[]> {
    return transitionHistory(this.db, taskUuid);
  }

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

  /** A task's status, steps and fired events. */
  status(taskUuid: string): Promise<TaskStatus> {
    return taskStatus(this.db, taskUuid);
  }

  /** Waits until a task is finished: complete, in error, cancelled or resolved by hand. */
  waitFor(taskUuid: string, options: { timeoutMs?: number } = {}): Promise<TaskStatus> {
    return waitForTask(this.db, taskUuid, options);
  }

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

  /**
   * Graceful shutdown, in dependency order: stop claiming and let in-flight steps finish, drain
   * subscriber mailboxes, flush the durable writer, close the pools. Idempotent.
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.deadlineMs ?? 10_000);
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

function isDatabase(value: unknown): value is Database {
  return typeof value === "object" && value !== null &&
    typeof (value as Database).transaction === "function";
}
