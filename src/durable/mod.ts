/**
 * The `./durable` entry: the durable side. The database (`openDatabase`, the `Database` and
 * `Queryable` a `Tasker` exposes as `db`, PGlite with PGMQ or a postgres.js pool, and their
 * errors), migrations, the typed PGMQ client, the process's batching `DurableWriter` with its
 * tuning (`TaskerOptions.writer`) and statistics, and the `DurableConsumer` with its internals.
 * The root entry re-exports `DurableConsumer` and what writing a durable handler needs.
 *
 * @example Open the database and run a query
 * ```ts
 * import { openDatabase } from "@deno-tasker/tasker/durable";
 * await using db = await openDatabase(); // PGlite in memory unless DATABASE_URL is set
 * const rows = await db.query<{ one: number }>("SELECT 1 AS one");
 * console.log(db.kind, rows[0]?.one); // "pglite" 1
 * ```
 *
 * @module
 */

export type { Database, DatabaseKind, Queryable } from "./db/database.ts";
export {
  type DatabaseHealth,
  databaseHealth,
  describeDatabase,
  openDatabase,
  type OpenDatabaseOptions,
} from "./db/open.ts";
export { openPglite, type PgliteDatabase, type PgliteOptions } from "./db/pglite.ts";
export {
  openPostgres,
  type PostgresDatabase,
  type PostgresOptions,
  RETIRE_GRACE_SECONDS,
} from "./db/postgres.ts";
export {
  appliedVersions,
  builtinMigrations,
  migrate,
  type Migration,
  MIGRATION_LOCK_KEY,
  validateMigrations,
} from "./db/migrate.ts";
export { Pgmq } from "./pgmq/pgmq.ts";
export type {
  PgmqBrowseOptions,
  PgmqDepth,
  PgmqMessage,
  PgmqMetrics,
  PgmqQueueInfo,
  PgmqReadOptions,
  PgmqSendBatchOptions,
  PgmqSendOptions,
} from "./pgmq/types.ts";
export {
  DatabaseClosedError,
  DatabaseUnavailableError,
  DatabaseUrlError,
  MigrationError,
} from "./db/errors.ts";
export { PgmqArgumentError } from "./pgmq/errors.ts";
export { type DatabaseUrlInfo, parseDatabaseUrl, redactUrl } from "./db/pg_url.ts";
export { DataDirLockedError, type DataDirOwner } from "./db/data_dir_lock.ts";
export { DurableWriter } from "./writer/writer.ts";
export type { TransactionalEvents, WithinEvent } from "./writer/within.ts";
export type {
  CommittedEvent,
  DurableWriterOpenOptions,
  DurableWriterOptions,
  DurableWriterStats,
  DurableWriterTuning,
  EnqueueOptions,
  OwedLedger,
  PublishOptions,
  WriterCloseOptions,
  WriterCloseReport,
  WriteStrategy,
} from "./writer/types.ts";
export {
  DurableOptionError,
  EventRejectedError,
  UnserializableEventError,
  WriterBufferFullError,
  WriterClosedError,
} from "./writer/errors.ts";
export { DurableConsumer } from "./consumer/consumer.ts";
export { redrive } from "./consumer/sql.ts";
export type {
  ConsumerCloseOptions,
  ConsumerMessageContext,
  DurableConsumerOptions,
  DurableConsumerStats,
  DurableEventHandler,
  RedriveOptions,
} from "./consumer/types.ts";
