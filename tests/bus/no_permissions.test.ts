import assert from "node:assert/strict";
import { compilePattern, matchPattern, toPgmqPattern } from "../../src/bus/pattern.ts";
import { EventBus } from "../../src/bus/event_bus.ts";
import { Subscriber } from "../../src/bus/subscriber.ts";
import { SubscriberRegistry } from "../../src/bus/subscriber_registry.ts";
import { ActorSystem } from "../../src/actors/system.ts";
import { createLoggingSubscriber, createMetricsSubscriber } from "../../actors/mod.ts";
import { FastEventCapture } from "../../src/testing/fast_capture.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { makeEvent } from "./_helpers.ts";

Deno.test({
  name: "the whole fast path runs with no Deno permission at all",
  permissions: "none",
  async fn() {
    assert.equal(matchPattern("a.#.c", "a.x.y.c"), true);
    assert.equal(compilePattern("*.b").test("a.b"), true);
    assert.equal(toPgmqPattern("*"), "#");

    await using system = new ActorSystem();
    await using bus = new EventBus({ system });
    await using capture = new FastEventCapture(bus, { pattern: "payment.#" });

    const lines: string[] = [];
    const metrics = createMetricsSubscriber();
    const handled: string[] = [];
    class Audit extends Subscriber {
      static override subscribesTo = ["order.*"];
      handle(event: DomainEvent): void {
        handled.push(event.event_name);
      }
    }
    const registry = new SubscriberRegistry()
      .register(createLoggingSubscriber({ sink: (line) => lines.push(line) }))
      .register(metrics)
      .register(Audit);
    registry.startAll(bus);
    const direct: string[] = [];
    bus.subscribe("#.failed", (event) => void direct.push(event.event_name));

    const first = bus.publish(makeEvent("payment.failed", { success: false }));
    assert.deepEqual(first, { matched: 4, enqueued: 4, dropped: 0 });
    bus.publish(makeEvent("order.created"));
    await capture.waitFor(1, { timeoutMs: 1000 });
    while (metrics.snapshot().events_received < 2 || handled.length < 1 || lines.length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.deepEqual(direct, ["payment.failed"]);
    assert.deepEqual(handled, ["order.created"]);
    assert.equal(JSON.parse(lines[1]!).event_name, "order.created");
    assert.equal(metrics.snapshot().failure_events, 1);
    assert.equal(capture.assertCaptured("payment.failed").event_name, "payment.failed");
    assert.equal(registry.stats().activeCount, 3);
    await registry.stopAll();
  },
});
