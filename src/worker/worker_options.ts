/**
 * Options, counters and listener types of the Worker.
 *
 * @module
 */

import type { TransactionalEvents } from "../durable/writer/within.ts";
import type { Database } from "../durable/db/database.ts";
import type { PublisherRegistry } from "../events/publisher_registry.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { FastSink } from "./event_router.ts";
import type { HandlerRegistry } from "./handler_registry.ts";
import type { OwedEvents, OwedEventSink } from "./owed_events.ts";
import type { RecordedOutcome } from "./step_outcomes.ts";
import type { ClaimedStep } from "./step_store.ts";
import type { StepTracer } from "./step_tracer.ts";

/** How a worker runs: what it is wired to, and its {@link WorkerTuning}. */
export interface WorkerOptions extends WorkerTuning {
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
  /** Owed-event bookkeeping shared with the writer (its `ledger`). */
  owed?: OwedEvents;
  /**
   * The writer's transactional entry point (`writer.transactional()`), when the writer writes to
   * THIS worker's database: each step's durable and broadcast events are then written into PGMQ
   * in the transaction that records its outcome (atomic, nothing owed). `Tasker.open` passes it.
   * Without it, events are stored owed and the writer sends them after the commit.
   */
  eventsWithOutcomes?: TransactionalEvents;
}

/** How a worker claims, runs and records steps (`Tasker.open` takes these too). */
export interface WorkerTuning {
  /** Namespaces whose step queues this worker reads. Default: every template namespace. */
  namespaces?: string[];
  /** Steps run at once. Default 10. */
  concurrency?: number;
  /**
   * How long an idle worker that cannot LISTEN waits before reading its queues again, in ms.
   * Default 50. Set alone, it also sets {@link WorkerTuning.listeningPollIntervalMs}.
   */
  pollIntervalMs?: number;
  /**
   * How long an idle worker that LISTENs (see {@link WorkerTuning.listen}) waits before reading its
   * queues anyway, in ms. Default 1,000, or `pollIntervalMs` when only that is set. Notifications
   * wake it at once for every step another process sends; this poll catches only what no
   * notification announces: a delayed task's or another worker's retry becoming visible, a lease
   * of a dead worker expiring, a notification lost while the listener reconnected. A retry this
   * worker schedules wakes it when it is due.
   */
  listeningPollIntervalMs?: number;
  /**
   * Wake up on LISTEN/NOTIFY when another process (or another Tasker on the same database)
   * inserts into this worker's step queues, instead of waiting for the next poll. Default true;
   * polling stays the fallback (a database that cannot LISTEN is polled, logged once).
   */
  listen?: boolean;
  /**
   * Also record the engine's own step transitions (released, claimed, recorded: `pending →
   * enqueued → in_progress → complete`, retries and failures) in the transition history, with
   * actor `worker:<id>`. Default false: operators' and the staleness detector's changes, and
   * every task change, are recorded anyway; the engine's three per step roughly double the cost of
   * its claim and outcome statements.
   */
  recordStepTransitions?: boolean;
  /**
   * Claim lease and message visibility timeout, in seconds. Default 30. The worker renews the
   * leases of the steps it runs three times per lease, so a handler may run longer than this;
   * it bounds how long a step waits after its worker died.
   */
  leaseSeconds?: number;
  /**
   * How long, in seconds, a step may wait for a worker that has its task's template (every
   * worker that saw it lacked that template or its exact content) before it is failed with
   * `TemplateUnavailable`. Default 600.
   */
  foreignTimeoutSeconds?: number;
  /**
   * After the shutdown deadline aborts the handlers still running, how long, in ms, they get to
   * settle before their claims are released anyway. Default 2000.
   */
  shutdownGraceMs?: number;
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
  /** Claim rounds that read the step queues (an idle worker's polls included). */
  queue_reads: number;
  /** Groups the database refused that were split to isolate the outcome it choked on. */
  commit_isolations: number;
  /** Claims handed back without an outcome (shutdown, an unknown step), attempts not consumed. */
  released: number;
  /** Handlers still running when shutdown gave up on them (their claims released). */
  abandoned: number;
  /** Steps failed without running because the last attempt's worker died. */
  settled_exhausted: number;
  /** Steps failed without running because no worker had their template for too long. */
  settled_orphaned: number;
  /** Fired events not published because `jsonb` could not store them. */
  unstorable_events: number;
  /** Templates whose steps this worker leaves to others (missing, or changed without a bump). */
  foreign_templates: string[];
}

/** A worker's effective settings, defaults applied (`tasker.config()` shows them). */
export interface WorkerSettings {
  /** Namespaces whose step queues it reads. */
  namespaces: string[];
  /** Steps run at once. */
  concurrency: number;
  /** Claim lease and message visibility timeout, in seconds. */
  lease_seconds: number;
  /** How often held claims are renewed, in ms. */
  lease_renewal_ms: number;
  /** How long a step may find no worker with its template before it fails, in seconds. */
  foreign_timeout_seconds: number;
  /** Longest idle wait between queue reads while the worker cannot LISTEN, in ms. */
  poll_interval_ms: number;
  /** Longest idle wait between queue reads while it LISTENs, in ms. */
  listening_poll_interval_ms: number;
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
