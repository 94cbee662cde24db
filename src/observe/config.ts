/**
 * The effective configuration of a running Tasker, defaults applied and secrets removed: the
 * database URL with its password redacted, and only whether an HTTP token is set, never the token.
 *
 * @module
 */

import { DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MIN_MS } from "../actors/backoff.ts";
import { DEFAULT_MAILBOX_CAPACITY } from "../actors/mailbox.ts";
import { DEFAULT_INTENSITY, DEFAULT_PERIOD_MS } from "../actors/supervisor.ts";
import type { OverflowPolicy, RestartType, SupervisionStrategy } from "../actors/types.ts";
import type { SubscribeDefaults } from "../bus/types.ts";
import type { Database, DatabaseKind } from "../durable/db/database.ts";
import { describeDatabase } from "../durable/db/open.ts";
import { redactUrl } from "../durable/db/pg_url.ts";
import { resolveWriterOptions } from "../durable/writer/config.ts";
import type { WriteStrategy } from "../durable/writer/types.ts";
import type { DurableWriterTuning } from "../durable/writer/types.ts";
import type { WorkerSettings } from "../worker/worker_options.ts";
import { VERSION } from "./version.ts";

/** What a Tasker was opened with, kept for {@link taskerConfig} (no secrets are shown from it). */
export interface TaskerConfigSource {
  /** The server URL in use (redacted before it is shown), or undefined when embedded. */
  url?: string;
  /** The PGlite data directory, when embedded on disk. */
  dataDir?: string;
  /** Pool size of the task engine's pool on a server. */
  poolSize?: number;
  /** Pool size of the durable writer's pool on a server. */
  writerPoolSize?: number;
  /** True when the caller passed an open database (the Tasker neither opened nor closes it). */
  databaseGiven: boolean;
  /** The writer tuning as given. */
  writer?: DurableWriterTuning;
  /** The bus subscriber defaults as given. */
  bus?: SubscribeDefaults;
}

/** The database part of {@link TaskerConfig}. */
export interface DatabaseConfig {
  /** `pglite` or `postgres`. */
  kind: DatabaseKind;
  /** The server URL with the password replaced by `***`, or null when embedded. */
  url: string | null;
  /** A one-line, password-free description. */
  description: string;
  /** The PGlite data directory, or null (in memory, or a server). */
  data_dir: string | null;
  /** The task engine's pool size on a server, null when embedded. */
  pool_size: number | null;
  /** The durable writer's pool size on a server, null when embedded or sharing the database. */
  writer_pool_size: number | null;
  /** Whether the caller passed an open database in (then the Tasker does not close it). */
  given: boolean;
}

/** The durable writer part of {@link TaskerConfig}, defaults applied. */
export interface WriterConfigView {
  /** Largest batch per statement. */
  batch_size: number;
  /** How long a partial batch waits for more events, ms. */
  linger_ms: number;
  /** Batches written concurrently. */
  max_in_flight: number;
  /** Most events held. */
  buffer_limit: number;
  /** Smallest retry delay, ms. */
  retry_min_ms: number;
  /** Largest retry delay, ms. */
  retry_max_ms: number;
  /** The batch statement. */
  strategy: WriteStrategy;
  /** Whether batches of one queue are written one at a time. */
  preserve_order: boolean;
}

/** The bus subscriber defaults part of {@link TaskerConfig}, framework defaults applied. */
export interface BusConfigView {
  /** Mailbox capacity. */
  mailbox_capacity: number;
  /** What a full mailbox does. */
  overflow: OverflowPolicy;
  /** Restart type of subscriber actors. */
  restart: RestartType;
  /** Per-event deadline, ms, or null for none. */
  message_timeout_ms: number | null;
  /** Whether a crashing event is re-delivered once to the restarted subscriber. */
  retry_crashed_message_once: boolean;
  /** Supervision of each subscriber. */
  supervisor: {
    /** Restart strategy. */
    strategy: SupervisionStrategy;
    /** Restarts allowed within `period_ms` before escalation. */
    intensity: number;
    /** The intensity window, ms. */
    period_ms: number;
    /** Smallest restart delay, ms. */
    backoff_min_ms: number;
    /** Largest restart delay, ms. */
    backoff_max_ms: number;
  };
}

