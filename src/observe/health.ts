/**
 * Health: each component is `healthy`, `degraded` (working, but an operator should look) or
 * `unhealthy` (not doing its job), and the Tasker is as bad as its worst component. The rules are
 * pure functions of the components' stats, so they are easy to read and to test:
 *
 * - database: the probe failed or missed its deadline → unhealthy;
 * - worker: not started → degraded; stopping or stopped → unhealthy;
 * - durable writer: writes failed since the last check while events wait, or the buffer is at
 *   least 80% full → degraded;
 * - step queues: a ready step has waited longer than `maxQueueWaitSeconds` → degraded;
 * - actors: an escalated actor (stopped for good after too many restarts), or a mailbox at least
 *   `saturationThreshold` full → degraded.
 *
 * @module
 */

import type { ActorState } from "../actors/types.ts";
import type { DatabaseHealth } from "../durable/db/open.ts";
import type { DurableWriterStats } from "../durable/writer/types.ts";
import type { WorkerState } from "../worker/worker_options.ts";
import type { ActorMetrics, ActorTotals } from "./metrics.ts";
import type { QueueDepth } from "./queues.ts";

/** How well something works. */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** The status of one component and, when not healthy, why. */
export interface ComponentHealth {
  /** The component's status. */
  status: HealthStatus;
  /** Why it is not healthy, or null. */
  message: string | null;
}

/** The database probe. */
export interface DatabaseComponent extends ComponentHealth {
  /** `pglite` or `postgres`. */
  kind: string;
  /** Round trip of the probe, ms. */
  latency_ms: number;
  /** The PGMQ extension version, or null when unknown. */
  pgmq_version: string | null;
}

/** The step worker. */
export interface WorkerComponent extends ComponentHealth {
  /** Where the worker is in its life. */
  state: WorkerState;
  /** Steps running now. */
  in_progress: number;
}

/** The durable writer. */
export interface WriterComponent extends ComponentHealth {
  /** Events held now. */
  buffer_depth: number;
  /** The most events it holds. */
  buffer_limit: number;
  /** Failed write attempts so far. */
  failed_writes: number;
  /** The last write error, or null. */
  last_error: string | null;
}

/** The worker's queues. */
export interface QueuesComponent extends ComponentHealth {
  /** Each existing queue's depth. */
  queues: QueueDepth[];
}

/** The actor system as a whole. */
export interface ActorSystemComponent extends ComponentHealth {
  /** Totals. */
  totals: ActorTotals;
}

/** One supervised actor. */
export interface ActorHealth extends ComponentHealth {
  /** The actor's name. */
  name: string;
  /** Its state. */
  state: ActorState;
  /** Mailbox fill, between 0 and 1. */
  saturation: number;
  /** Restarts so far. */
  restarts: number;
}

/** The full health report (`/health/detailed`). */
export interface HealthReport {
  /** The worst component status. */
  status: HealthStatus;
  /** Ready for work: the worker runs and the database answers. */
  ready: boolean;
  /** The deno-tasker version. */
  version: string;
  /** The worker's id. */
  worker_id: string;
  /** Seconds since the Tasker opened. */
  uptime_seconds: number;
  /** When the check ran (RFC 3339). */
  checked_at: string;
  /** Each component. */
  components: {
    /** The database probe. */
    database: DatabaseComponent;
    /** The step worker. */
    worker: WorkerComponent;
    /** The durable writer. */
    durable_writer: WriterComponent;
    /** The worker's queues. */
    step_queues: QueuesComponent;
    /** The actor system. */
    actor_system: ActorSystemComponent;
  };
  /** Each supervised actor. */
  actors: ActorHealth[];
}

/** Thresholds of the health rules. */
export interface HealthOptions {
  /** Deadline of the database probe (and of the queue queries), ms. Default 2000. */
  timeoutMs?: number;
  /** A ready step waiting longer than this, in seconds, degrades health. Default 300. */
  maxQueueWaitSeconds?: number;
  /** A mailbox at least this full (0–1) degrades health. Default 0.9. */
  saturationThreshold?: number;
}

/**
 * The worst of several statuses.
 *
 * @example
 * ```ts
 * import { worstStatus } from "./health.ts";
 * worstStatus(["healthy", "degraded"]); // "degraded"
 * ```
 */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = "healthy";
  for (const status of statuses) {
    if (status === "unhealthy") return "unhealthy";
    if (status === "degraded") worst = "degraded";
  }
  return worst;
}

/**
 * The database rule: a failed probe is unhealthy.
 *
 * @example
 * ```ts
 * import { databaseComponent } from "./health.ts";
 * databaseComponent({ ok: false, kind: "postgres", latency_ms: 2000, error: "timeout" }).status;
 * // "unhealthy"
 * ```
 */
export function databaseComponent(probe: DatabaseHealth): DatabaseComponent {
  return {
    status: probe.ok ? "healthy" : "unhealthy",
    message: probe.ok ? null : `database unreachable: ${probe.error ?? "unknown error"}`,
    kind: probe.kind,
    latency_ms: probe.latency_ms,
    pgmq_version: probe.pgmq_version ?? null,
  };
}

