/**
 * The Worker's configuration, resolved once: every default in one place ({@link WORKER_DEFAULTS}),
 * applied and checked by {@link resolveWorkerConfig} when the worker is constructed, so the rest
 * of the worker reads settled values and never repeats a default inline.
 *
 * @module
 */

import type { Database } from "../durable/db/database.ts";
import { uuidv7 } from "../events/uuid.ts";
import { WorkerConfigError } from "./worker_errors.ts";
import type { WorkerOptions, WorkerSettings } from "./worker_options.ts";

/** The defaults of {@link WorkerOptions} (and of `Worker.close()`), in the options' units. */
export const WORKER_DEFAULTS: Readonly<{
  concurrency: number;
  pollIntervalMs: number;
  listeningPollIntervalMs: number;
  listen: boolean;
  recordStepTransitions: boolean;
  leaseSeconds: number;
  foreignTimeoutSeconds: number;
  shutdownGraceMs: number;
  closeDeadlineMs: number;
  recovery: Readonly<{ olderThanMs: number; intervalMs: number }>;
}> = Object.freeze({
  concurrency: 10,
  pollIntervalMs: 50,
  /** With wake-ups on, a poll only catches what no notification announces: seldom is enough. */
  listeningPollIntervalMs: 1_000,
  listen: true,
  recordStepTransitions: false,
  leaseSeconds: 30,
  foreignTimeoutSeconds: 600,
  shutdownGraceMs: 2_000,
  /** How long `close()` lets in-flight steps finish before aborting them. */
  closeDeadlineMs: 10_000,
  recovery: Object.freeze({ olderThanMs: 30_000, intervalMs: 10_000 }),
});

/** A worker's tuning with every default applied: what the worker reads after construction. */
export interface ResolvedWorkerConfig {
  /** This worker's id, recorded in claims. */
  workerId: string;
  /** Namespaces whose step queues it reads. */
  namespaces: readonly string[];
  /** Steps run at once (at least 1). */
  concurrency: number;
  /** Longest idle wait between queue reads while the worker cannot LISTEN, in ms. */
  pollIntervalMs: number;
  /** Longest idle wait between queue reads while it LISTENs, in ms. */
  listeningPollIntervalMs: number;
  /** Wake up on LISTEN/NOTIFY. */
  listen: boolean;
  /** Record the engine's own step transitions. */
  recordStepTransitions: boolean;
  /** Claim lease and message visibility timeout, in seconds (positive, finite). */
  leaseSeconds: number;
  /** How often held claims are renewed, in ms. */
  leaseRenewalMs: number;
  /** How long a step may find no worker with its template before it fails, in seconds. */
  foreignTimeoutSeconds: number;
  /** How long aborted handlers get to settle at shutdown, in ms. */
  shutdownGraceMs: number;
  /** `close()`'s default deadline, in ms. */
  closeDeadlineMs: number;
  /** Owed-event recovery, or `null` when disabled or no writer is attached. */
  recovery: { olderThanMs: number; intervalMs: number } | null;
  /** Randomness for retry jitter. */
  random: () => number;
  /** Outcome-recording transactions in flight at once (1 or 2, see `commitFlights`). */
  commitFlights: number;
}

/**
 * Applies {@link WORKER_DEFAULTS} to `options` and checks them. An option given as `undefined`
 * takes its default (the Tasker passes its own options through unchanged).
 *
 * @param options the worker's options
 * @returns the settled configuration
 * @throws {WorkerConfigError} when `leaseSeconds` is not a positive finite number, or a poll
 *   interval is not a finite number of at least 1 ms
 *
 * @example
 * ```ts
 * import { resolveWorkerConfig } from "./worker_config.ts";
 * import { HandlerRegistry, TemplateRegistry } from "@deno-tasker/tasker";
 * import type { Database } from "@deno-tasker/tasker/durable";
 * const db = { kind: "pglite" } as unknown as Database; // a stand-in: resolving reads only its kind
 * const config = resolveWorkerConfig({
 *   db,
 *   templates: new TemplateRegistry(),
 *   handlers: new HandlerRegistry(),
 *   namespaces: ["demo"],
 *   leaseSeconds: 9,
 * });
 * console.log(config.leaseRenewalMs, config.pollIntervalMs); // 3000 50
 * ```
 */