/** The HTTP part of {@link TaskerConfig}: where the observability server listens. */
export interface HttpConfigView {
  /** The address it is bound to. */
  hostname: string;
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  /** Whether a bearer token guards it (the token itself is never shown). */
  token_set: boolean;
}

/** The effective configuration of one Tasker. */
export interface TaskerConfig {
  /** The deno-tasker version. */
  version: string;
  /** The worker's id. */
  worker_id: string;
  /** Where the data lives. */
  database: DatabaseConfig;
  /** The worker's settings. */
  worker: WorkerSettings;
  /** The durable writer's tuning. */
  writer: WriterConfigView;
  /** The bus's subscriber defaults. */
  bus: BusConfigView;
  /** The observability HTTP server, or null when none is running. */
  http: HttpConfigView | null;
}

/** What {@link taskerConfig} reads from a running Tasker. */
export interface ConfigInput {
  /** The task engine's database. */
  db: Database;
  /** The worker's id and effective settings. */
  worker: { readonly id: string; settings(): WorkerSettings };
}

/**
 * Builds the effective configuration.
 *
 * @param input the database and the worker
 * @param source what the Tasker was opened with
 * @param http the running HTTP server, if any
 *
 * @example
 * ```ts ignore
 * const config = taskerConfig(tasker, { databaseGiven: false }, null);
 * console.log(config.database.url); // "postgres://app:***@db:5432/tasker"
 * ```
 */
export function taskerConfig(
  input: ConfigInput,
  source: TaskerConfigSource,
  http: HttpConfigView | null,
): TaskerConfig {
  const { db } = input;
  const writer = resolveWriterOptions({ ...source.writer, db });
  const bus = source.bus ?? {};
  const backoffMin = bus.supervisor?.backoff?.minMs ?? DEFAULT_BACKOFF_MIN_MS;
  const onServer = db.kind === "postgres";
  const dataDir = (db as { dataDir?: unknown }).dataDir;
  return {
    version: VERSION,
    worker_id: input.worker.id,
    database: {
      kind: db.kind,
      url: onServer && source.url !== undefined ? redactUrl(source.url) : null,
      description: describeDatabase(db),
      data_dir: typeof dataDir === "string" ? dataDir : null,
      pool_size: onServer && !source.databaseGiven ? source.poolSize ?? 10 : null,
      writer_pool_size: onServer && !source.databaseGiven && source.url !== undefined
        ? source.writerPoolSize ?? 4
        : null,
      given: source.databaseGiven,
    },
    worker: input.worker.settings(),
    writer: {
      batch_size: writer.batchSize,
      linger_ms: writer.lingerMs,
      max_in_flight: writer.maxInFlight,
      buffer_limit: writer.bufferLimit,
      retry_min_ms: writer.retryMinMs,
      retry_max_ms: writer.retryMaxMs,
      strategy: writer.strategy,
      preserve_order: writer.preserveOrder,
    },
    bus: {
      mailbox_capacity: bus.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
      overflow: bus.overflow ?? "drop_newest",
      restart: bus.restart ?? "permanent",
      message_timeout_ms: bus.messageTimeoutMs ?? null,
      retry_crashed_message_once: bus.retryCrashedMessageOnce ?? false,
      supervisor: {
        strategy: bus.supervisor?.strategy ?? "one_for_one",
        intensity: bus.supervisor?.intensity ?? DEFAULT_INTENSITY,
        period_ms: bus.supervisor?.periodMs ?? DEFAULT_PERIOD_MS,
        backoff_min_ms: backoffMin,
        backoff_max_ms: bus.supervisor?.backoff?.maxMs ??
          Math.max(DEFAULT_BACKOFF_MAX_MS, backoffMin),
      },
    },
    http,
  };
}
