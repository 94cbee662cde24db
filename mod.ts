/**
 * deno-tasker: workflow step workers that publish domain events.
 *
 * Task templates (YAML) declare steps, their handlers and dependencies, a retry policy, and per
 * step the domain events it publishes. Workers execute the steps on PostgreSQL with PGMQ (an
 * embedded PGlite by default) and route each fired event by its delivery mode: `fast` to an
 * in-process bus of supervised actor subscribers, `durable` to the PGMQ queue
 * `{namespace}_domain_events` through one pooled batching writer, or `broadcast` to both.
 *
 * This entry holds what an application needs. The rest of the toolkit is in subpath exports:
 * `./durable` (database adapters, PGMQ, migrations, the `DurableWriter` and consumer internals),
 * `./actors` (the actor system and supervisors the bus runs on), `./observe` (OpenTelemetry,
 * Prometheus text, the inspector and other health and metrics building blocks), `./testing`
 * (event captures) and `./cli` (the `tasker` command line). A `Tasker` keeps its engine (worker,
 * writer) private: `stats()`, `flush()`, `health()`, `metrics()`, `ready()` and `config()` show
 * it.
 *
 * @example Load a template and build an event (no permissions needed)
 * ```ts
 * import { buildDomainEvent, parseTemplate } from "@deno-tasker/tasker";
 *
 * const template = parseTemplate(`
 * name: checkout
 * namespace_name: payments
 * version: 1.0.0
 * steps:
 *   - name: charge
 *     handler: { callable: payments.charge }
 *     publishes_events:
 *       - name: payment.processed
 *         description: The card was charged.
 *         delivery_mode: broadcast
 *         schema: { type: object, required: [amount] }
 * `);
 * const event = buildDomainEvent({
 *   event_name: template.steps[0]!.publishes_events[0]!.name,
 *   payload: { amount: 42 },
 *   task_sequence_step: {},
 *   execution_result: { success: true },
 *   metadata: {
 *     task_uuid: crypto.randomUUID(),
 *     step_uuid: crypto.randomUUID(),
 *     step_name: "charge",
 *     namespace: template.namespace_name,
 *     correlation_id: crypto.randomUUID(),
 *     fired_by: "payments.charge",
 *   },
 * });
 * console.log(event.event_id, event.event_name);
 * ```
 *
 * @example Subscribe to fast events with glob patterns
 * ```ts
 * import { EventBus } from "@deno-tasker/tasker";
 *
 * await using bus = new EventBus();
 * bus.subscribe("payment.#", (event) => console.log("got", event.event_name));
 * ```
 *
 * @module
 */

export { TaskerError } from "./src/errors.ts";
export { InvalidNameError } from "./src/names.ts";
export { InvalidSchemaError, SchemaValidationError } from "./src/json_schema.ts";

// Task templates.
export {
  DuplicateTemplateError,
  type EventDeclaration,
  formatTemplateIssue,
  type HandlerSpec,
  loadTemplateDir,
  loadTemplateFile,
  type LoadTemplateOptions,
  parseTemplate,
  type ParseTemplateOptions,
  type RetryPolicy,
  type StepTemplate,
  type TaskTemplate,
  type TemplateIssue,
  TemplateLoadError,
  TemplateNotFoundError,
  TemplateRegistry,
  TemplateValidationError,
} from "./src/template/mod.ts";

// Handlers, tasks and the process that runs them.
export {
  buildStepContext,
  DuplicateHandlerError,
  failure,
  type FailureOptions,
  type FiredEvent,
  HandlerRegistry,
  InvalidHandlerError,
  type MissingHandler,
  MissingHandlersError,
  runHandler,
  type RunHandlerOptions,
  type StepContext,
  type StepContextInput,
  type StepError,
  type StepFailure,
  type StepHandler,
  type StepHandlerFunction,
  type StepInfo,
  type StepResult,
  type StepStatus,
  type StepSuccess,
  type StepTaskInfo,
  type SubmittedTask,
  success,
  TaskContextError,
  type TaskerTaskState,
  TaskNotFoundError,
  type TaskRequest,
  TaskRequestError,
  type TaskStatus,
  UnknownHandlerError,
  WorkerConfigError,
  type WorkerStats,
} from "./src/worker/mod.ts";
export { Tasker } from "./src/tasker.ts";
export type { TaskerDatabaseOptions, TaskerOptions } from "./src/tasker_options.ts";

