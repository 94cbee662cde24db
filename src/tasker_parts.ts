/**
 * Opening and wiring the parts of a Tasker from its settled options: the templates, the
 * database (migrated) and, on a server, the durable writer's own small pool; then the writer,
 * the bus with its subscribers, the worker (wired so that owed durable events are marked sent by
 * the very statement that writes them: the writer's ledger), the observer, the scheduler and the
 * staleness detector. `Tasker` composes what this returns.
 *
 * @module
 */

import { EventBus } from "./bus/event_bus.ts";
import type { SubscriberRegistry } from "./bus/subscriber_registry.ts";
import type { Database } from "./durable/db/database.ts";
import { migrate } from "./durable/db/migrate.ts";
import { openPglite } from "./durable/db/pglite.ts";
import { openPostgres } from "./durable/db/postgres.ts";
import { DurableWriter } from "./durable/writer/writer.ts";
import { PublisherRegistry } from "./events/publisher_registry.ts";
import { TaskerObserver } from "./observe/observer.ts";
import { TemplateRegistry } from "./template/registry.ts";
import { taskerMigrations } from "./worker/engine_migrations.ts";
import { HandlerRegistry } from "./worker/handler_registry.ts";
import { OwedEvents } from "./worker/owed_events.ts";
import { Scheduler } from "./worker/schedules.ts";
import { StalenessDetector } from "./worker/staleness.ts";
import { Worker } from "./worker/worker.ts";
import type { ResolvedTaskerOptions, TaskerDatabasePlan } from "./tasker_options.ts";

/** Everything a Tasker is made of, open and wired. */
export interface TaskerParts {
  /** The task engine's database. */
  readonly db: Database;
  /** The databases the Tasker opened and closes (the engine's, then the writer's pool). */
  readonly ownedDatabases: Database[];
  /** Templates this process runs. */
  readonly templates: TemplateRegistry;
  /** Handlers by callable. */
  readonly handlers: HandlerRegistry;
  /** Custom publishers by name. */
  readonly publishers: PublisherRegistry;
  /** Class-style subscribers, started on the bus. */
  readonly subscribers: SubscriberRegistry | undefined;
  /** The in-process bus. */
  readonly bus: EventBus;
  /** The process's one DurableWriter. */
  readonly writer: DurableWriter;
  /** Owed-event bookkeeping shared by the worker and the writer. */
  readonly owed: OwedEvents;
  /** The step worker. */
  readonly worker: Worker;
  /** Health, metrics and configuration. */
  readonly observer: TaskerObserver;
  /** Recurring schedules. */
  readonly scheduler: Scheduler;
  /** The staleness detector, unless `staleness: false`. */
  readonly staleness: StalenessDetector | undefined;
}

/**
 * Loads the templates, opens (and migrates) the databases, and builds the parts on them.
 * Nothing is started: the worker, the scheduler and the detector start with `Tasker.start()`.
 *
 * @param resolved the settled options (`resolveTaskerOptions`)
 * @returns the wired parts
 * @throws {DatabaseUnavailableError} when the database cannot be reached
 * @throws {TemplateValidationError} when a template directory does not load
 *
 * @example
 * ```ts ignore
 * const parts = await openTaskerParts(resolveTaskerOptions({ templates: "./templates" }));
 * console.log(parts.worker.id, parts.db.kind);
 * ```
 */
export async function openTaskerParts(resolved: ResolvedTaskerOptions): Promise<TaskerParts> {
  const options = resolved.given;
  const templates = typeof options.templates === "string"
    ? await TemplateRegistry.fromDir(options.templates)
    : options.templates;
  const { db, writerDb, owned } = await openDatabases(resolved.database);
  // Building a part can still fail (a bad worker option): close what is open, then rethrow.
  const built: { bus?: EventBus; writer?: DurableWriter } = {};
  try {
    return buildParts(resolved, templates, db, writerDb, owned, built);
  } catch (error) {
    await built.bus?.close({ deadlineMs: 1_000 }).catch(() => {});
    await built.writer?.close().catch(() => {});
    await Promise.allSettled(owned.map((d) => d.close()));
    throw error;
  }
}

/** The parts on open databases; records the bus and writer in `built` as soon as they exist. */
function buildParts(
  resolved: ResolvedTaskerOptions,
  templates: TemplateRegistry,
  db: Database,
  writerDb: Database,
  owned: Database[],
  built: { bus?: EventBus; writer?: DurableWriter },
): TaskerParts {
  const options = resolved.given;
  const handlers = options.handlers ?? new HandlerRegistry();
  const publishers = options.publishers ?? new PublisherRegistry();
  const owed = new OwedEvents();
  const writer = new DurableWriter({ ...options.writer, db: writerDb, ledger: owed.ledger });
  built.writer = writer;
  const bus = new EventBus(options.bus);
  built.bus = bus;
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
    ...(resolved.durableEventWrites === "after_commit"
      ? {}
      : { eventsWithOutcomes: writer.transactional() }),
    namespaces: options.namespaces,
    concurrency: options.concurrency,
    pollIntervalMs: options.pollIntervalMs,
    listeningPollIntervalMs: options.listeningPollIntervalMs,
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
  const observer = new TaskerObserver({ db, bus, worker, writer }, resolved.configSource);
  const scheduler = new Scheduler({
    db,
    templates,
    workerId: worker.id,
    onFire: () => worker.wake(),
  });
  const staleness = options.staleness === false
    ? undefined
    : new StalenessDetector(db, templates, options.staleness);
  return {
    db,
    ownedDatabases: owned,
    templates,
    handlers,
    publishers,
    subscribers: options.subscribers,
    bus,
    writer,
    owed,
    worker,
    observer,
    scheduler,
    staleness,
  };
}

/** The engine's database (migrated) and the writer's; on failure, closes what it opened. */
async function openDatabases(
  plan: TaskerDatabasePlan,
): Promise<{ db: Database; writerDb: Database; owned: Database[] }> {
  const owned: Database[] = [];
  try {
    if (plan.kind === "given") {
      await migrate(plan.db, taskerMigrations);
      return { db: plan.db, writerDb: plan.db, owned };
    }
    const { target } = plan;
    const pool = (url: string, poolSize: number | undefined) =>
      openPostgres({
        url,
        poolSize,
        preparedStatements: plan.preparedStatements,
        planCacheMode: plan.planCacheMode,
      });
    const db = target.kind === "postgres"
      ? await pool(target.url, plan.poolSize)
      : await openPglite({ dataDir: target.dataDir });
    owned.push(db);
    await migrate(db, taskerMigrations);
    // On a server the writer gets its own small pool, so step transactions and event batches
    // never queue behind each other; PGlite is one connection shared by both.
    const writerDb = target.kind === "postgres" ? await pool(target.url, plan.writerPoolSize) : db;
    if (writerDb !== db) owned.push(writerDb);
    return { db, writerDb, owned };
  } catch (error) {
    await Promise.allSettled(owned.map((d) => d.close()));
    throw error;
  }
}
