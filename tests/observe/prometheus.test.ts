import assert from "node:assert/strict";
import type { TaskerMetrics } from "../../src/observe/metrics.ts";
import { StepTimer } from "../../src/observe/metrics.ts";
import {
  escapeLabelValue,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheus,
} from "../../src/observe/prometheus.ts";
import { parsePrometheus, sampleValue } from "./_prometheus.ts";

const WEIRD = 'audit "eu"\\west\nline2';

function snapshot(): TaskerMetrics {
  return {
    version: "0.1.0",
    worker_id: "w-1",
    uptime_seconds: 12.5,
    steps: {
      processed: 10,
      succeeded: 7,
      failed: 3,
      retried: 2,
      in_progress: 1,
      lost_claims: 4,
      errors: 5,
      handler_ms_total: 1234,
      handler_ms_max: 400,
      recovered_events: 6,
      commit_groups: 8,
      commit_ms_total: 90,
      claim_ms_total: 30,
      queue_reads: 12,
      commit_isolations: 0,
      released: 1,
      abandoned: 0,
      settled_exhausted: 0,
      settled_orphaned: 0,
      unstorable_events: 0,
      foreign_templates: [],
    },
    step_time: {
      count: 10,
      sum_ms: 1234,
      avg_ms: 123.4,
      max_ms: 400,
      p50_ms: 100,
      p95_ms: 350,
      p99_ms: 400,
    },
    events: {
      router: {
        total_routed: 21,
        durable_routed: 11,
        fast_routed: 7,
        broadcast_routed: 3,
        fast_delivery_errors: 2,
        routing_errors: 1,
        schema_rejections: 9,
        skipped_by_condition: 13,
        skipped_by_publisher: 14,
        publisher_errors: 15,
      },
      bus: {
        published: 31,
        delivered: 32,
        dropped: 33,
        no_subscriber: 34,
        rejected: 35,
        subscribers: 2,
      },
      writer: {
        enqueued: 41,
        written: 40,
        batches: 5,
        mean_batch_size: 8,
        max_batch_size: 12,
        failed_writes: 2,
        retries: 1,
        dropped: 3,
        already_sent: 0,
        rejected: 4,
        unwritten: 6,
        buffer_depth: 7,
        in_flight: 1,
        latency_p50_ms: 2,
        latency_p99_ms: 20,
        last_error: "boom",
      },
    },
    actor_totals: { actors: 2, processed: 50, failed: 3, dropped: 9, restarts: 2, escalations: 1 },
    actors: [
      {
        name: WEIRD,
        state: "escalated",
        mailbox_depth: 0,
        mailbox_capacity: 8,
        saturation: 0,
        processed: 20,
        failed: 3,
        restarts: 2,
        dropped: { full: 0, evicted: 0, deadline: 0, stopped: 4 },
      },
      {
        name: "metrics",
        state: "running",
        mailbox_depth: 6,
        mailbox_capacity: 8,
        saturation: 0.75,
        processed: 30,
        failed: 0,
        restarts: 0,
        dropped: { full: 5, evicted: 0, deadline: 0, stopped: 0 },
      },
    ],
    queues: [
      {
        queue: "worker_payments_queue",
        kind: "step",
        length: 4,
        visible: 3,
        oldest_visible_age_seconds: 1.5,
        oldest_message_age_seconds: 2,
      },
    ],
    queues_error: null,
  };
}

Deno.test("escapeLabelValue escapes backslash, double quote and line feed", () => {
  assert.equal(escapeLabelValue("plain"), "plain");
  assert.equal(escapeLabelValue('a"b'), 'a\\"b');
  assert.equal(escapeLabelValue("a\\b"), "a\\\\b");
  assert.equal(escapeLabelValue("a\nb"), "a\\nb");
  assert.equal(escapeLabelValue('\\"'), '\\\\\\"');
});