// Dynamic workflows: decision points, batch processing, checkpoint/yield.
export {
  type BatchProcessingOutcome,
  batchSuccess,
  type BatchWorkerInputs,
  type CheckpointHistoryEntry,
  type CheckpointRecord,
  checkpointYield,
  createCursorConfigs,
  type CursorConfig,
  type DecisionPointOutcome,
  decisionSuccess,
  noBatchesResult,
  skipBranches,
} from "./src/worker/mod.ts";

// Task identity, operator actions, the transition history, staleness and the task DLQ.
export {
  connectionFailure,
  type DetectionOptions,
  type DetectionResult,
  type DlqEntry,
  DlqEntryNotFoundError,
  type DlqListOptions,
  type DlqReason,
  type DlqResolution,
  DlqResolutionError,
  type DlqResolutionStatus,
  DuplicateTaskError,
  httpErrorType,
  httpFailure,
  type HttpFailureOptions,
  IdempotencyKeyRequiredError,
  type IdentityStrategy,
  InvalidManualResultError,
  InvalidTransitionError,
  retryAfterMs,
  type StaleAction,
  type StalenessDetectorOptions,
  type StalePhase,
  type StaleTask,
  StepNotFoundError,
  type TaskActionResult,
  type TaskRequestFields,
  type Transition,
  type TransitionActor,
} from "./src/worker/mod.ts";

// Finding tasks, schedules and retention.
export {
  type CatchUpPolicy,
  CronSyntaxError,
  type EventDetail,
  type Pagination,
  type PurgeOptions,
  type PurgeReport,
  type ScheduleDefinition,
  ScheduleError,
  type ScheduleInfo,
  type StepDetail,
  type TaskDetail,
  type TaskPage,
  type TaskQuery,
  TaskQueryError,
  type TaskSummary,
} from "./src/worker/mod.ts";

// Domain events and custom publishers.
export {
  buildDomainEvent,
  type BuildDomainEventInput,
  // Tasker's wire shape: typed access, builders for publisher tests, the JSON Schema.
  buildStepEventContext,
  definePublisher,
  type DeliveryMode,
  DOMAIN_EVENT_JSON_SCHEMA,
  type DomainEvent,
  type DomainEventMetadata,
  type DomainEventPayload,
  type DomainEventView,
  DuplicatePublisherError,
  eventView,
  InvalidEventError,
  InvalidPublisherError,
  type JsonObject,
  parseDomainEvent,
  type PublicationCondition,
  type Publisher,
  type PublisherDefinition,
  PublisherRegistry,
  type StepEventContext,
  wireSchemaFailures,
} from "./src/events/mod.ts";

// The fast path: the bus, class-style subscribers and the ready-made actors.
export {
  type BusStats,
  EventBus,
  type EventBusOptions,
  type EventHandler,
  InvalidPatternError,
  type PublishResult,
  type SubscribeOptions,
  Subscriber,
  type SubscriberOptions,
  SubscriberRegistry,
  type Subscription,
} from "./src/bus/mod.ts";
export {
  createLoggingSubscriber,
  createMetricsSubscriber,
  LoggingSubscriber,
  type LoggingSubscriberOptions,
  type MetricsSnapshot,
  MetricsSubscriber,
  type MetricsSubscriberOptions,
} from "./actors/mod.ts";

// The durable path and the database.
export {
  type ConsumerMessageContext,
  type Database,
  DatabaseClosedError,
  DatabaseUnavailableError,
  DatabaseUrlError,
  DataDirLockedError,
  DurableConsumer,
  type DurableConsumerOptions,
  type DurableConsumerStats,
  type DurableEventHandler,
  type DurableWriterStats,
  MigrationError,
  openDatabase,
  type OpenDatabaseOptions,
  type Queryable,
} from "./src/durable/mod.ts";

