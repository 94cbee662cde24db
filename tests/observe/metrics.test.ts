import assert from "node:assert/strict";
import type { DomainEvent } from "../../src/events/types.ts";
import { renderPrometheus } from "../../src/observe/prometheus.ts";
import { serveObservability } from "../../src/observe/server.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { eventually, get } from "./_helpers.ts";
import { parsePrometheus, sampleValue } from "./_prometheus.ts";

const DOMAIN_EVENTS = "domain_events/domain_event_publishing.yaml";

dbTest("metrics count steps, step times, events by path and actor mailboxes", async (db) => {
  const template = await exampleTemplate(DOMAIN_EVENTS);
  const namespace = template.namespace_name;
  await using tasker = await openTasker(db, [template]);
  const seen: string[] = [];
  tasker.bus.subscribe("#", (event) => {
    seen.push(event.event_name);
  }, { name: "recorder" });
  // A subscriber stuck on its first event with a one-slot mailbox: the second event waits in
  // its mailbox, the others are dropped as `full`.
  const release = Promise.withResolvers<void>();
  const stuckOn: DomainEvent[] = [];
  tasker.bus.subscribe("#", async (event) => {
    stuckOn.push(event);
    await release.promise;
  }, { name: "stuck", mailboxCapacity: 1 });
  try {
    const task = await tasker.submit({
      namespace,
      name: template.name,
      context: { order_id: "o-1", customer_id: "c-1", amount: 10, simulate_failure: "retryable" },
    });
    const done = await tasker.waitFor(task.task_uuid);
    assert.equal(done.status, "complete");
    await tasker.flush();
    await eventually(() => seen.length === 4 || undefined, "the recorder's four fast events");

    const m = await tasker.metrics();
    assert.equal(m.worker_id, tasker.workerId);
    // Four steps, the payment twice (a retryable failure, then success).
    assert.equal(m.steps.processed, 5);
    assert.equal(m.steps.succeeded, 4);
    assert.equal(m.steps.failed, 1);
    assert.equal(m.steps.retried, 1);
    assert.equal(m.steps.in_progress, 0);
    assert.equal(m.step_time.count, 5);
    assert.ok(m.step_time.max_ms > 0);
    assert.ok(m.step_time.p50_ms <= m.step_time.p95_ms);
    assert.ok(m.step_time.p95_ms <= m.step_time.p99_ms);
    assert.ok(m.step_time.p99_ms <= m.step_time.max_ms);

    // order.validated and payment.failed.retryable are fast; payment.processed and
    // notification.sent broadcast; inventory.updated durable.
    assert.equal(m.events.router.fast_routed, 2);
    assert.equal(m.events.router.broadcast_routed, 2);
    assert.equal(m.events.router.durable_routed, 1);
    assert.equal(m.events.bus.published, 4);
    assert.equal(m.events.writer.written, 3);

    const stuck = m.actors.find((a) => a.name === "stuck");
    assert.ok(stuck, "the stuck actor is listed");
    assert.equal(stuck.mailbox_capacity, 1);
    assert.equal(stuck.mailbox_depth, 1);
    assert.equal(stuck.saturation, 1);
    assert.equal(stuck.dropped.full, 2);
    assert.equal(m.actors.find((a) => a.name === "recorder")?.processed, 4);
    assert.equal(m.actor_totals.actors, 2);

    const step = m.queues.find((q) => q.kind === "step");
    assert.deepEqual(step, {
      queue: `worker_${namespace}_queue`,
      kind: "step",
      length: 0,
      visible: 0,
      oldest_visible_age_seconds: 0,
      oldest_message_age_seconds: 0,
    });
    const events = m.queues.find((q) => q.kind === "events");
    assert.equal(events?.queue, `${namespace}_domain_events`);
    assert.equal(events?.length, 3);
    assert.equal(m.queues_error, null);

    // A saturated mailbox degrades health.
    const health = await tasker.health();
    assert.equal(health.status, "degraded");
    assert.match(health.actors.find((a) => a.name === "stuck")?.message ?? "", /100% full/);

    // The exposition of this snapshot parses back to the same numbers.
    const families = parsePrometheus(renderPrometheus(m));
    const v = (name: string, labels?: Record<string, string>) =>
      sampleValue(families, name, labels);
    assert.equal(v("tasker_steps_processed_total"), m.steps.processed);
    assert.equal(v("tasker_steps_failed_total"), m.steps.failed);
    assert.equal(v("tasker_step_duration_seconds_count"), m.step_time.count);
    assert.equal(
      v("tasker_step_duration_seconds", { quantile: "0.99" }),
      m.step_time.p99_ms / 1000,
    );
    assert.equal(v("tasker_events_routed_total", { delivery_mode: "fast" }), 2);
    assert.equal(v("tasker_events_routed_total", { delivery_mode: "broadcast" }), 2);
    assert.equal(v("tasker_events_routed_total", { delivery_mode: "durable" }), 1);
    assert.equal(
      v("tasker_events_dropped_total", { path: "fast", reason: "mailbox" }),
      m.events.router.fast_delivery_errors,
    );
    assert.equal(v("tasker_writer_written_total"), 3);
    assert.equal(v("tasker_actor_mailbox_saturation", { actor: "stuck" }), 1);
    assert.equal(v("tasker_actor_dropped_total", { actor: "stuck", reason: "full" }), 2);
    assert.equal(v("tasker_actor_processed_total", { actor: "recorder" }), 4);
    assert.equal(
      v("tasker_queue_length", { queue: `${namespace}_domain_events`, kind: "events" }),
      3,
    );

    // And /metrics serves the same counters.
    await using server = serveObservability(tasker, { port: 0, inspector: false });
    const scraped = parsePrometheus((await get(server.url, "/metrics")).body);
    for (
      const name of [
        "tasker_steps_processed_total",
        "tasker_steps_succeeded_total",
        "tasker_step_duration_seconds_count",
        "tasker_step_duration_seconds_sum",
        "tasker_writer_written_total",
        "tasker_bus_published_total",
      ]
    ) {
      assert.equal(sampleValue(scraped, name), v(name), name);
    }
  } finally {
    release.resolve();
  }
});
