import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { InvalidPatternError } from "../../src/bus/pattern.ts";
import { ActorSystem } from "../../src/actors/system.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { gate, makeEvent, until } from "./_helpers.ts";

const seqOf = (event: DomainEvent) => event.metadata.seq as number;

Deno.test("publish offers to matching subscribers only and reports counts", async () => {
  await using bus = new EventBus();
  const payments: string[] = [];
  const everything: string[] = [];
  bus.subscribe("payment.*", (event) => void payments.push(event.event_name));
  bus.subscribe(["#"], (event) => void everything.push(event.event_name));

  assert.deepEqual(bus.publish(makeEvent("payment.processed")), {
    matched: 2,
    enqueued: 2,
    dropped: 0,
  });
  assert.deepEqual(bus.publish(makeEvent("order.created")), {
    matched: 1,
    enqueued: 1,
    dropped: 0,
  });
  assert.deepEqual(bus.publish(makeEvent("payment.card.failed")), {
    matched: 1,
    enqueued: 1,
    dropped: 0,
  });
  await until(() => everything.length === 3, "3 events on #");
  assert.deepEqual(payments, ["payment.processed"]);
  assert.deepEqual(everything, ["payment.processed", "order.created", "payment.card.failed"]);

  await using lonely = new EventBus();
  assert.deepEqual(lonely.publish(makeEvent("x.y")), { matched: 0, enqueued: 0, dropped: 0 });
  assert.equal(lonely.stats().no_subscriber, 1);
  assert.deepEqual(bus.stats(), {
    published: 3,
    delivered: 4,
    dropped: 0,
    no_subscriber: 0,
    rejected: 0,
    subscribers: 2,
  });
});

