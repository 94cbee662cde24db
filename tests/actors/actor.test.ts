import assert from "node:assert/strict";
import { ActorSystem } from "../../src/actors/system.ts";
import { MessageTimeoutError } from "../../src/actors/errors.ts";
import type { DeadLetter, OverflowPolicy } from "../../src/actors/types.ts";
import { deferred, waitFor } from "./_helpers.ts";

const FAST = { intensity: 1000, backoff: { minMs: 0, maxMs: 0 } };

Deno.test("actor: messages are handled one at a time in FIFO order (sync and async)", async () => {
  await using system = new ActorSystem();
  const syncSeen: number[] = [];
  const asyncSeen: number[] = [];
  let active = 0;
  let maxActive = 0;
  const sync = system.spawn<number>({
    name: "sync",
    factory: () => ({ receive: (n) => void syncSeen.push(n) }),
    mailbox: { capacity: 2000 },
  });
  const asyncRef = system.spawn<number>({
    name: "async",
    factory: () => ({
      receive: async (n) => {
        maxActive = Math.max(maxActive, ++active);
        await Promise.resolve();
        asyncSeen.push(n);
        active--;
      },
    }),
  });
  const numbers = Array.from({ length: 1000 }, (_, i) => i);
  for (const n of numbers) {
    sync.tell(n);
    asyncRef.tell(n);
  }
  await waitFor(() => syncSeen.length === 1000 && asyncSeen.length === 1000, "all messages");
  assert.deepEqual(syncSeen, numbers);
  assert.deepEqual(asyncSeen, numbers);
  assert.equal(maxActive, 1);
  assert.equal(sync.stats().processed, 1000);
});

Deno.test("actor: tell returns before the handler runs", async () => {
  await using system = new ActorSystem();
  const calls: string[] = [];
  const ref = system.spawn<string>({
    name: "observer",
    factory: () => ({ receive: (m) => void calls.push(m) }),
  });
  await waitFor(() => ref.state === "running");
  const outcome = ref.tell("hello");
  calls.push("after tell");
  assert.deepEqual(outcome, { accepted: true, dropped: null });
  await waitFor(() => calls.length === 2);
  assert.deepEqual(calls, ["after tell", "hello"]);
});

/** Spawns an actor blocked on its first message, then makes 10 offers. */
async function overflowRun(overflow: OverflowPolicy) {
  const system = new ActorSystem();
  const gate = deferred();
  const seen: number[] = [];
  const ref = system.spawn<number>({
    name: `blocked_${overflow}`,
    mailbox: { capacity: 4, overflow },
    factory: () => ({
      receive: async (n) => {
        if (n === -1) await gate.promise;
        seen.push(n);
      },
    }),
  });
  ref.tell(-1);
  await waitFor(() => ref.stats().mailboxDepth === 0, "the blocking message in flight");
  const outcomes = Array.from({ length: 10 }, (_, i) => ref.tell(i));
  return { system, ref, gate, seen, outcomes };
}

Deno.test("actor: drop_newest on a blocked actor: 4 queued, exactly 6 dropped as full", async () => {
  const { system, ref, gate, seen, outcomes } = await overflowRun("drop_newest");
  assert.equal(outcomes.filter((o) => o.dropped === "full").length, 6);
  assert.equal(ref.stats().mailboxDepth, 4);
  gate.resolve();
  await waitFor(() => seen.length === 5);
  assert.deepEqual(seen, [-1, 0, 1, 2, 3]);
  const stats = ref.stats();
  assert.deepEqual(stats.dropped, { full: 6, evicted: 0, deadline: 0, stopped: 0 });
  assert.equal(stats.processed, 5);
  await system.close();
});

Deno.test("actor: drop_oldest on a blocked actor: the 4 newest are processed, 6 evicted", async () => {
  const { system, ref, gate, seen, outcomes } = await overflowRun("drop_oldest");
  assert.ok(outcomes.every((o) => o.accepted));
  gate.resolve();
  await waitFor(() => seen.length === 5);
  assert.deepEqual(seen, [-1, 6, 7, 8, 9]);
  assert.deepEqual(ref.stats().dropped, { full: 0, evicted: 6, deadline: 0, stopped: 0 });
  await system.close();
});

Deno.test("actor: backpressure: a waiting offer gets in when room appears, another times out", async () => {
  const { system, ref, gate, seen, outcomes } = await overflowRun("backpressure");
  assert.equal(outcomes.filter((o) => o.dropped === "full").length, 6);
  const patient = ref.tellAndWait(100, { deadlineMs: 10_000 });
  const impatient = ref.tellAndWait(200, { deadlineMs: 5 });
  assert.deepEqual(await impatient, { accepted: false, dropped: "deadline" });
  gate.resolve();
  assert.deepEqual(await patient, { accepted: true, dropped: null });
  await waitFor(() => seen.length === 6);
  assert.deepEqual(seen, [-1, 0, 1, 2, 3, 100]);
  assert.deepEqual(ref.stats().dropped, { full: 6, evicted: 0, deadline: 1, stopped: 0 });
  await system.close();
});