Deno.test("the exposition parses back to the snapshot's numbers", () => {
  const m = snapshot();
  const text = renderPrometheus(m);
  const families = parsePrometheus(text);
  const v = (name: string, labels?: Record<string, string>) => sampleValue(families, name, labels);

  assert.equal(v("tasker_info", { version: "0.1.0", worker_id: "w-1" }), 1);
  assert.equal(v("tasker_uptime_seconds"), 12.5);
  assert.equal(v("tasker_steps_processed_total"), 10);
  assert.equal(v("tasker_steps_succeeded_total"), 7);
  assert.equal(v("tasker_steps_failed_total"), 3);
  assert.equal(v("tasker_steps_retried_total"), 2);
  assert.equal(v("tasker_steps_in_progress"), 1);
  assert.equal(v("tasker_steps_lost_claims_total"), 4);
  assert.equal(v("tasker_worker_errors_total"), 5);
  assert.equal(v("tasker_events_recovered_total"), 6);

  assert.equal(families.get("tasker_step_duration_seconds")?.type, "summary");
  assert.equal(v("tasker_step_duration_seconds", { quantile: "0.5" }), 0.1);
  assert.equal(v("tasker_step_duration_seconds", { quantile: "0.95" }), 0.35);
  assert.equal(v("tasker_step_duration_seconds", { quantile: "0.99" }), 0.4);
  assert.equal(v("tasker_step_duration_seconds_sum"), 1.234);
  assert.equal(v("tasker_step_duration_seconds_count"), 10);
  assert.equal(v("tasker_step_duration_max_seconds"), 0.4);

  assert.equal(v("tasker_events_routed_total", { delivery_mode: "fast" }), 7);
  assert.equal(v("tasker_events_routed_total", { delivery_mode: "durable" }), 11);
  assert.equal(v("tasker_events_routed_total", { delivery_mode: "broadcast" }), 3);
  assert.equal(v("tasker_events_skipped_total", { reason: "condition" }), 13);
  assert.equal(v("tasker_events_skipped_total", { reason: "publisher" }), 14);
  const dropped = (path: string, reason: string) =>
    v("tasker_events_dropped_total", { path, reason });
  assert.equal(dropped("pipeline", "schema"), 9);
  assert.equal(dropped("pipeline", "publisher_error"), 15);
  assert.equal(dropped("fast", "mailbox"), 2);
  assert.equal(dropped("durable", "writer_refused"), 1);
  assert.equal(dropped("durable", "rejected"), 4);
  assert.equal(dropped("durable", "unwritten"), 6);

  assert.equal(v("tasker_bus_published_total"), 31);
  assert.equal(v("tasker_bus_dropped_total"), 33);
  assert.equal(v("tasker_bus_subscribers"), 2);
  assert.equal(v("tasker_writer_written_total"), 40);
  assert.equal(v("tasker_writer_failed_writes_total"), 2);
  assert.equal(v("tasker_writer_buffer_depth"), 7);
  assert.equal(v("tasker_writer_latency_p99_seconds"), 0.02);

  assert.equal(v("tasker_actors"), 2);
  assert.equal(v("tasker_actor_escalations_total"), 1);
  assert.equal(v("tasker_actor_state", { actor: WEIRD, state: "escalated" }), 1);
  assert.equal(v("tasker_actor_processed_total", { actor: WEIRD }), 20);
  assert.equal(v("tasker_actor_restarts_total", { actor: WEIRD }), 2);
  assert.equal(v("tasker_actor_dropped_total", { actor: WEIRD, reason: "stopped" }), 4);
  assert.equal(v("tasker_actor_mailbox_depth", { actor: "metrics" }), 6);
  assert.equal(v("tasker_actor_mailbox_capacity", { actor: "metrics" }), 8);
  assert.equal(v("tasker_actor_mailbox_saturation", { actor: "metrics" }), 0.75);
  assert.equal(v("tasker_actor_dropped_total", { actor: "metrics", reason: "full" }), 5);

  const queue = { queue: "worker_payments_queue", kind: "step" };
  assert.equal(v("tasker_queue_length", queue), 4);
  assert.equal(v("tasker_queue_visible", queue), 3);
  assert.equal(v("tasker_queue_oldest_visible_age_seconds", queue), 1.5);
  assert.equal(v("tasker_steps_released_total"), 1);
  assert.equal(v("tasker_queue_oldest_message_age_seconds", queue), 2);
  assert.equal(v("tasker_queue_scrape_error"), 0);
});

Deno.test("every family has HELP and TYPE, and counters end in _total", () => {
  const families = parsePrometheus(renderPrometheus(snapshot()));
  assert.ok(families.size > 30);
  for (const family of families.values()) {
    assert.notEqual(family.help, "", `${family.name} has no help text`);
    if (family.type === "counter") assert.match(family.name, /_total$/);
  }
});

Deno.test("a label value with quotes, backslashes and a line feed stays on one line", () => {
  const text = renderPrometheus(snapshot());
  const line = text.split("\n").find((l) =>
    l.startsWith('tasker_actor_processed_total{actor="audit')
  );
  assert.equal(line, 'tasker_actor_processed_total{actor="audit \\"eu\\"\\\\west\\nline2"} 20');
});

Deno.test("a queue scrape failure is exposed as a gauge", () => {
  const m = { ...snapshot(), queues: [], queues_error: "no answer within 2000 ms" };
  const families = parsePrometheus(renderPrometheus(m));
  assert.equal(sampleValue(families, "tasker_queue_scrape_error"), 1);
  assert.deepEqual(families.get("tasker_queue_length")?.samples, []);
});

Deno.test("the parser refuses what Prometheus would refuse", () => {
  assert.throws(() => parsePrometheus("x 1\n"), /outside its family/);
  assert.throws(
    () => parsePrometheus('# HELP x_total h\n# TYPE x_total counter\nx_total{a="\\q"} 1\n'),
    /bad escape/,
  );
  assert.throws(() => parsePrometheus("# HELP x h\n# TYPE x counter\nx 1\n"), /_total/);
  assert.throws(
    () => parsePrometheus("# HELP x h\n# TYPE x gauge\nx 1\nx 2\n"),
    /duplicate series/,
  );
});

Deno.test("StepTimer reports count, sum, mean, max and ordered percentiles", () => {
  const timer = new StepTimer();
  assert.deepEqual(timer.stats(), {
    count: 0,
    sum_ms: 0,
    avg_ms: 0,
    max_ms: 0,
    p50_ms: 0,
    p95_ms: 0,
    p99_ms: 0,
  });
  for (let i = 1; i <= 100; i++) timer.record(i);
  const stats = timer.stats();
  assert.equal(stats.count, 100);
  assert.equal(stats.sum_ms, 5050);
  assert.equal(stats.avg_ms, 50.5);
  assert.equal(stats.max_ms, 100);
  // Bucket upper edges: at most ~5% above the true percentile, never below it.
  assert.ok(stats.p50_ms >= 50 && stats.p50_ms <= 50 * 1.05, `p50 ${stats.p50_ms}`);
  assert.ok(stats.p95_ms >= 95 && stats.p95_ms <= 95 * 1.05, `p95 ${stats.p95_ms}`);
  assert.ok(stats.p99_ms >= 99 && stats.p99_ms <= 100, `p99 ${stats.p99_ms}`);
});

Deno.test("the content type is the 0.0.4 text format", () => {
  assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});