export function resolveWorkerConfig(options: WorkerOptions): ResolvedWorkerConfig {
  const defaults = WORKER_DEFAULTS;
  const leaseSeconds = options.leaseSeconds ?? defaults.leaseSeconds;
  if (!(leaseSeconds > 0) || !Number.isFinite(leaseSeconds)) {
    throw new WorkerConfigError(
      `leaseSeconds must be a positive number, got ${options.leaseSeconds}`,
    );
  }
  const recovery = options.recovery;
  const concurrency = Math.max(1, options.concurrency ?? defaults.concurrency);
  const pollIntervalMs = pollInterval("pollIntervalMs", options.pollIntervalMs) ??
    defaults.pollIntervalMs;
  // A poll interval set by hand holds in both modes unless the listening one is set too.
  const listeningPollIntervalMs =
    pollInterval("listeningPollIntervalMs", options.listeningPollIntervalMs) ??
      options.pollIntervalMs ?? defaults.listeningPollIntervalMs;
  return {
    workerId: options.workerId ?? uuidv7(),
    namespaces: Object.freeze([...(options.namespaces ?? options.templates.namespaces())]),
    concurrency,
    pollIntervalMs,
    listeningPollIntervalMs,
    listen: options.listen ?? defaults.listen,
    recordStepTransitions: options.recordStepTransitions ?? defaults.recordStepTransitions,
    leaseSeconds,
    // Three renewals per lease: one late or failed renewal never lets a live claim expire.
    leaseRenewalMs: Math.max(100, Math.floor((leaseSeconds * 1000) / 3)),
    foreignTimeoutSeconds: options.foreignTimeoutSeconds ?? defaults.foreignTimeoutSeconds,
    shutdownGraceMs: options.shutdownGraceMs ?? defaults.shutdownGraceMs,
    closeDeadlineMs: defaults.closeDeadlineMs,
    // Recovery re-sends owed events through the writer: without one there is nothing to do.
    recovery: recovery === false || !options.writer ? null : {
      olderThanMs: recovery?.olderThanMs ?? defaults.recovery.olderThanMs,
      intervalMs: recovery?.intervalMs ?? defaults.recovery.intervalMs,
    },
    random: options.random ?? Math.random,
    commitFlights: commitFlights(options.db, concurrency),
  };
}

/** A poll interval as given, checked: `undefined`, or a finite number of ms of at least 1. */
function pollInterval(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  // 0, a negative or NaN would make an idle worker read its queues in a tight loop.
  if (typeof value !== "number" || !Number.isFinite(value) || value < 1) {
    throw new WorkerConfigError(
      `${name} must be a number of milliseconds of at least 1, got ${value}`,
    );
  }
  return value;
}

/**
 * The settings a worker reports (`tasker.config()`), from its resolved configuration.
 *
 * @param config the resolved configuration
 * @returns the snake_case settings
 *
 * @example
 * ```ts ignore
 * workerSettings(resolveWorkerConfig(options)).poll_interval_ms; // 50 unless set
 * ```
 */
export function workerSettings(config: ResolvedWorkerConfig): WorkerSettings {
  return {
    namespaces: [...config.namespaces],
    concurrency: config.concurrency,
    lease_seconds: config.leaseSeconds,
    lease_renewal_ms: config.leaseRenewalMs,
    foreign_timeout_seconds: config.foreignTimeoutSeconds,
    poll_interval_ms: config.pollIntervalMs,
    listening_poll_interval_ms: config.listeningPollIntervalMs,
    recovery: config.recovery === null ? null : {
      older_than_ms: config.recovery.olderThanMs,
      interval_ms: config.recovery.intervalMs,
    },
  };
}

/**
 * Commit transactions in flight at once: two on a server from concurrency 50 up, so that while
 * one group commits the other's steps run (measured at concurrency 100, fsync-on server: 1.09×
 * without events, 1.15× with one durable event per step); one below that, where halving the
 * groups doubled the transactions (0.90× at concurrency 10), and on PGlite (one connection).
 */
function commitFlights(db: Database, concurrency: number): number {
  return db.kind === "postgres" && concurrency >= 50 ? 2 : 1;
}
