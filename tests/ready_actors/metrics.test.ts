import assert from "node:assert/strict";
import {
  createMetricsSubscriber,
  MetricsCollector,
  MetricsSubscriber,
} from "../../actors/metrics.ts";
import { EventBus } from "../../src/bus/event_bus.ts";
import { subscribe, Subscriber } from "../../src/bus/subscriber.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { makeEvent, until } from "../bus/_helpers.ts";

Deno.test("the metrics subscriber counts by name, namespace and outcome", async () => {
  const clock = new Date("2025-05-06T07:08:09.000Z");
  const collector = new MetricsCollector(() => clock);
  const metrics = createMetricsSubscriber({ patterns: ["payment.#", "order.*"], collector });
  await using bus = new EventBus();
  subscribe(bus, metrics);
  assert.equal(metrics.snapshot().last_event_at, null);
  bus.publish(makeEvent("payment.processed", { namespace: "payments" }));
  bus.publish(makeEvent("payment.processed", { namespace: "payments" }));
  bus.publish(makeEvent("payment.failed", { namespace: "payments", success: false }));
  bus.publish(makeEvent("order.created", { namespace: "orders" }));
  bus.publish(makeEvent("user.created", { namespace: "users" }));
  const odd = makeEvent("order.weird", { namespace: "" });
  delete (odd.payload.execution_result as Record<string, unknown>).success;
  bus.publish(odd);
  await until(() => metrics.snapshot().events_received === 5, "five counted");
  const snapshot = metrics.snapshot();
  assert.deepEqual(snapshot, {
    events_received: 5,
    success_events: 3,
    failure_events: 1,
    unknown_outcome_events: 1,
    by_event_name: {
      "payment.processed": 2,
      "payment.failed": 1,
      "order.created": 1,
      "order.weird": 1,
    },
    by_namespace: { payments: 3, orders: 1, unknown: 1 },
    last_event_at: "2025-05-06T07:08:09.000Z",
  });
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
  collector.reset();
  assert.equal(metrics.snapshot().events_received, 0);
});

Deno.test("counts survive a crash of a class-registered metrics subscriber", async () => {
  const collector = new MetricsCollector();
  class CrashyMetrics extends Subscriber {
    static override options = { supervisor: { intensity: 100, backoff: { minMs: 0, maxMs: 1 } } };
    readonly inner = new MetricsSubscriber({ collector });
    handle(event: DomainEvent): void {
      this.inner.handle(event);
      if (event.event_name === "a.crash") throw new Error("crash after counting");
    }
  }
  await using bus = new EventBus();
  const subscription = subscribe(bus, CrashyMetrics);
  for (const name of ["a.one", "a.crash", "a.two"]) bus.publish(makeEvent(name));
  await until(() => collector.snapshot().events_received === 3, "three counted");
  await until(() => subscription.stats().processed === 2, "two processed");
  assert.equal(subscription.stats().restarts, 1);
  assert.equal(collector.snapshot().by_event_name["a.two"], 1);
});

Deno.test("a MetricsSubscriber registered as a class uses the shared static collector", () => {
  const metrics = new MetricsSubscriber();
  assert.equal(metrics.collector, MetricsSubscriber.collector);
  assert.deepEqual(metrics.patterns, ["*"]);
  assert.notEqual(createMetricsSubscriber().collector, MetricsSubscriber.collector);
});
