/**
 * deno-tasker: workflow step workers that publish domain events.
 *
 * Task templates (YAML) declare steps, their handlers and dependencies, a retry policy, and per
 * step the domain events it publishes. Workers execute the steps on PostgreSQL with PGMQ (an
 * embedded PGlite by default) and route each fired event by its delivery mode: `fast` to an
 * in-process bus of supervised actor subscribers, `durable` to the PGMQ queue
 * `{namespace}_domain_events` through one pooled batching writer, or `broadcast` to both.
 *
 * This entry holds what an application author writes against: the `Tasker` and its options,
 * loading templates, writing step handlers (with the decision, batch, checkpoint and HTTP-failure
 * helpers), the task requests, statuses, queries and details a `Tasker` takes and returns,
 * schedules, domain events and custom publishers, the bus and class-style subscribers, the
 * `DurableConsumer`, and the errors to catch (every error of the library extends `TaskerError`).
 *
 * The rest is in subpath exports, each documenting its own types: `./templates` (every template
 * field type), `./events` (the step event context publishers receive, tasker-core's wire types,
 * the envelope's JSON Schema), `./operations` (the types and errors of the operator methods:
 * transitions, manual actions, the task DLQ, staleness, retention), `./durable` (the database and
 * its errors, PGMQ, migrations, the `DurableWriter` and consumer internals), `./actors` (the actor
 * system the bus runs on, the bus's actor-level types, the ready-made logging and metrics
 * subscribers), `./observe` (health, metrics, configuration and readiness types, the
 * observability server, OpenTelemetry, Prometheus text, the inspector, step tracing), `./testing`
 * (`runHandler`, `buildStepContext`, event captures) and `./cli` (the `tasker` command line). A
 * `Tasker` keeps its engine (worker, writer) private: `stats()`, `flush()`, `health()`,
 * `metrics()`, `ready()` and `config()` show it.
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

// Opening and running a Tasker.
export { Tasker } from "./src/tasker.ts";
export type { TaskerDatabaseOptions, TaskerOptions } from "./src/tasker_options.ts";
export { WorkerConfigError, type WorkerTuning } from "./src/worker/mod.ts";

// Task templates (the `./templates` entry has the type of every template field).
export {
  DuplicateTemplateError,
  type EventDeclaration,
  loadTemplateDir,
  loadTemplateFile,
  parseTemplate,
  type StepTemplate,
  type TaskTemplate,
  TemplateLoadError,
  TemplateNotFoundError,
  TemplateRegistry,
  TemplateValidationError,
} from "./src/template/entry.ts";

// Step handlers.
export {
  DuplicateHandlerError,
  failure,
  type FailureOptions,
  HandlerRegistry,
  InvalidHandlerError,
  type MissingHandler,
  MissingHandlersError,
  type StepContext,
  type StepError,
  type StepFailure,
  type StepHandler,
  type StepHandlerFunction,
  type StepInfo,
  type StepResult,
  type StepSuccess,
  type StepTaskInfo,
  success,
  UnknownHandlerError,
} from "./src/worker/mod.ts";

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

// Failures of HTTP calls, classified for retries.
export {
  connectionFailure,
  httpErrorType,
  httpFailure,
  type HttpFailureOptions,
  retryAfterMs,
} from "./src/worker/mod.ts";

// Submitting tasks and following them (operator actions' types are in `./operations`).
export {
  DuplicateTaskError,
  type FiredEvent,
  IdempotencyKeyRequiredError,
  type StepState,
  type StepStatus,
  type SubmittedTask,
  TaskContextError,
  type TaskerTaskState,
  TaskNotFoundError,
  type TaskRequest,
  TaskRequestError,
  type TaskRequestFields,
  type TaskState,
  type TaskStatus,
} from "./src/worker/mod.ts";

// Finding tasks, and schedules.
export {
  type CatchUpPolicy,
  CronSyntaxError,
  type EventDetail,
  type Pagination,
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

// Domain events and custom publishers (the `./events` entry has the wire shape and the context
// publishers receive).
export {
  buildDomainEvent,
  type BuildDomainEventInput,
  definePublisher,
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
  type Publisher,
  type PublisherDefinition,
  PublisherRegistry,
} from "./src/events/entry.ts";

// The fast path: the bus and class-style subscribers (their actor-level types are in `./actors`).
export {
  EventBus,
  type EventBusOptions,
  type EventHandler,
  InvalidPatternError,
  type SubscribeOptions,
  Subscriber,
  type SubscriberOptions,
  SubscriberRegistry,
  type Subscription,
} from "./src/bus/mod.ts";

// The durable path's consumer (the database, the writer and PGMQ are in `./durable`).
export {
  type ConsumerMessageContext,
  DurableConsumer,
  type DurableConsumerOptions,
  type DurableEventHandler,
} from "./src/durable/mod.ts";
