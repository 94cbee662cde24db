/**
 * The options of `Tasker.open` and their one resolver: every default a Tasker chooses stands in
 * {@link TASKER_DEFAULTS}, the environment (`DATABASE_URL`, `TASKER_DATA_DIR`) is read only
 * through `databaseTarget` (src/durable/db/open.ts, which `openDatabase` decides with too), and
 * {@link resolveTaskerOptions} checks and settles everything before anything is opened. The
 * pools' own defaults (size 10, 500 prepared statements) and the worker's (`WORKER_DEFAULTS`)
 * stay with the parts that apply them.
 *
 * @module
 */

import type { EventBusOptions } from "./bus/types.ts";
import type { SubscriberRegistry } from "./bus/subscriber_registry.ts";
import type { Database } from "./durable/db/database.ts";
import { type DatabaseTarget, databaseTarget } from "./durable/db/open.ts";
import type { PostgresOptions } from "./durable/db/postgres.ts";
import type { DurableWriterTuning } from "./durable/writer/types.ts";
import type { PublisherRegistry } from "./events/publisher_registry.ts";
import type { TaskerConfigSource } from "./observe/config.ts";
import type { TemplateRegistry } from "./template/registry.ts";
import type { HandlerRegistry } from "./worker/handler_registry.ts";
import type { StalenessDetectorOptions } from "./worker/staleness.ts";
import { WORKER_DEFAULTS } from "./worker/worker_config.ts";
import { WorkerConfigError } from "./worker/worker_errors.ts";
import type { WorkerTuning } from "./worker/worker_options.ts";

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

/** The defaults a Tasker chooses for {@link TaskerOptions} (and for `close()`). */
export const TASKER_DEFAULTS: Readonly<{
  writerPoolSize: number;
  planCacheMode: NonNullable<PostgresOptions["planCacheMode"]>;
  durableEventWrites: "with_outcome" | "after_commit";
  startWorker: boolean;
  runSchedules: boolean;
  closeDeadlineMs: number;
}> = Object.freeze({
  /** The durable writer's own pool on a server: batches never queue behind step transactions. */
  writerPoolSize: 4,
  /**
   * The plan cache mode of the pools a Tasker opens on a server: each prepared statement is
   * planned once. Planning the claim statement with each call's values took 1.1 ms against
   * 0.2 ms to run it (statement log, idle worker), and generic plans cut the server's CPU per
   * step by 15% (fsync-on server, concurrency 100). A database handed to `Tasker.open` keeps its
   * own mode; the commit's statements still run generic plans (step_outcomes.ts).
   */
  planCacheMode: "force_generic_plan",
  durableEventWrites: "with_outcome",
  startWorker: true,
  runSchedules: true,
  /** How long `close()` lets in-flight steps finish, as the worker's own `close()`. */
  closeDeadlineMs: WORKER_DEFAULTS.closeDeadlineMs,
});

/** The database a Tasker uses: one handed in, or one it opens (and then closes). */
export type TaskerDatabasePlan =
  | { readonly kind: "given"; readonly db: Database }
  | {
    readonly kind: "open";
    /** The server or the PGlite directory, explicit settings over the environment. */
    readonly target: DatabaseTarget;
    /** The engine pool's size on a server (the pool's default when undefined). */
    readonly poolSize: number | undefined;
    /** The durable writer's pool size on a server. */
    readonly writerPoolSize: number;
    /** Prepared statements per pool on a server (the pool's default when undefined). */
    readonly preparedStatements: number | undefined;
    /** The pools' `plan_cache_mode`. */
    readonly planCacheMode: NonNullable<PostgresOptions["planCacheMode"]>;
  };

/** {@link TaskerOptions} checked and settled: what `Tasker.open` builds from. */
export interface ResolvedTaskerOptions {
  /** The options as given (registries, worker tuning, writer and bus settings). */
  readonly given: TaskerOptions;
  /** The database to use or to open. */
  readonly database: TaskerDatabasePlan;
  /** When a step's durable and broadcast events are written into PGMQ. */
  readonly durableEventWrites: "with_outcome" | "after_commit";
  /** Start the worker at open. */
  readonly startWorker: boolean;
  /** Fire recurring schedules while the worker runs. */
  readonly runSchedules: boolean;
  /** What `config()` reports the Tasker was opened with. */
  readonly configSource: TaskerConfigSource;
}

/**
 * Checks `options` and settles every default and the database's location (reading only the
 * environment variables that matter: none when a database is handed in). Opens nothing.
 *
 * @param options the options of `Tasker.open`
 * @returns the settled options
 * @throws {WorkerConfigError} when `durableEventWrites` is neither `"with_outcome"` nor
 *   `"after_commit"`
 *
 * @example
 * ```ts ignore
 * const resolved = resolveTaskerOptions({ templates: "./templates", database: { embedded: true } });
 * console.log(resolved.database.kind, resolved.durableEventWrites); // "open" "with_outcome"
 * ```
 */
export function resolveTaskerOptions(options: TaskerOptions): ResolvedTaskerOptions {
  const writes = options.durableEventWrites;
  if (writes !== undefined && writes !== "with_outcome" && writes !== "after_commit") {
    throw new WorkerConfigError(
      `durableEventWrites must be "with_outcome" or "after_commit", got ${JSON.stringify(writes)}`,
    );
  }
  const given = isDatabase(options.database) ? options.database : undefined;
  const settings = isDatabase(options.database) ? {} : options.database ?? {};
  const database: TaskerDatabasePlan = given !== undefined ? { kind: "given", db: given } : {
    kind: "open",
    target: databaseTarget(settings),
    poolSize: settings.poolSize,
    writerPoolSize: settings.writerPoolSize ?? TASKER_DEFAULTS.writerPoolSize,
    preparedStatements: settings.preparedStatements,
    planCacheMode: TASKER_DEFAULTS.planCacheMode,
  };
  const url = database.kind === "open" && database.target.kind === "postgres"
    ? database.target.url
    : undefined;
  return {
    given: options,
    database,
    durableEventWrites: writes ?? TASKER_DEFAULTS.durableEventWrites,
    startWorker: options.startWorker ?? TASKER_DEFAULTS.startWorker,
    runSchedules: options.runSchedules ?? TASKER_DEFAULTS.runSchedules,
    configSource: {
      url,
      dataDir: settings.dataDir,
      poolSize: settings.poolSize,
      writerPoolSize: settings.writerPoolSize,
      databaseGiven: given !== undefined,
      writer: options.writer,
      bus: options.bus?.defaults,
    },
  };
}

function isDatabase(value: unknown): value is Database {
  return typeof value === "object" && value !== null &&
    typeof (value as Database).transaction === "function";
}
