import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { planSubscriber, subscribe, Subscriber } from "../../src/bus/subscriber.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { makeEvent, until } from "./_helpers.ts";

const fastRestarts = { supervisor: { intensity: 100, backoff: { minMs: 0, maxMs: 1 } } };

Deno.test("class subscribers: subscribesTo, beforeHandle false skips, afterHandle runs", async () => {
  const log: string[] = [];
  class Audit extends Subscriber {
    static override subscribesTo = ["payment.#", "order.*"];
    override beforeHandle(event: DomainEvent): boolean {
      log.push(`before ${event.event_name}`);
      return event.metadata.namespace !== "skip";
    }
    handle(event: DomainEvent): void {
      log.push(`handle ${event.event_name}`);
    }
    override afterHandle(event: DomainEvent): void {
      log.push(`after ${event.event_name}`);
    }
  }
  await using bus = new EventBus();
  const subscription = subscribe(bus, Audit);
  assert.equal(subscription.name, "Audit");
  assert.deepEqual(subscription.patterns, ["payment.#", "order.*"]);
  bus.publish(makeEvent("payment.processed"));
  bus.publish(makeEvent("order.created", { namespace: "skip" }));
  bus.publish(makeEvent("user.created"));
  bus.publish(makeEvent("order.shipped"));
  await until(() => log.length === 7, "seven hook calls");
  assert.deepEqual(log, [
    "before payment.processed",
    "handle payment.processed",
    "after payment.processed",
    "before order.created",
    "before order.shipped",
    "handle order.shipped",
    "after order.shipped",
  ]);
});

Deno.test("async hooks are awaited in order", async () => {
  const log: string[] = [];
  class Slow extends Subscriber {
    override async beforeHandle(event: DomainEvent): Promise<boolean> {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return event.event_name !== "a.skip";
    }
    async handle(event: DomainEvent): Promise<void> {
      await Promise.resolve();
      log.push(`handle ${event.event_name}`);
    }
    override async afterHandle(event: DomainEvent): Promise<void> {
      await Promise.resolve();
      log.push(`after ${event.event_name}`);
    }
  }
  await using bus = new EventBus();
  subscribe(bus, Slow);
  for (const name of ["a.one", "a.skip", "a.two"]) bus.publish(makeEvent(name));
  await until(() => log.length === 4, "four hook calls");
  assert.deepEqual(log, ["handle a.one", "after a.one", "handle a.two", "after a.two"]);
});

Deno.test("a throw in handle calls onHandleError, then crashes and a class is rebuilt", async () => {
  const errors: string[] = [];
  let instances = 0;
  class Flaky extends Subscriber {
    static override options = { ...fastRestarts };
    handled = 0;
    constructor() {
      super();
      instances++;
    }
    handle(event: DomainEvent): void {
      this.handled++;
      if (event.event_name === "a.bad") throw new Error("bad event");
    }
    override afterHandle(): void {
      afterCounts.push(this.handled);
    }
    override onHandleError(event: DomainEvent, error: unknown): void {
      errors.push(`${event.event_name}: ${(error as Error).message}`);
    }
  }
  const afterCounts: number[] = [];
  await using bus = new EventBus();
  const subscription = subscribe(bus, Flaky);
  bus.publish(makeEvent("a.good"));
  bus.publish(makeEvent("a.bad"));
  bus.publish(makeEvent("a.good"));
  await until(() => afterCounts.length === 2, "two good events");
  assert.deepEqual(errors, ["a.bad: bad event"]);
  // The crash rebuilt the instance: its count starts over after the restart.
  assert.deepEqual(afterCounts, [1, 1]);
  assert.equal(instances, 2);
  const stats = subscription.stats();
  assert.equal(stats.failed, 1);
  assert.equal(stats.restarts, 1);
  assert.equal(stats.processed, 2);
});

Deno.test("failures in beforeHandle and afterHandle are also reported and supervised", async () => {
  const errors: string[] = [];
  class Picky extends Subscriber {
    static override options = { ...fastRestarts };
    override beforeHandle(event: DomainEvent): boolean {
      if (event.event_name === "a.before") throw new Error("before failed");
      return true;
    }
    handle(): void {}
    override async afterHandle(event: DomainEvent): Promise<void> {
      await Promise.resolve();
      if (event.event_name === "a.after") throw new Error("after failed");
    }
    override onHandleError(_event: DomainEvent, error: unknown): void {
      errors.push((error as Error).message);
      throw new Error("observer failure must not hide the original");
    }
  }
  const letters: unknown[] = [];
  await using bus = new EventBus();
  const subscription = subscribe(bus, Picky, {
    onDeadLetter: (letter) => void letters.push((letter.error as Error).message),
  });
  bus.publish(makeEvent("a.before"));
  bus.publish(makeEvent("a.after"));
  bus.publish(makeEvent("a.fine"));
  await until(() => subscription.stats().processed === 1, "the fine event");
  assert.deepEqual(errors, ["before failed", "after failed"]);
  assert.deepEqual(letters, ["before failed", "after failed"]);
  assert.equal(subscription.stats().failed, 2);
});

Deno.test("an instance is reused across restarts; static options and name apply", async () => {
  class Counter extends Subscriber {
    static override subscribesTo = ["count.*"];
    static override options = { mailboxCapacity: 7, ...fastRestarts };
    seen = 0;
    handle(event: DomainEvent): void {
      this.seen++;
      if (event.event_name === "count.crash") throw new Error("crash");
    }
  }
  const counter = new Counter();
  const plan = planSubscriber(counter, { name: "counter_instance" });
  assert.equal(plan.name, "counter_instance");
  assert.deepEqual(plan.patterns, ["count.*"]);
  assert.equal(plan.options.mailboxCapacity, 7);
  await using bus = new EventBus();
  const subscription = subscribe(bus, counter, { name: "counter_instance" });
  bus.publish(makeEvent("count.one"));
  bus.publish(makeEvent("count.crash"));
  bus.publish(makeEvent("count.two"));
  bus.publish(makeEvent("other.event"));
  await until(() => subscription.stats().processed === 2, "two processed");
  assert.equal(counter.seen, 3, "the same instance kept counting through the restart");
  assert.equal(subscription.stats().mailboxCapacity, 7);
  assert.equal(subscription.stats().restarts, 1);
});

Deno.test("the default subscribesTo is every event", async () => {
  const names: string[] = [];
  class All extends Subscriber {
    handle(event: DomainEvent): void {
      names.push(event.event_name);
    }
  }
  assert.deepEqual(All.subscribesTo, ["*"]);
  await using bus = new EventBus();
  subscribe(bus, All);
  bus.publish(makeEvent("a.b"));
  bus.publish(makeEvent("c.d.e"));
  await until(() => names.length === 2, "two events");
  assert.deepEqual(names, ["a.b", "c.d.e"]);
});
