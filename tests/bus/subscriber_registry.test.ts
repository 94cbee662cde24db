import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { Subscriber } from "../../src/bus/subscriber.ts";
import { SubscriberRegistry } from "../../src/bus/subscriber_registry.ts";
import { InvalidPatternError } from "../../src/bus/pattern.ts";
import { ActorSystem } from "../../src/actors/system.ts";
import { TaskerError } from "../../src/errors.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { makeEvent, until } from "./_helpers.ts";

function recorder(into: string[], patterns: string[]) {
  return class extends Subscriber {
    static override subscribesTo = patterns;
    handle(event: DomainEvent): void {
      into.push(event.event_name);
    }
  };
}

Deno.test("registry starts all registered subscribers and reports stats", async () => {
  const payments: string[] = [];
  const orders: string[] = [];
  const PaymentsSubscriber = recorder(payments, ["payment.#"]);
  const OrdersSubscriber = recorder(orders, ["order.*"]);
  const registry = new SubscriberRegistry()
    .register(PaymentsSubscriber, { name: "payments" })
    .register(OrdersSubscriber, { name: "orders" });
  assert.deepEqual(registry.stats(), {
    started: false,
    subscriberCount: 2,
    activeCount: 0,
    subscribers: [
      { name: "payments", patterns: ["payment.#"], state: "not_started" },
      { name: "orders", patterns: ["order.*"], state: "not_started" },
    ],
  });
  await using bus = new EventBus();
  assert.equal(registry.startAll(bus), bus);
  assert.throws(() => registry.startAll(bus), /already started/);
  const stats = registry.stats();
  assert.equal(stats.started, true);
  assert.equal(stats.activeCount, 2);
  assert.deepEqual(stats.subscribers.map((s) => s.state), ["running", "running"]);

  bus.publish(makeEvent("payment.card.charged"));
  bus.publish(makeEvent("order.created"));
  await until(() => payments.length === 1 && orders.length === 1, "one event each");
  assert.deepEqual(payments, ["payment.card.charged"]);

  // Registered after start: starts at once.
  const late: string[] = [];
  registry.register(recorder(late, ["*"]), { name: "late" });
  bus.publish(makeEvent("x.y"));
  await until(() => late.length === 1, "late subscriber receives");
  assert.equal(registry.stats().activeCount, 3);

  await registry.stopAll();
  await registry.stopAll();
  assert.equal(registry.stats().started, false);
  assert.equal(registry.stats().activeCount, 0);
  assert.equal(bus.stats().subscribers, 0);
  assert.equal(bus.publish(makeEvent("payment.x")).matched, 0);
});

Deno.test("registry rejects duplicate names and bad patterns at register time", () => {
  const registry = new SubscriberRegistry();
  const First = recorder([], ["*"]);
  registry.register(First, { name: "dup" });
  assert.throws(
    () => registry.register(First, { name: "dup" }),
    (error: unknown) =>
      error instanceof TaskerError && error.code === "E_DUPLICATE_SUBSCRIBER" &&
      error.message.includes('"dup"'),
  );
  assert.throws(
    () => registry.register(recorder([], ["a.#x"]), { name: "bad" }),
    InvalidPatternError,
  );
  assert.equal(registry.stats().subscriberCount, 1);
});

Deno.test("registry started on an actor system creates and closes its own bus", async () => {
  await using system = new ActorSystem();
  const seen: string[] = [];
  class Seen extends Subscriber {
    handle(event: DomainEvent): void {
      seen.push(event.event_name);
    }
  }
  const registry = new SubscriberRegistry().register(Seen);
  const bus = registry.startAll(system);
  assert.equal(registry.bus, bus);
  assert.equal(bus.system, system);
  bus.publish(makeEvent("a.b"));
  await until(() => seen.length === 1, "one event");
  assert.equal(registry.stats().subscribers[0]!.name, "Seen");
  await registry.stopAll();
  assert.equal(bus.closed, true);
  assert.equal(registry.bus, null);
});
