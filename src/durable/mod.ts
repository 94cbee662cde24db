/**
 * The durable side: the database adapters (PGlite with PGMQ, or a postgres.js pool), migrations,
 * the typed PGMQ client, the process's batching DurableWriter and the DurableConsumer.
 *
 * @module
 */

export type { Database, DatabaseKind, Queryable } from "./database.ts";
export {
  type DatabaseHealth,
  databaseHealth,
  describeDatabase,
  openDatabase,
  type OpenDatabaseOptions,
} from "./open.ts";
export { openPglite, type PgliteDatabase, type PgliteOptions } from "./pglite.ts";
export {
  openPostgres,
  type PostgresDatabase,
  type PostgresOptions,
  RETIRE_GRACE_SECONDS,
} from "./postgres.ts";
export {
  appliedVersions,
  builtinMigrations,
  migrate,
  type Migration,
  MIGRATION_LOCK_KEY,
  validateMigrations,
} from "./migrations.ts";
export {
  Pgmq,
  type PgmqMessage,
  type PgmqMetrics,
  type PgmqQueueInfo,
  type PgmqReadOptions,
  type PgmqSendBatchOptions,
  type PgmqSendOptions,
} from "./pgmq.ts";
export {
  DatabaseClosedError,
  DatabaseUnavailableError,
  DatabaseUrlError,
  MigrationError,
  PgmqArgumentError,
} from "./errors.ts";
export { type DatabaseUrlInfo, parseDatabaseUrl, redactUrl } from "./pg_url.ts";
export { DataDirLockedError, type DataDirOwner } from "./data_dir_lock.ts";
export { DurableWriter } from "./writer.ts";
export type { TransactionalEvents, WithinEvent } from "./writer_within.ts";
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
} from "./writer_types.ts";
export type { WriteStrategy } from "./writer_sql.ts";
export {
  DurableOptionError,
  EventRejectedError,
  UnserializableEventError,
  WriterBufferFullError,
  WriterClosedError,
} from "./writer_errors.ts";
export { DurableConsumer } from "./consumer.ts";
export { redrive } from "./consumer_sql.ts";
export type {
  ConsumerCloseOptions,
  ConsumerMessageContext,
  DurableConsumerOptions,
  DurableConsumerStats,
  DurableEventHandler,
  RedriveOptions,
} from "./consumer_types.ts";

// Types of other entries that this one's signatures refer to (this entry documents completely on its own).
export { TaskerError } from "../errors.ts";
export type {
  DomainEvent,
  DomainEventMetadata,
  DomainEventPayload,
  JsonObject,
} from "../events/mod.ts";
