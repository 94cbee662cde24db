/**
 * The metrics snapshot of a running Tasker: step counters and execution time percentiles, domain
 * events by path and by the reason they were not delivered (router, bus, writer), each actor's
 * mailbox and supervision counters, and the depth of the worker's queues.
 *
 * @module
 */

import type { ActorState, ActorSystemStats, DropReason } from "../actors/types.ts";
import type { BusStats } from "../bus/types.ts";
import { LatencyHistogram } from "../durable/writer/latency.ts";
import type { DurableWriterStats } from "../durable/writer/types.ts";
import type { EventRouterStats } from "../worker/event_router.ts";
import type { WorkerStats } from "../worker/worker_options.ts";
import type { QueueDepth } from "./queues.ts";

/** Step execution (handler) time, from a fixed-bucket histogram (percentiles ≤ 5% high). */
export interface StepTimeStats {
  /** Step attempts timed. */
  count: number;
  /** Total handler time, ms. */
  sum_ms: number;
  /** Mean handler time, ms (0 when none). */
  avg_ms: number;
  /** Longest handler time, ms. */
  max_ms: number;
  /** Median, ms. */
  p50_ms: number;
  /** 95th percentile, ms. */
  p95_ms: number;
  /** 99th percentile, ms. */
  p99_ms: number;
}

/**
 * Records step handler times in bounded memory (a fixed-bucket histogram, whatever the number of
 * steps) and answers the {@link StepTimeStats}.
 *
 * @example
 * ```ts
 * import { StepTimer } from "./metrics.ts";
 * const timer = new StepTimer();
 * for (const ms of [3, 5, 8, 120]) timer.record(ms);
 * timer.stats().max_ms; // 120
 * ```
 */
export class StepTimer {
  readonly #histogram = new LatencyHistogram();

  /**
   * Records one handler time.
   *
   * @param ms the duration in milliseconds
   */
  record(ms: number): void {
    this.#histogram.record(ms);
  }

  /** The current statistics. */
  stats(): StepTimeStats {
    const h = this.#histogram;
    return {
      count: h.count,
      sum_ms: round(h.mean * h.count),
      avg_ms: round(h.mean),
      max_ms: round(h.max),
      p50_ms: round(h.percentile(50)),
      p95_ms: round(h.percentile(95)),
      p99_ms: round(h.percentile(99)),
    };
  }
}

/** One actor's mailbox and supervision counters. */
export interface ActorMetrics {
  /** The actor's (subscriber's) name. */
  name: string;
  /** Its state. */
  state: ActorState;
  /** Messages queued now. */
  mailbox_depth: number;
  /** Mailbox capacity. */
  mailbox_capacity: number;
  /** `mailbox_depth / mailbox_capacity`, between 0 and 1. */
  saturation: number;
  /** Messages handled without error. */
  processed: number;
  /** Messages whose handling threw or timed out. */
  failed: number;
  /** Restarts so far. */
  restarts: number;
  /** Messages dropped, by reason. */
  dropped: Record<DropReason, number>;
}

/** Totals of the actor system (including actors that have left it): its stats without the per-actor list. */
export type ActorTotals = Omit<ActorSystemStats, "perActor">;

/** Domain event counters by path. */
export interface EventMetrics {
  /** The pipeline and router: routed by delivery mode, skipped and failed by reason. */
  router: EventRouterStats;
  /** The in-process bus (fast path). */
  bus: BusStats;
  /** The durable writer (durable path). */
  writer: DurableWriterStats;
}

/** A metrics snapshot of one Tasker. */
export interface TaskerMetrics {
  /** The deno-tasker version. */
  version: string;
  /** The worker's id. */
  worker_id: string;
  /** Seconds since the Tasker opened. */
  uptime_seconds: number;
  /** Step counters. */
  steps: WorkerStats;
  /** Step handler time. */
  step_time: StepTimeStats;
  /** Domain events by path. */
  events: EventMetrics;
  /** Actor system totals. */
  actor_totals: ActorTotals;
  /** Every actor, by name. */
  actors: ActorMetrics[];
  /** The worker's step queues and its namespaces' domain event queues (existing ones). */
  queues: QueueDepth[];
  /** Why `queues` is empty when the database could not be asked, else null. */
  queues_error: string | null;
}

/**
 * Turns actor system stats into the metrics view (saturation computed, names snake_case).
 *
 * @param stats `system.stats()`
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@deno-tasker/tasker/actors";
 * import { actorMetrics } from "./metrics.ts";
 * await using system = new ActorSystem();
 * system.spawn<string>({ name: "echo", factory: () => ({ receive() {} }) });
 * actorMetrics(system.stats()).actors[0]?.saturation; // 0
 * ```
 */
export function actorMetrics(
  stats: ActorSystemStats,
): { totals: ActorTotals; actors: ActorMetrics[] } {
  return {
    totals: {
      actors: stats.actors,
      processed: stats.processed,
      failed: stats.failed,
      dropped: stats.dropped,
      restarts: stats.restarts,
      escalations: stats.escalations,
    },
    actors: stats.perActor.map((a) => ({
      name: a.name,
      state: a.state,
      mailbox_depth: a.mailboxDepth,
      mailbox_capacity: a.mailboxCapacity,
      saturation: a.mailboxCapacity > 0 ? round(a.mailboxDepth / a.mailboxCapacity, 4) : 0,
      processed: a.processed,
      failed: a.failed,
      restarts: a.restarts,
      dropped: { ...a.dropped },
    })),
  };
}

function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
