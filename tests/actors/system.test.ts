import assert from "node:assert/strict";
import { ActorSystem } from "../../src/actors/system.ts";
import {
  ActorNameTakenError,
  ActorStoppedError,
  ActorSystemClosedError,
} from "../../src/actors/errors.ts";
import type { DeadLetter } from "../../src/actors/types.ts";
import { waitFor } from "./_helpers.ts";

const idle = () => ({ receive: () => {} });

Deno.test("system: a duplicate name is a typed error; stop(name) frees the name", async () => {
  await using system = new ActorSystem();
  const first = system.spawn({ name: "unique", factory: idle });
  assert.throws(
    () => system.spawn({ name: "unique", factory: idle }),
    (error) => error instanceof ActorNameTakenError && error.actor === "unique",
  );
  const group = system.spawnSupervisor("group");
  assert.throws(() => group.spawn({ name: "unique", factory: idle }), ActorNameTakenError);
  assert.equal(system.get("unique"), first);
  assert.equal(await system.stop("unique"), true);
  assert.equal(await system.stop("unique"), false);
  assert.equal(system.get("unique"), undefined);
  const second = system.spawn({ name: "unique", factory: idle });
  assert.notEqual(second, first);
});

Deno.test("system: close drains every mailbox within the deadline, then stops", async () => {
  const system = new ActorSystem();
  const seen: Record<string, number[]> = { a: [], b: [] };
  const refs = ["a", "b"].map((name) =>
    system.spawn<number>({
      name,
      factory: () => ({
        receive: async (n) => {
          await new Promise<void>((resolve) => setTimeout(resolve, 0));
          seen[name]!.push(n);
        },
      }),
    })
  );
  for (let i = 0; i < 50; i++) for (const ref of refs) ref.tell(i);
  const closing = system.close({ deadlineMs: 5000 });
  assert.deepEqual(refs[0]!.tell(99), { accepted: false, dropped: "stopped" });
  assert.throws(() => system.spawn({ name: "late", factory: idle }), ActorSystemClosedError);
  assert.throws(() => system.spawnSupervisor("late"), ActorSystemClosedError);
  assert.equal(system.close(), closing); // idempotent
  await closing;
  assert.equal(seen.a!.length, 50);
  assert.equal(seen.b!.length, 50);
  for (const ref of refs) {
    assert.equal(ref.state, "stopped");
    assert.equal(ref.stats().dropped.stopped, ref === refs[0] ? 1 : 0);
  }
  assert.equal(system.closed, true);
});

Deno.test("system: close past the deadline aborts in-flight handlers and drops the rest", async () => {
  const letters: DeadLetter<unknown>[] = [];
  const system = new ActorSystem({ onDeadLetter: (l) => letters.push(l) });
  let abortReason: unknown;
  let stoppedHook = 0;
  const stuck = system.spawn<number>({
    name: "stuck",
    factory: () => ({
      receive: (_n, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            abortReason = signal.reason;
            reject(signal.reason);
          });
        }),
      stopped: () => void stoppedHook++,
    }),
  });
  const forever = system.spawn<number>({
    name: "forever",
    messageTimeoutMs: 60_000, // its timer must be cleared by close
    factory: () => ({ receive: () => new Promise<void>(() => {}) }),
  });
  for (let i = 0; i < 5; i++) {
    stuck.tell(i);
    forever.tell(i);
  }
  await waitFor(() => stuck.stats().mailboxDepth === 4 && forever.stats().mailboxDepth === 4);
  await system.close({ deadlineMs: 20 });
  assert.ok(abortReason instanceof ActorStoppedError);
  await waitFor(() => stoppedHook === 1, "the stopped() hook once the handler settled");
  for (const ref of [stuck, forever]) {
    assert.equal(ref.state, "stopped");
    assert.equal(ref.stats().dropped.stopped, 4);
  }
  assert.equal(stuck.stats().failed, 1);
  assert.deepEqual(letters.map((l) => [l.actor, l.message]), [["stuck", 0], ["forever", 0]]);
});

Deno.test("system: stats sum every actor, including removed ones, and list each actor", async () => {
  await using system = new ActorSystem({ supervisor: { backoff: { minMs: 0, maxMs: 0 } } });
  const ok = system.spawn<number>({ name: "ok", factory: idle, mailbox: { capacity: 2 } });
  const bad = system.spawn<number>({
    name: "bad",
    factory: () => ({
      receive: () => {
        throw new Error("bad");
      },
    }),
  });
  ok.tell(1);
  ok.tell(2);
  ok.tell(3); // full
  bad.tell(1);
  await waitFor(() => ok.stats().processed === 2 && bad.stats().restarts === 1);
  let stats = system.stats();
  assert.equal(stats.actors, 2);
  assert.equal(stats.processed, 2);
  assert.equal(stats.failed, 1);
  assert.equal(stats.dropped, 1);
  assert.equal(stats.restarts, 1);
  assert.equal(stats.escalations, 0);
  assert.deepEqual(stats.perActor.map((s) => s.name), ["ok", "bad"]);
  await ok.stop();
  stats = system.stats();
  assert.equal(stats.actors, 1);
  assert.equal(stats.processed, 2);
  assert.equal(stats.dropped, 1);
});

Deno.test("system: child supervisors inherit intensity and backoff; empty groups can be re-created", async () => {
  let now = 0;
  await using system = new ActorSystem({
    supervisor: { intensity: 1, backoff: { minMs: 0, maxMs: 0 } },
    now: () => now,
  });
  const group = system.spawnSupervisor("sub.supervisor");
  assert.equal(group.intensity, 1);
  assert.equal(group.strategy, "one_for_one");
  assert.deepEqual(group.backoff, { minMs: 0, maxMs: 0 });
  const ref = group.spawn<string>({
    name: "sub",
    factory: () => ({
      receive: () => {
        throw new Error("no");
      },
    }),
  });
  ref.tell("a");
  ref.tell("b");
  await waitFor(() => ref.state === "escalated");
  assert.equal(system.escalations()[0]?.actor, "sub");
  now += 1;
  await system.stop("sub");
  // the same names again, as a bus does when a subscriber is re-attached
  const again = system.spawnSupervisor("sub.supervisor").spawn({ name: "sub", factory: idle });
  assert.equal(again.state, "running");
});

Deno.test("system: await using closes the system", async () => {
  let ref;
  {
    await using system = new ActorSystem();
    ref = system.spawn<number>({ name: "scoped", factory: idle });
    ref.tell(1);
  }
  assert.equal(ref.state, "stopped");
  assert.equal(ref.stats().processed, 1);
});
