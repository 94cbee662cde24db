/**
 * The task engine: step handlers and their context, the handler registry, task submission and
 * status, the event pipeline and router, owed-event recovery and the Worker (the Tasker that
 * composes them is src/tasker.ts, above this layer).
 *
 * @module
 */

export {
  failure,
  type FailureOptions,
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
} from "./step_handler.ts";
export {
  DuplicateHandlerError,
  HandlerRegistry,
  InvalidHandlerError,
  type MissingHandler,
  MissingHandlersError,
  UnknownHandlerError,
} from "./handler_registry.ts";
export {
  buildStepContext,
  type DomainEventSink,
  runHandler,
  type RunHandlerOptions,
  type StepContextInput,
} from "./context.ts";
export { baseRetryDelayMs, retryDelayMs } from "./backoff.ts";
export {
  submitTask,
  type SubmittedTask,
  TaskContextError,
  type TaskRequest,
  templateKey,
} from "./submit.ts";
export { TaskRequestError } from "./task_request_wire.ts";
export { taskWireColumnsMigration } from "./engine_migrations.ts";
export {
  type FiredEvent,
  isFinished,
  type StepStatus,
  type TaskerTaskState,
  TaskNotFoundError,
  type TaskRequestFields,
  type TaskStatus,
  taskStatus,
  waitForTask,
} from "./task_status.ts";
export type {
  ClaimBatch,
  ClaimedStep,
  QueuedStep,
  StepMessage,
  StepState,
  TaskState,
} from "./step_store.ts";
export type { RecordedOutcome } from "./step_outcomes.ts";
export type { StepOutcomeRecord } from "./outcome_record.ts";
export {
  type DurableSink,
  emptyRouterStats,
  EventRouter,
  type EventRouterStats,
  type FastSink,
  type PreparedEvent,
  RoutingError,
} from "./event_router.ts";
export { EventPipeline, type StepEventInput } from "./event_pipeline.ts";
export { OwedEvents, type OwedEventSink, type RecoveryOptions } from "./owed_events.ts";
export {
  type OutcomeListener,
  type StepTiming,
  Worker,
  WorkerConfigError,
  type WorkerOptions,
  type WorkerSettings,
  type WorkerState,
  type WorkerStats,
} from "./worker.ts";
export type { WorkerTuning } from "./worker_options.ts";
export { taskEngineMigration, taskerMigrations } from "./engine_migrations.ts";
export {
  type EventDetail,
  type Pagination,
  type StepDetail,
  type TaskDetail,
  type TaskPage,
  type TaskQuery,
  TaskQueryError,
  type TaskSummary,
} from "./task_queries.ts";
export {
  type CatchUpPolicy,
  type ScheduleDefinition,
  ScheduleError,
  type ScheduleInfo,
} from "./schedules.ts";
export { CronSyntaxError } from "../cron.ts";
export { type PurgeOptions, type PurgeReport } from "./retention.ts";
export type { StepTrace, StepTracer, TracedOutcome, TracedStep } from "./step_tracer.ts";
export {
  cancelTask,
  completeStep,
  InvalidManualResultError,
  resetStep,
  resolveStep,
  resolveTask,
  type TaskActionResult,
} from "./task_actions.ts";
export {
  InvalidTransitionError,
  setTransitionActor,
  STEP_ACTION_FROM,
  type StepAction,
  StepNotFoundError,
  TASK_ACTION_FROM,
  type TaskAction,
  type Transition,
  type TransitionActor,
  transitionHistory,
} from "./transitions.ts";
export {
  type DlqEntry,
  DlqEntryNotFoundError,
  type DlqListOptions,
  type DlqReason,
  type DlqResolution,
  DlqResolutionError,
  type DlqResolutionStatus,
  type DlqStats,
  dlqStats,
  listDlqEntries,
  resolveDlqEntry,
} from "./task_dlq.ts";
export {
  DEFAULT_THRESHOLDS,
  type DetectionOptions,
  type DetectionResult,
  detectStaleTasks,
  type StaleAction,
  StalenessDetector,
  type StalenessDetectorOptions,
  type StalePhase,
  type StaleTask,
} from "./staleness.ts";
export {
  DuplicateTaskError,
  IdempotencyKeyRequiredError,
  type IdentityStrategy,
  normalizedJson,
  type TaskIdentity,
} from "./task_identity.ts";
export {
  connectionFailure,
  httpErrorType,
  httpFailure,
  type HttpFailureOptions,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from "./http_failure.ts";
export { type PriorityBand, priorityBand, stepQueueFor } from "./priority_queues.ts";
export { operationsMigration } from "./engine_migrations.ts";
export { requestedRetryDelayMs } from "./backoff.ts";
export {
  type DecisionPointOutcome,
  decisionSuccess,
  MAX_STEPS_PER_DECISION,
  skipBranches,
} from "./decisions.ts";
export {
  type BatchProcessingOutcome,
  batchSuccess,
  type BatchWorkerInputs,
  createCursorConfigs,
  type CursorConfig,
  MAX_BATCHES,
  noBatchesResult,
} from "./batches.ts";
export {
  type CheckpointHistoryEntry,
  type CheckpointRecord,
  checkpointYield,
} from "./checkpoints.ts";
export { initialStepSet } from "./step_set.ts";
export { dynamicStepsMigration } from "./engine_migrations.ts";
