/**
 * The Prometheus text exposition format (version 0.0.4) of a {@link TaskerMetrics} snapshot:
 * `# HELP` and `# TYPE` per family, counters ending in `_total`, durations in seconds, label
 * values escaped as the format requires (backslash, double quote, line feed).
 *
 * @module
 */

import type { TaskerMetrics } from "./metrics.ts";

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type MetricType = "counter" | "gauge" | "summary";
type Labels = Record<string, string>;

/**
 * Escapes a label value: `\` → `\\`, `"` → `\"`, line feed → `\n`.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "@deno-tasker/tasker/observe";
 * escapeLabelValue('say "hi"\n'); // 'say \\"hi\\"\\n'
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: `\` → `\\`, line feed → `\n`. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return "";
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** Collects families in order and renders them. */
class Exposition {
  readonly #lines: string[] = [];

  family(
    name: string,
    type: MetricType,
    help: string,
    samples: ReadonlyArray<readonly [Labels | undefined, number]>,
  ): void {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.sample(name, labels, value);
  }

  sample(name: string, labels: Labels | undefined, value: number): void {
    this.#lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  }

  one(name: string, type: MetricType, help: string, value: number): void {
    this.family(name, type, help, [[undefined, value]]);
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

const seconds = (ms: number) => ms / 1000;

/**
 * Renders a metrics snapshot in the Prometheus text format.
 *
 * @param m the snapshot (`tasker.metrics()`)
 * @returns the exposition text, ending with a line feed
 *
 * @example
 * ```ts ignore
 * const body = renderPrometheus(await tasker.metrics());
 * new Response(body, { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
 * ```
 */
export function renderPrometheus(m: TaskerMetrics): string {
  const out = new Exposition();
  out.family("tasker_info", "gauge", "deno-tasker version and worker id (always 1).", [
    [{ version: m.version, worker_id: m.worker_id }, 1],
  ]);
  out.one("tasker_uptime_seconds", "gauge", "Seconds since the Tasker opened.", m.uptime_seconds);

  const s = m.steps;
  out.one("tasker_steps_processed_total", "counter", "Step attempts recorded.", s.processed);
  out.one("tasker_steps_succeeded_total", "counter", "Attempts that completed.", s.succeeded);
  out.one("tasker_steps_failed_total", "counter", "Attempts that failed.", s.failed);
  out.one("tasker_steps_retried_total", "counter", "Failed attempts retried.", s.retried);
  out.one("tasker_steps_in_progress", "gauge", "Steps running now.", s.in_progress);
  out.one(
    "tasker_steps_lost_claims_total",
    "counter",
    "Outcomes not recorded because another worker took the step over.",
    s.lost_claims,
  );
  out.one(
    "tasker_worker_errors_total",
    "counter",
    "Unexpected errors while reading queues or processing a message.",
    s.errors,
  );
  out.one(
    "tasker_events_recovered_total",
    "counter",
    "Owed durable events re-sent by recovery passes.",
    s.recovered_events,
  );
  out.one("tasker_commit_groups_total", "counter", "Recording transactions.", s.commit_groups);
  out.one(
    "tasker_commit_isolations_total",
    "counter",
    "Commit groups split to isolate an outcome the database refused.",
    s.commit_isolations,
  );
  out.one(
    "tasker_steps_released_total",
    "counter",
    "Claims handed back without an outcome (shutdown), attempts not consumed.",
    s.released,
  );
  out.one(
    "tasker_steps_abandoned_total",
    "counter",
    "Handlers still running when shutdown gave up on them.",
    s.abandoned,
  );
  out.one(
    "tasker_steps_settled_total",
    "counter",
    "Steps failed without running: attempts exhausted by a dead worker, or no template.",
    s.settled_exhausted + s.settled_orphaned,
  );
  out.one(
    "tasker_worker_foreign_templates",
    "gauge",
    "Templates whose steps this worker leaves to others (missing, or changed without a bump).",
    s.foreign_templates.length,
  );

  const t = m.step_time;
  out.family("tasker_step_duration_seconds", "summary", "Step handler time.", [
    [{ quantile: "0.5" }, seconds(t.p50_ms)],
    [{ quantile: "0.95" }, seconds(t.p95_ms)],
    [{ quantile: "0.99" }, seconds(t.p99_ms)],
  ]);
  out.sample("tasker_step_duration_seconds_sum", undefined, seconds(t.sum_ms));
  out.sample("tasker_step_duration_seconds_count", undefined, t.count);
  out.one(
    "tasker_step_duration_max_seconds",
    "gauge",
    "Longest step handler time.",
    seconds(t.max_ms),
  );

  const r = m.events.router;
  out.family("tasker_events_routed_total", "counter", "Domain events routed, by delivery mode.", [
    [{ delivery_mode: "fast" }, r.fast_routed],
    [{ delivery_mode: "durable" }, r.durable_routed],
    [{ delivery_mode: "broadcast" }, r.broadcast_routed],
  ]);
  out.family(
    "tasker_events_skipped_total",
    "counter",
    "Declared events not fired: condition did not match, or the publisher declined.",
    [[{ reason: "condition" }, r.skipped_by_condition], [
      { reason: "publisher" },
      r.skipped_by_publisher,
    ]],
  );
  const w = m.events.writer;
  out.family(
    "tasker_events_dropped_total",
    "counter",
    "Domain events not delivered, by path and reason.",
    [
      [{ path: "pipeline", reason: "schema" }, r.schema_rejections],
      [{ path: "pipeline", reason: "publisher_error" }, r.publisher_errors],
      [{ path: "fast", reason: "mailbox" }, r.fast_delivery_errors],
      [{ path: "durable", reason: "writer_refused" }, r.routing_errors],
      [{ path: "durable", reason: "rejected" }, w.rejected],
      [{ path: "durable", reason: "unwritten" }, w.unwritten],
    ],
  );

  const b = m.events.bus;
  out.one("tasker_bus_published_total", "counter", "Events published on the bus.", b.published);
  out.one("tasker_bus_delivered_total", "counter", "Mailbox offers accepted.", b.delivered);
  out.one("tasker_bus_dropped_total", "counter", "Drops at offer time.", b.dropped);
  out.one(
    "tasker_bus_no_subscriber_total",
    "counter",
    "Events no one subscribed to.",
    b.no_subscriber,
  );
  out.one("tasker_bus_rejected_total", "counter", "Events the bus refused.", b.rejected);
  out.one("tasker_bus_subscribers", "gauge", "Subscribers attached.", b.subscribers);

  out.one("tasker_writer_enqueued_total", "counter", "Events accepted by the writer.", w.enqueued);
  out.one("tasker_writer_written_total", "counter", "Events committed to PGMQ.", w.written);
  out.one("tasker_writer_batches_total", "counter", "Batches committed.", w.batches);
  out.one(
    "tasker_writer_failed_writes_total",
    "counter",
    "Failed write attempts.",
    w.failed_writes,
  );
  out.one("tasker_writer_retries_total", "counter", "Batches retried after a failure.", w.retries);
  out.one(
    "tasker_writer_already_sent_total",
    "counter",
    "Owed events skipped because another writer had already written them.",
    w.already_sent,
  );
  out.one("tasker_writer_dropped_total", "counter", "Events the writer refused.", w.dropped);
  out.one(
    "tasker_writer_buffer_depth",
    "gauge",
    "Events held (waiting or in flight).",
    w.buffer_depth,
  );
  out.one("tasker_writer_in_flight_batches", "gauge", "Batches being written.", w.in_flight);
  out.one(
    "tasker_writer_latency_p50_seconds",
    "gauge",
    "Median enqueue-to-commit latency.",
    seconds(w.latency_p50_ms),
  );
  out.one(
    "tasker_writer_latency_p99_seconds",
    "gauge",
    "99th percentile enqueue-to-commit latency.",
    seconds(w.latency_p99_ms),
  );

  renderActors(out, m);
  renderQueues(out, m);
  return out.text();
}

function renderActors(out: Exposition, m: TaskerMetrics): void {
  out.one("tasker_actors", "gauge", "Actors in the system.", m.actor_totals.actors);
  out.one(
    "tasker_actor_escalations_total",
    "counter",
    "Actors stopped for good after too many restarts.",
    m.actor_totals.escalations,
  );
  const each = (pick: (a: TaskerMetrics["actors"][number]) => number) =>
    m.actors.map((a) => [{ actor: a.name }, pick(a)] as const);
  out.family(
    "tasker_actor_state",
    "gauge",
    "The actor's current state (1).",
    m.actors.map((a) => [{ actor: a.name, state: a.state }, 1] as const),
  );
  out.family(
    "tasker_actor_mailbox_depth",
    "gauge",
    "Messages queued.",
    each((a) => a.mailbox_depth),
  );
  out.family(
    "tasker_actor_mailbox_capacity",
    "gauge",
    "Mailbox capacity.",
    each((a) => a.mailbox_capacity),
  );
  out.family(
    "tasker_actor_mailbox_saturation",
    "gauge",
    "Mailbox depth / capacity.",
    each((a) => a.saturation),
  );
  out.family(
    "tasker_actor_processed_total",
    "counter",
    "Messages handled.",
    each((a) => a.processed),
  );
  out.family(
    "tasker_actor_failed_total",
    "counter",
    "Messages that failed.",
    each((a) => a.failed),
  );
  out.family("tasker_actor_restarts_total", "counter", "Restarts.", each((a) => a.restarts));
  out.family(
    "tasker_actor_dropped_total",
    "counter",
    "Messages dropped, by reason.",
    m.actors.flatMap((a) =>
      Object.entries(a.dropped).map(([reason, n]) => [{ actor: a.name, reason }, n] as const)
    ),
  );
}

function renderQueues(out: Exposition, m: TaskerMetrics): void {
  const each = (pick: (q: TaskerMetrics["queues"][number]) => number) =>
    m.queues.map((q) => [{ queue: q.queue, kind: q.kind }, pick(q)] as const);
  out.family("tasker_queue_length", "gauge", "Messages in the queue.", each((q) => q.length));
  out.family("tasker_queue_visible", "gauge", "Messages ready now.", each((q) => q.visible));
  out.family(
    "tasker_queue_oldest_visible_age_seconds",
    "gauge",
    "How long the oldest ready message has waited.",
    each((q) => q.oldest_visible_age_seconds),
  );
  out.family(
    "tasker_queue_oldest_message_age_seconds",
    "gauge",
    "How long ago the oldest message, visible or not, was sent.",
    each((q) => q.oldest_message_age_seconds),
  );
  out.one(
    "tasker_queue_scrape_error",
    "gauge",
    "1 when the queues could not be measured.",
    m.queues_error === null ? 0 : 1,
  );
}
