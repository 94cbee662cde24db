import assert from "node:assert/strict";
import { Mailbox } from "../../src/actors/mailbox.ts";
import { ActorConfigError } from "../../src/actors/errors.ts";

function drain<M>(mailbox: Mailbox<M>): M[] {
  const out: M[] = [];
  while (mailbox.size > 0) out.push(mailbox.poll() as M);
  return out;
}

Deno.test("mailbox: FIFO across ring growth and wrap-around", () => {
  const mailbox = new Mailbox<number>({ capacity: 100 });
  const expected: number[] = [];
  let next = 0;
  // interleave offers and polls so the head wraps and the ring grows past its initial 16 slots
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 7; i++) {
      assert.deepEqual(mailbox.offer(next), { accepted: true, dropped: null });
      expected.push(next++);
    }
    for (let i = 0; i < 3; i++) assert.equal(mailbox.poll(), expected.shift());
  }
  assert.equal(mailbox.size, expected.length);
  assert.deepEqual(drain(mailbox), expected);
  assert.equal(mailbox.poll(), undefined);
});

Deno.test("mailbox: default capacity is 1024 and drop_newest is the default policy", () => {
  const mailbox = new Mailbox<number>();
  assert.equal(mailbox.capacity, 1024);
  assert.equal(mailbox.overflow, "drop_newest");
  for (let i = 0; i < 1030; i++) mailbox.offer(i);
  assert.equal(mailbox.size, 1024);
  assert.equal(mailbox.dropped().full, 6);
  assert.equal(drain(mailbox).at(-1), 1023);
});

Deno.test("mailbox: drop_newest refuses new messages when full and counts each as full", () => {
  const mailbox = new Mailbox<number>({ capacity: 4, overflow: "drop_newest" });
  const outcomes = Array.from({ length: 10 }, (_, i) => mailbox.offer(i));
  assert.equal(outcomes.filter((o) => o.accepted).length, 4);
  assert.ok(outcomes.slice(4).every((o) => !o.accepted && o.dropped === "full"));
  assert.deepEqual(mailbox.dropped(), { full: 6, evicted: 0, deadline: 0, stopped: 0 });
  assert.equal(mailbox.droppedTotal, 6);
  assert.deepEqual(drain(mailbox), [0, 1, 2, 3]);
});

Deno.test("mailbox: drop_oldest evicts the oldest and keeps the newest", () => {
  const mailbox = new Mailbox<number>({ capacity: 4, overflow: "drop_oldest" });
  const outcomes = Array.from({ length: 10 }, (_, i) => mailbox.offer(i));
  assert.ok(outcomes.every((o) => o.accepted));
  assert.equal(outcomes.filter((o) => o.dropped === "evicted").length, 6);
  assert.deepEqual(mailbox.dropped(), { full: 0, evicted: 6, deadline: 0, stopped: 0 });
  assert.deepEqual(drain(mailbox), [6, 7, 8, 9]);
});

Deno.test("mailbox: backpressure refuses a sync offer as full and admits waiters FIFO", async () => {
  const mailbox = new Mailbox<string>({ capacity: 2, overflow: "backpressure" });
  mailbox.offer("a");
  mailbox.offer("b");
  assert.deepEqual(mailbox.offer("sync"), { accepted: false, dropped: "full" });
  const first = mailbox.offerAndWait("c", { deadlineMs: 1000 });
  const second = mailbox.offerAndWait("d", { deadlineMs: 1000 });
  assert.equal(mailbox.poll(), "a"); // room for exactly one waiter: the first
  assert.deepEqual(await first, { accepted: true, dropped: null });
  assert.equal(mailbox.poll(), "b");
  assert.deepEqual(await second, { accepted: true, dropped: null });
  assert.deepEqual(drain(mailbox), ["c", "d"]);
  assert.deepEqual(mailbox.dropped(), { full: 1, evicted: 0, deadline: 0, stopped: 0 });
});