Deno.test("each subscriber receives its events in publish order (FIFO)", async () => {
  await using bus = new EventBus();
  const sync: number[] = [];
  const async: number[] = [];
  bus.subscribe("order.*", (event) => void sync.push(seqOf(event)));
  bus.subscribe("order.*", async (event) => {
    if (seqOf(event) % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    else await Promise.resolve();
    async.push(seqOf(event));
  });
  const expected = Array.from({ length: 300 }, (_, i) => i);
  for (const seq of expected) bus.publish(makeEvent("order.created", { seq }));
  await until(() => sync.length === 300 && async.length === 300, "all 300 events twice");
  assert.deepEqual(sync, expected);
  assert.deepEqual(async, expected);
});

Deno.test("a crashing, a stuck and a slow subscriber do not affect the others", async () => {
  await using bus = new EventBus({
    defaults: { supervisor: { intensity: 1000, backoff: { minMs: 0, maxMs: 1 } } },
  });
  let publishing = false;
  let ranDuringPublish = 0;
  const observe = () => {
    if (publishing) ranDuringPublish++;
  };
  const healthy: number[] = [];
  const slow: number[] = [];
  let crashes = 0;
  bus.subscribe("payment.#", (event) => {
    observe();
    crashes++;
    throw new Error(`boom ${seqOf(event)}`);
  }, { name: "crasher" });
  bus.subscribe("#", () => {
    observe();
    return new Promise<void>(() => {}); // never settles
  }, { name: "stuck" });
  bus.subscribe("*", async (event) => {
    observe();
    await new Promise((resolve) => setTimeout(resolve, 2));
    slow.push(seqOf(event));
  }, { name: "slow" });
  bus.subscribe("payment.*", (event) => {
    observe();
    healthy.push(seqOf(event));
  }, { name: "healthy" });

  const results = [];
  publishing = true;
  for (let seq = 0; seq < 20; seq++) {
    results.push(bus.publish(makeEvent("payment.processed", { seq })));
  }
  publishing = false;

  assert.equal(ranDuringPublish, 0, "no handler ran inside publish");
  for (const result of results) assert.deepEqual(result, { matched: 4, enqueued: 4, dropped: 0 });
  const expected = Array.from({ length: 20 }, (_, i) => i);
  await until(() => healthy.length === 20 && slow.length === 20, "healthy and slow get all");
  assert.deepEqual(healthy, expected);
  assert.deepEqual(slow, expected);
  await until(() => crashes === 20, "the crasher saw every event");
  const crasher = bus.subscribers().find((info) => info.name === "crasher")!;
  assert.equal(crasher.actor.failed, 20);
  assert.ok(crasher.actor.restarts >= 1);
  const stuck = bus.subscribers().find((info) => info.name === "stuck")!;
  assert.equal(stuck.actor.processed, 0);
  assert.equal(stuck.actor.mailboxDepth, 19);
  await bus.close({ deadlineMs: 20 });
});

Deno.test("drop_newest through the bus: exact drop counts in results and stats", async () => {
  await using bus = new EventBus();
  const blocker = gate();
  const seen: number[] = [];
  const sub = bus.subscribe("a.*", async (event) => {
    seen.push(seqOf(event));
    await blocker.wait;
  }, { mailboxCapacity: 2, overflow: "drop_newest" });
  bus.publish(makeEvent("a.b", { seq: 0 }));
  await until(() => seen.length === 1, "first event in flight");
  const results = [1, 2, 3, 4, 5].map((seq) => bus.publish(makeEvent("a.b", { seq })));
  assert.deepEqual(results.map((r) => [r.enqueued, r.dropped]), [[1, 0], [1, 0], [0, 1], [0, 1], [
    0,
    1,
  ]]);
  assert.equal(bus.stats().dropped, 3);
  assert.equal(bus.stats().delivered, 3);
  assert.equal(sub.stats().dropped.full, 3);
  blocker.open();
  await until(() => seen.length === 3, "queued events handled");
  assert.deepEqual(seen, [0, 1, 2]);
});

Deno.test("drop_oldest through the bus evicts the oldest queued events", async () => {
  await using bus = new EventBus();
  const blocker = gate();
  const seen: number[] = [];
  const sub = bus.subscribe("a.*", async (event) => {
    seen.push(seqOf(event));
    await blocker.wait;
  }, { mailboxCapacity: 2, overflow: "drop_oldest" });
  bus.publish(makeEvent("a.b", { seq: 0 }));
  await until(() => seen.length === 1, "first event in flight");
  const results = [1, 2, 3, 4, 5].map((seq) => bus.publish(makeEvent("a.b", { seq })));
  assert.deepEqual(results.map((r) => [r.enqueued, r.dropped]), [[1, 0], [1, 0], [1, 1], [1, 1], [
    1,
    1,
  ]]);
  assert.equal(bus.stats().dropped, 3);
  assert.equal(sub.stats().dropped.evicted, 3);
  blocker.open();
  await until(() => seen.length === 3, "queued events handled");
  assert.deepEqual(seen, [0, 4, 5]);
});

Deno.test("backpressure: publish refuses when full, publishAndWait waits or times out", async () => {
  await using bus = new EventBus();
  const blocker = gate();
  const seen: number[] = [];
  const sub = bus.subscribe("a.*", async (event) => {
    seen.push(seqOf(event));
    await blocker.wait;
  }, { mailboxCapacity: 1, overflow: "backpressure" });
  bus.publish(makeEvent("a.b", { seq: 0 }));
  await until(() => seen.length === 1, "first event in flight");
  assert.deepEqual(bus.publish(makeEvent("a.b", { seq: 1 })), {
    matched: 1,
    enqueued: 1,
    dropped: 0,
  });
  assert.deepEqual(bus.publish(makeEvent("a.b", { seq: 2 })), {
    matched: 1,
    enqueued: 0,
    dropped: 1,
  });
  const timedOut = await bus.publishAndWait(makeEvent("a.b", { seq: 3 }), { deadlineMs: 5 });
  assert.deepEqual(timedOut, { matched: 1, enqueued: 0, dropped: 1 });
  const waiting = bus.publishAndWait(makeEvent("a.b", { seq: 4 }), { deadlineMs: 2000 });
  blocker.open();
  assert.deepEqual(await waiting, { matched: 1, enqueued: 1, dropped: 0 });
  await until(() => seen.length === 3, "events 0, 1 and 4");
  assert.deepEqual(seen, [0, 1, 4]);
  assert.deepEqual(sub.stats().dropped, { full: 1, evicted: 0, deadline: 1, stopped: 0 });
  assert.equal(bus.stats().dropped, 2);
});

Deno.test("the route cache follows subscribe and unsubscribe", async () => {
  await using bus = new EventBus();
  const a = bus.subscribe("payment.*", () => {});
  assert.equal(bus.publish(makeEvent("payment.processed")).matched, 1);
  const b = bus.subscribe("#.processed", () => {});
  assert.equal(bus.publish(makeEvent("payment.processed")).matched, 2);
  await a.unsubscribe();
  assert.equal(bus.publish(makeEvent("payment.processed")).matched, 1);
  await a.unsubscribe(); // idempotent
  await b.unsubscribe();
  assert.equal(bus.publish(makeEvent("payment.processed")).matched, 0);
  assert.equal(bus.stats().no_subscriber, 1);
  assert.equal(bus.stats().subscribers, 0);
});

Deno.test("subscribe validates patterns and subscribers() lists names, patterns, stats", async () => {
  await using bus = new EventBus();
  assert.throws(() => bus.subscribe("pay*", () => {}), InvalidPatternError);
  assert.throws(() => bus.subscribe([], () => {}), /at least one pattern/);
  bus.subscribe(["payment.#", "order.*"], () => {}, { name: "audit", mailboxCapacity: 8 });
  bus.publish(makeEvent("order.created"));
  await until(() => bus.subscribers()[0]!.actor.processed === 1, "audit processed one");
  const [info] = bus.subscribers();
  assert.equal(info!.name, "audit");
  assert.deepEqual(info!.patterns, ["payment.#", "order.*"]);
  assert.equal(info!.state, "running");
  assert.equal(info!.actor.mailboxCapacity, 8);
});

Deno.test("publish never throws: malformed events and a closed bus are counted as rejected", async () => {
  const bus = new EventBus();
  bus.subscribe("*", () => {});
  assert.deepEqual(bus.publish({} as DomainEvent), { matched: 0, enqueued: 0, dropped: 0 });
  assert.deepEqual(bus.publish(null as unknown as DomainEvent), {
    matched: 0,
    enqueued: 0,
    dropped: 0,
  });
  await bus.close();
  await bus.close();
  assert.equal(bus.closed, true);
  assert.deepEqual(bus.publish(makeEvent("a.b")), { matched: 0, enqueued: 0, dropped: 0 });
  assert.equal(bus.stats().rejected, 3);
  assert.throws(() => bus.subscribe("*", () => {}), /closed/);
});

Deno.test("close drains queued events before resolving", async () => {
  const handled: number[] = [];
  {
    await using bus = new EventBus();
    bus.subscribe("a.*", async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      handled.push(seqOf(event));
    });
    for (let seq = 0; seq < 10; seq++) bus.publish(makeEvent("a.b", { seq }));
  }
  assert.deepEqual(handled, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("a bus on a shared system drains and detaches its subscribers but leaves the system", async () => {
  await using system = new ActorSystem();
  const bus = new EventBus({ system });
  const handled: number[] = [];
  bus.subscribe("a.*", async (event) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    handled.push(seqOf(event));
  }, { name: "shared_sub" });
  for (let seq = 0; seq < 5; seq++) bus.publish(makeEvent("a.b", { seq }));
  await bus.close({ deadlineMs: 2000 });
  assert.deepEqual(handled, [0, 1, 2, 3, 4]);
  assert.equal(system.get("shared_sub"), undefined);
  const other = new EventBus({ system });
  other.subscribe("a.*", () => {}, { name: "shared_sub" });
  assert.equal(other.publish(makeEvent("a.b")).enqueued, 1);
  await other.close();
});

Deno.test("a subscriber past its restart intensity escalates; its drops are counted", async () => {
  await using bus = new EventBus();
  const healthy: number[] = [];
  const letters: number[] = [];
  const doomed = bus.subscribe("a.*", (event) => {
    throw new Error(`always fails ${seqOf(event)}`);
  }, {
    name: "doomed",
    supervisor: { intensity: 1, backoff: { minMs: 0, maxMs: 0 } },
    onDeadLetter: (letter) => void letters.push(seqOf(letter.message)),
  });
  bus.subscribe("a.*", (event) => void healthy.push(seqOf(event)), { name: "fine" });
  bus.publish(makeEvent("a.b", { seq: 0 }));
  await until(() => letters.length === 1 && doomed.stats().state === "running", "restarted");
  bus.publish(makeEvent("a.b", { seq: 1 }));
  await until(() => doomed.stats().state === "escalated", "escalation");
  assert.deepEqual(letters, [0, 1]);
  assert.equal(bus.system.escalations()[0]!.actor, "doomed");
  const after = bus.publish(makeEvent("a.b", { seq: 2 }));
  assert.deepEqual(after, { matched: 2, enqueued: 1, dropped: 1 });
  assert.equal(doomed.stats().dropped.stopped, 1);
  await until(() => healthy.length === 3, "the healthy subscriber got all three");
});

Deno.test("generated subscriber names never collide between buses on one system", async () => {
  await using system = new ActorSystem();
  await using first = new EventBus({ system });
  await using second = new EventBus({ system });
  const a = first.subscribe("*", () => {});
  const b = second.subscribe("*", () => {});
  assert.notEqual(a.name, b.name);
  assert.equal(system.get(a.name)?.name, a.name);
});