/**
 * The worker rule: running is healthy, not started is degraded, stopping or stopped unhealthy;
 * a running worker that leaves steps to others because it lacks their template (or has it with
 * other content) is degraded, with the reasons.
 *
 * @example
 * ```ts
 * import { workerComponent } from "./health.ts";
 * workerComponent("created", 0).status; // "degraded"
 * ```
 */
export function workerComponent(
  state: WorkerState,
  inProgress: number,
  foreignTemplates: readonly string[] = [],
): WorkerComponent {
  const status: HealthStatus = state === "running"
    ? foreignTemplates.length === 0 ? "healthy" : "degraded"
    : state === "created"
    ? "degraded"
    : "unhealthy";
  const message = state === "running"
    ? foreignTemplates.length === 0 ? null : foreignTemplates.join("; ")
    : state === "created"
    ? "the worker has not been started"
    : `the worker is ${state}`;
  return { status, message, state, in_progress: inProgress };
}

/**
 * The writer rule: failed writes since the previous check while events wait, or a buffer at
 * least 80% full, is degraded.
 *
 * @param stats the writer's stats now
 * @param previousFailedWrites `failed_writes` at the previous check (0 at the first)
 * @param bufferLimit the writer's buffer limit
 *
 * @example
 * ```ts ignore
 * writerComponent(writer.stats(), 0, 100_000).status;
 * ```
 */
export function writerComponent(
  stats: DurableWriterStats,
  previousFailedWrites: number,
  bufferLimit: number,
): WriterComponent {
  const failing = stats.failed_writes > previousFailedWrites && stats.buffer_depth > 0;
  const full = stats.buffer_depth >= bufferLimit * 0.8;
  const message = failing
    ? `writes are failing with ${stats.buffer_depth} events waiting: ${stats.last_error}`
    : full
    ? `the buffer holds ${stats.buffer_depth} of at most ${bufferLimit} events`
    : null;
  return {
    status: message === null ? "healthy" : "degraded",
    message,
    buffer_depth: stats.buffer_depth,
    buffer_limit: bufferLimit,
    failed_writes: stats.failed_writes,
    last_error: stats.last_error,
  };
}

/**
 * The queue rule: a ready step that waited longer than `maxWaitSeconds` is degraded (the worker
 * does not keep up, or nobody reads the queue). Domain event queues are reported, not judged:
 * their consumers may live anywhere.
 *
 * @example
 * ```ts
 * import { queuesComponent } from "./health.ts";
 * queuesComponent([], 300).status; // "healthy"
 * ```
 */
export function queuesComponent(queues: QueueDepth[], maxWaitSeconds: number): QueuesComponent {
  const late = queues.filter((q) =>
    q.kind === "step" && q.visible > 0 && q.oldest_visible_age_seconds > maxWaitSeconds
  );
  return {
    status: late.length === 0 ? "healthy" : "degraded",
    message: late.length === 0
      ? null
      : `ready steps waiting longer than ${maxWaitSeconds} s in ${
        late.map((q) => `${q.queue} (${q.oldest_visible_age_seconds} s)`).join(", ")
      }`,
    queues,
  };
}

/**
 * The actor rule for one actor: escalated, or a mailbox at least `threshold` full, is degraded.
 *
 * @example
 * ```ts
 * import { actorHealth } from "./health.ts";
 * const dropped = { full: 0, evicted: 0, deadline: 0, stopped: 0 };
 * actorHealth({
 *   name: "audit", state: "escalated", mailbox_depth: 0, mailbox_capacity: 8, saturation: 0,
 *   processed: 0, failed: 4, restarts: 3, dropped,
 * }, 0.9).status; // "degraded"
 * ```
 */
export function actorHealth(actor: ActorMetrics, threshold: number): ActorHealth {
  const message = actor.state === "escalated"
    ? `escalated after ${actor.restarts} restarts: it takes no more events`
    : actor.saturation >= threshold
    ? `mailbox ${Math.round(actor.saturation * 100)}% full`
    : null;
  return {
    status: message === null ? "healthy" : "degraded",
    message,
    name: actor.name,
    state: actor.state,
    saturation: actor.saturation,
    restarts: actor.restarts,
  };
}

/**
 * The actor system rule: as bad as its worst actor.
 *
 * @example
 * ```ts ignore
 * actorSystemComponent(totals, actors.map((a) => actorHealth(a, 0.9))).status;
 * ```
 */
export function actorSystemComponent(
  totals: ActorTotals,
  actors: readonly ActorHealth[],
): ActorSystemComponent {
  const unwell = actors.filter((a) => a.status !== "healthy");
  return {
    status: worstStatus(unwell.map((a) => a.status)),
    message: unwell.length === 0 ? null : `${unwell.map((a) => a.name).join(", ")} not healthy`,
    totals,
  };
}