// Observability (from the defining modules: the `./observe` entry re-exports this one's types).
export {
  type ObservabilityServer,
  ObservabilityServerError,
  type ObservabilityServerOptions,
  serveObservability,
} from "./src/observe/server.ts";
export type { HealthReport, HealthStatus } from "./src/observe/health.ts";
export type { TaskerConfig } from "./src/observe/config.ts";
export type { TaskerMetrics } from "./src/observe/metrics.ts";

// Types the API above refers to (in its signatures), for reading its documentation.
export type {
  ActorHealth,
  ActorSystemComponent,
  ComponentHealth,
  DatabaseComponent,
  HealthOptions,
  QueuesComponent,
  WorkerComponent,
  WriterComponent,
} from "./src/observe/health.ts";
export type {
  ActorMetrics,
  ActorTotals,
  EventMetrics,
  StepTimeStats,
} from "./src/observe/metrics.ts";
export type {
  BusConfigView,
  DatabaseConfig,
  HttpConfigView,
  WriterConfigView,
} from "./src/observe/config.ts";
export type { QueueDepth } from "./src/observe/queues.ts";
export type { ReadinessReport } from "./src/observe/observer.ts";
export type { ObservedTasker } from "./src/observe/observed.ts";
export type {
  ActorBehavior,
  ActorFeed,
  ActorRef,
  ActorSpec,
  ActorState,
  ActorStats,
  ActorSystem,
  ActorSystemStats,
  BackoffOptions,
  DeadLetter,
  DropReason,
  Escalation,
  OfferOutcome,
  OverflowPolicy,
  PumpBehavior,
  RestartType,
  ShutdownPolicy,
  SupervisionStrategy,
  Supervisor,
  SupervisorOptions,
} from "./src/actors/mod.ts";
export type {
  BackoffKind,
  BatchConfig,
  BatchFailureStrategy,
  LifecycleConfig,
  StepOverride,
  StepType,
  SystemDependencies,
  TaskEventCatalogueEntry,
  TemplateMetadata,
  TemplateSchedule,
} from "./src/template/mod.ts";
export type {
  BuildEventMetadata,
  CompletedStepRecord,
  EventProblem,
  NaiveTimestamp,
  PublisherRegistryStats,
  PublisherResolution,
  StepDefinitionSource,
  StepEventContextInput,
  StepEventError,
  StepEventResult,
  StepEventStep,
  StepEventTask,
  StepExecutionResult,
  TaskSequenceStep,
  TaskSequenceStepInput,
  UtcTimestamp,
  WireCheckpoint,
  WireEventDeclaration,
  WireExecutionError,
  WireExecutionMetadata,
  WireHandlerDefinition,
  WireOrchestrationMetadata,
  WireRetry,
  WireStepDefinition,
  WireTask,
  WireTaskForOrchestration,
  WireWorkflowStep,
} from "./src/events/mod.ts";
export type { CompiledSchema, SchemaFailure } from "./src/json_schema.ts";
export type {
  CommittedEvent,
  ConsumerCloseOptions,
  DatabaseKind,
  DataDirOwner,
  DurableWriterTuning,
  OwedLedger,
  WriteStrategy,
} from "./src/durable/mod.ts";
export type {
  DomainEventSink,
  EventRouterStats,
  StepState,
  StepTrace,
  StepTracer,
  TaskState,
  TracedOutcome,
  TracedStep,
  WorkerSettings,
  WorkerState,
  WorkerTuning,
} from "./src/worker/mod.ts";
export type {
  IsolatedSubscribeOptions,
  RegisteredSubscriberInfo,
  SubscribeDefaults,
  SubscriberClass,
  SubscriberFactory,
  SubscriberInfo,
  SubscriberRegistryStats,
  SubscriberSource,
} from "./src/bus/mod.ts";
export type { LogSink, MetricsCollector } from "./actors/mod.ts";
