/**
 * Options, counters and listener types of the Worker.
 *
 * @module
 */

import type { Database } from "../durable/database.ts";
import type { PublisherRegistry } from "../events/publisher_registry.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { FastSink } from "./event_router.ts";
import type { HandlerRegistry } from "./handler_registry.ts";
import type { OwedEvents, OwedEventSink } from "./owed_events.ts";
import type { ClaimedStep, RecordedOutcome } from "./step_store.ts";
import type { StepTracer } from "./step_tracer.ts";

/** How a worker runs. */
export interface WorkerOptions {
  /** The task engine's database. */
  db: Database;
  /** Templates the worker can run. */
  templates: TemplateRegistry;
  /** Handlers by callable; validated against the templates at `start()`. */
  handlers: HandlerRegistry;
  /** Custom publishers by name; unknown names fall back to the default publisher (counted). */
  publishers?: PublisherRegistry;
  /** The in-process bus for fast and broadcast events. */
  bus?: FastSink;
  /** The process's DurableWriter for durable and broadcast events. */
  writer?: OwedEventSink;
  /** Owed-event bookkeeping shared with the writer's `onCommitted` hook. */
  owed?: OwedEvents;
  /** Namespaces whose step queues this worker reads. Default: every template namespace. */
  namespaces?: string[];
  /** Steps run at once. Default 10. */
  concurrency?: number;
  /** How long an idle worker waits before reading its queues again, in ms. Default 50. */
  pollIntervalMs?: number;
  /** Claim lease and message visibility timeout, in seconds. Default 30. */
  leaseSeconds?: number;
  /** This worker's id, recorded in claims. Default a new UUIDv7. */
  workerId?: string;
  /** Owed-event recovery: how old an owed event must be and how often to look. */
  recovery?: { olderThanMs?: number; intervalMs?: number } | false;
  /** Randomness for retry jitter (injectable for tests). Default `Math.random`. */
  random?: () => number;
  /** Tracing hook around each step attempt (OpenTelemetry); unset costs one check per step. */
  stepTracer?: StepTracer;
}

/** Counters of one worker. */
export interface WorkerStats {
  /** Step attempts recorded. */
  processed: number;
  /** Attempts that completed their step. */
  succeeded: number;
  /** Attempts that failed (retried or not). */
  failed: number;
  /** Failed attempts scheduled for a retry. */
  retried: number;
  /** Steps running now. */
  in_progress: number;
  /** Outcomes not recorded because another worker took the step over (lease expired). */
  lost_claims: number;
  /** Messages whose processing hit an unexpected error (they become visible again). */
  errors: number;
  /** Total handler time, ms. */
  handler_ms_total: number;
  /** Longest handler time, ms. */
  handler_ms_max: number;
  /** Owed events re-sent by recovery passes. */
  recovered_events: number;
  /** Recording transactions committed (group commit: several outcomes each). */
  commit_groups: number;
  /** Milliseconds spent inside recording transactions. */
  commit_ms_total: number;
  /** Milliseconds spent reading queues and claiming steps. */
  claim_ms_total: number;
}

/** A worker's effective settings, defaults applied (`tasker.config()` shows them). */
export interface WorkerSettings {
  /** Namespaces whose step queues it reads. */
  namespaces: string[];
  /** Steps run at once. */
  concurrency: number;
  /** Claim lease and message visibility timeout, in seconds. */
  lease_seconds: number;
  /** Longest idle wait between queue reads, in ms. */
  poll_interval_ms: number;
  /** Owed-event recovery, or `null` when disabled (or no writer is attached). */
  recovery: { older_than_ms: number; interval_ms: number } | null;
}

/** How long one recorded step attempt took, handed to outcome listeners. */
export interface StepTiming {
  /** Time spent in the step's handler, ms. */
  handler_ms: number;
}

/** Listener for recorded outcomes (CLI progress lines, tests, metrics). */
export type OutcomeListener = (
  claim: ClaimedStep,
  outcome: RecordedOutcome,
  timing: StepTiming,
) => void;

/**
 * Where a worker is in its life: `created` (not started), `running`, `stopping` (`close()`
 * called, in-flight steps draining) or `stopped`.
 */
export type WorkerState = "created" | "running" | "stopping" | "stopped";