Deno.test("actor: a thrower, a hanger and a slow actor do not keep a healthy one from any message", async () => {
  const letters: DeadLetter<unknown>[] = [];
  await using system = new ActorSystem({
    supervisor: FAST,
    onDeadLetter: (letter) => letters.push(letter),
  });
  const healthy: number[] = [];
  const thrower = system.spawn<number>({
    name: "thrower",
    factory: () => ({
      receive: () => {
        throw new Error("boom");
      },
    }),
  });
  const hanger = system.spawn<number>({
    name: "hanger",
    messageTimeoutMs: 5,
    mailbox: { capacity: 3 },
    factory: () => ({ receive: () => new Promise<void>(() => {}) }),
  });
  const slow = system.spawn<number>({
    name: "slow",
    factory: () => ({
      receive: () => new Promise<void>((resolve) => setTimeout(resolve, 1)),
    }),
  });
  const good = system.spawn<number>({
    name: "good",
    factory: () => ({ receive: (n) => void healthy.push(n) }),
  });
  const numbers = Array.from({ length: 50 }, (_, i) => i);
  for (const n of numbers) {
    for (const ref of [thrower, hanger, slow, good]) ref.tell(n);
  }
  await waitFor(() => healthy.length === 50, "the healthy actor's messages");
  assert.deepEqual(healthy, numbers);
  await waitFor(() => slow.stats().processed === 50, "the slow actor's messages");
  await waitFor(() => hanger.stats().failed === 3, "the hanger's timeouts");
  await waitFor(() => thrower.stats().failed === 50, "the thrower's crashes");
  assert.equal(thrower.stats().state, "running");
  assert.equal(thrower.stats().restarts, 50);
  assert.equal(good.stats().failed, 0);
  assert.ok(letters.some((l) => l.actor === "hanger" && l.error instanceof MessageTimeoutError));
});

Deno.test("actor: messageTimeoutMs aborts the signal with MessageTimeoutError and crashes", async () => {
  const letters: DeadLetter<string>[] = [];
  let abortReason: unknown;
  let incarnations = 0;
  await using system = new ActorSystem({ supervisor: FAST });
  const ref = system.spawn<string>({
    name: "stuck",
    messageTimeoutMs: 10,
    onDeadLetter: (letter) => letters.push(letter),
    factory: () => {
      incarnations++;
      return {
        receive: (message, signal) =>
          new Promise<void>((resolve) => {
            if (message === "ok") return resolve();
            signal.addEventListener("abort", () => (abortReason = signal.reason));
          }),
      };
    },
  });
  ref.tell("hang");
  ref.tell("ok");
  await waitFor(() => ref.stats().processed === 1, "the message after the timeout");
  assert.ok(abortReason instanceof MessageTimeoutError);
  assert.equal(abortReason.actor, "stuck");
  assert.equal(letters.length, 1);
  assert.equal(letters[0]?.message, "hang");
  assert.ok(letters[0]?.error instanceof MessageTimeoutError);
  assert.ok(letters[0]?.at instanceof Date);
  assert.equal(incarnations, 2);
  const stats = ref.stats();
  assert.equal(stats.failed, 1);
  assert.equal(stats.restarts, 1);
});

Deno.test("actor: stats report exactly the ActorStats fields", async () => {
  await using system = new ActorSystem();
  const ref = system.spawn<number>({
    name: "counted",
    mailbox: { capacity: 8 },
    factory: () => ({ receive: () => {} }),
  });
  ref.tell(1);
  ref.tell(2);
  assert.deepEqual(ref.stats(), {
    name: "counted",
    state: "running",
    mailboxDepth: 2,
    mailboxCapacity: 8,
    processed: 0,
    failed: 0,
    dropped: { full: 0, evicted: 0, deadline: 0, stopped: 0 },
    restarts: 0,
  });
  await waitFor(() => ref.stats().processed === 2);
  await ref.stop();
  assert.equal(ref.state, "stopped");
  assert.deepEqual(ref.tell(3), { accepted: false, dropped: "stopped" });
  assert.equal(ref.stats().dropped.stopped, 1);
});

Deno.test("actor: stop finishes the current message, drops the queue as stopped, calls stopped()", async () => {
  await using system = new ActorSystem();
  const gate = deferred();
  const events: string[] = [];
  const ref = system.spawn<number>({
    name: "stoppable",
    factory: () => ({
      receive: async (n) => {
        await gate.promise;
        events.push(`handled ${n}`);
      },
      stopped: () => void events.push("stopped hook"),
    }),
  });
  for (let i = 0; i < 5; i++) ref.tell(i);
  await waitFor(() => ref.stats().mailboxDepth === 4, "first message in flight");
  const stopping = ref.stop();
  assert.equal(ref.state, "stopped");
  gate.resolve();
  await stopping;
  assert.deepEqual(events, ["handled 0", "stopped hook"]);
  assert.equal(ref.stats().dropped.stopped, 4);
  assert.equal(system.get("stoppable"), undefined);
});

Deno.test({
  name: "actor: the runtime works with zero Deno permissions",
  permissions: "none",
  fn: async () => {
    const seen: string[] = [];
    const system = new ActorSystem({ supervisor: { backoff: { minMs: 1, maxMs: 2 } } });
    const ref = system.spawn<string>({
      name: "unprivileged",
      messageTimeoutMs: 1000,
      factory: () => ({
        receive: async (m) => {
          await Promise.resolve();
          if (m === "crash") throw new Error("crash");
          seen.push(m);
        },
      }),
    });
    ref.tell("a");
    ref.tell("crash");
    ref.tell("b");
    await waitFor(() => seen.length === 2);
    assert.deepEqual(seen, ["a", "b"]);
    assert.equal(ref.stats().restarts, 1);
    await system.close({ deadlineMs: 100 });
  },
});