Deno.test("mailbox: a backpressure waiter past its deadline is dropped as deadline", async () => {
  const mailbox = new Mailbox<string>({ capacity: 1, overflow: "backpressure" });
  mailbox.offer("a");
  const outcome = await mailbox.offerAndWait("late", { deadlineMs: 5 });
  assert.deepEqual(outcome, { accepted: false, dropped: "deadline" });
  assert.deepEqual(await mailbox.offerAndWait("now", { deadlineMs: 0 }), {
    accepted: false,
    dropped: "deadline",
  });
  assert.equal(mailbox.dropped().deadline, 2);
  // the timed-out waiter is gone: taking "a" admits nobody
  assert.equal(mailbox.poll(), "a");
  assert.equal(mailbox.size, 0);
});

Deno.test("mailbox: offerAndWait with room, or on other policies, does not wait", async () => {
  const newest = new Mailbox<number>({ capacity: 1 });
  assert.equal((await newest.offerAndWait(1, { deadlineMs: 1000 })).accepted, true);
  assert.deepEqual(await newest.offerAndWait(2, { deadlineMs: 1000 }), {
    accepted: false,
    dropped: "full",
  });
});

Deno.test("mailbox: close refuses offers as stopped, releases waiters, keeps queued messages", async () => {
  const mailbox = new Mailbox<number>({ capacity: 1, overflow: "backpressure" });
  mailbox.offer(1);
  const waiting = mailbox.offerAndWait(2, { deadlineMs: 10_000 });
  mailbox.close();
  mailbox.close();
  assert.deepEqual(await waiting, { accepted: false, dropped: "stopped" });
  assert.deepEqual(mailbox.offer(3), { accepted: false, dropped: "stopped" });
  assert.equal(mailbox.closed, true);
  assert.equal(mailbox.size, 1);
  assert.equal(mailbox.discard(), 1);
  assert.equal(mailbox.size, 0);
  assert.deepEqual(mailbox.dropped(), { full: 0, evicted: 0, deadline: 0, stopped: 3 });
});

Deno.test("mailbox: whenReady resolves on the next offer or on wake, without a timer", async () => {
  const mailbox = new Mailbox<number>({ capacity: 4 });
  let woke = false;
  const ready = mailbox.whenReady().then(() => (woke = true));
  await Promise.resolve();
  assert.equal(woke, false);
  mailbox.offer(1);
  await ready;
  assert.equal(woke, true);
  await mailbox.whenReady(); // already non-empty: resolves at once
  mailbox.poll();
  const waked = mailbox.whenReady();
  mailbox.wake();
  await waked;
});

Deno.test("mailbox: invalid capacity or policy is a typed error naming the owner", () => {
  assert.throws(
    () => new Mailbox({ capacity: 0, owner: "audit" }),
    (error) => error instanceof ActorConfigError && /"audit"/.test(error.message),
  );
  assert.throws(() => new Mailbox({ capacity: 1.5 }), ActorConfigError);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new Mailbox({ overflow: "drop_random" as any }),
    /drop_random/,
  );
});

Deno.test("mailbox: requeue puts taken messages back at the head in order, past the capacity, uncounted", () => {
  const mailbox = new Mailbox<number>({ capacity: 3 });
  for (let n = 1; n <= 3; n++) mailbox.offer(n);
  const taken = [mailbox.poll()!, mailbox.poll()!];
  mailbox.offer(4);
  mailbox.offer(5);
  assert.equal(mailbox.offer(6).dropped, "full");
  mailbox.requeue(taken);
  assert.equal(mailbox.size, 5, "requeued messages may exceed the capacity");
  assert.equal(mailbox.offer(7).dropped, "full");
  mailbox.close();
  mailbox.requeue([0]);
  assert.deepEqual(drain(mailbox), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(mailbox.dropped(), { full: 2, evicted: 0, deadline: 0, stopped: 0 });
});
