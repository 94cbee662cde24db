import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { SubscriberRegistry } from "../../src/bus/subscriber_registry.ts";
import {
  ActorConfigError,
  HeartbeatTimeoutError,
  MessageTimeoutError,
  WorkerActorError,
} from "../../src/actors/errors.ts";
import type { DeadLetter } from "../../src/actors/types.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { IsolatedAudit } from "../fixtures/isolated_handlers.ts";
import { fixtureEvent, HANDLERS, Reports } from "./_isolated.ts";
import { until } from "./_helpers.ts";

/** Fast restarts, so the tests do not wait for backoff. */
const QUICK = { intensity: 5, periodMs: 60_000, backoff: { minMs: 1, maxMs: 5 } };

Deno.test("an isolated Subscriber class runs in its Worker with its hooks, via the registry", async () => {
  const reports = new Reports();
  try {
    await using bus = new EventBus();
    const registry = new SubscriberRegistry().register(IsolatedAudit);
    registry.startAll(bus);
    bus.publish(fixtureEvent("audit.created", 1, reports));
    const skipped = fixtureEvent("audit.created", 2, reports);
    skipped.metadata.namespace = "test"; // beforeHandle returns false in the Worker
    bus.publish(skipped);
    bus.publish(fixtureEvent("audit.updated", 3, reports));
    await reports.waitFor("IsolatedAudit", 2);
    await until(() => bus.subscribers()[0]!.actor.processed === 3, "3 processed");
    assert.deepEqual(reports.seqs("IsolatedAudit"), [1, 3]);
    assert.deepEqual(reports.received.map((r) => r.detail), ["seen 1", "seen 2"]);
    assert.equal(registry.stats().activeCount, 1);
    await registry.stopAll();
  } finally {
    reports.close();
  }
});

type LoadMode = "unloaded" | "isolated spinner" | "in-process spinner";

/**
 * Publishes `count` events one timer turn apart and returns how long the in-process subscriber
 * took to see the last one after the first was published, with a spinning subscriber (20 ms of
 * synchronous work per event) attached in a Worker, in process, or not at all.
 */
async function pacedRun(mode: LoadMode, count: number): Promise<number> {
  const reports = new Reports();
  try {
    await using bus = new EventBus();
    let handled = 0;
    let lastAt = 0;
    bus.subscribe("load.*", () => {
      handled++;
      lastAt = performance.now();
    });
    const spinMs = 20;
    if (mode === "isolated spinner") {
      bus.subscribe("load.*", {
        isolation: "worker",
        module: HANDLERS,
        export: "spin",
        shutdown: "brutal_kill",
      });
      bus.publish(fixtureEvent("load.warmup", 0, reports, { spinMs: 0 }));
      await reports.waitFor("spin", 1); // the Worker is up: measure the steady state only
    } else if (mode === "in-process spinner") {
      bus.subscribe("load.*", (event) => {
        const until = performance.now() +
          Number((event.payload.payload as { spinMs: number }).spinMs);
        while (performance.now() < until) {
          // synchronous work on the publisher's thread
        }
      });
    }
    const base = handled;
    const started = performance.now();
    for (let seq = 1; seq <= count; seq++) {
      bus.publish(fixtureEvent("load.tick", seq, reports, { spinMs }));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(() => handled === base + count, `${count} in-process deliveries`, 20_000);
    return lastAt - started;
  } finally {
    reports.close();
  }
}

Deno.test("a CPU-bound isolated subscriber does not delay the publisher or an in-process subscriber", async () => {
  const count = 30;
  const unloaded = await pacedRun("unloaded", count);
  const isolated = await pacedRun("isolated spinner", count);
  const inProcess = await pacedRun("in-process spinner", count);
  const isolatedRatio = isolated / unloaded;
  const inProcessRatio = inProcess / unloaded;
  // Generous bound: the Worker shares the machine's cores, but not the publisher's thread.
  assert.ok(
    isolatedRatio <= 3,
    `isolated spinner stretched the run ${isolatedRatio.toFixed(2)}x ` +
      `(${isolated.toFixed(0)} ms vs ${unloaded.toFixed(0)} ms unloaded)`,
  );
  // The control: the same work in process does stretch it (30 events x 20 ms on this thread).
  assert.ok(
    inProcessRatio >= 2,
    `in-process spinner stretched the run only ${inProcessRatio.toFixed(2)}x ` +
      `(${inProcess.toFixed(0)} ms vs ${unloaded.toFixed(0)} ms unloaded)`,
  );
});

Deno.test("a hung isolated subscriber is killed at messageTimeoutMs, restarted, and gets later events", async () => {
  const reports = new Reports();
  try {
    const letters: DeadLetter<DomainEvent>[] = [];
    await using bus = new EventBus();
    const sub = bus.subscribe("job.*", {
      name: "hung",
      isolation: "worker",
      module: HANDLERS,
      export: "hangOn",
      messageTimeoutMs: 1000,
      shutdown: "brutal_kill",
      supervisor: QUICK,
      onDeadLetter: (letter) => letters.push(letter),
    });
    bus.publish(fixtureEvent("job.run", 1, reports));
    bus.publish(fixtureEvent("job.run", 2, reports, { hang: true }));
    bus.publish(fixtureEvent("job.run", 3, reports));
    bus.publish(fixtureEvent("job.run", 4, reports));
    await reports.waitFor("hangOn", 3);
    await until(() => sub.stats().processed === 3, "3 processed");
    assert.deepEqual(reports.seqs("hangOn"), [1, 3, 4]);
    const stats = sub.stats();
    assert.equal(stats.failed, 1);
    assert.equal(stats.restarts, 1);
    assert.equal(stats.state, "running");
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.message.metadata.seq, 2);
    assert.ok(letters[0]!.error instanceof MessageTimeoutError);
  } finally {
    reports.close();
  }
});

Deno.test("an isolated subscriber whose heartbeat stops is killed and restarted", async () => {
  const reports = new Reports();
  try {
    const letters: DeadLetter<DomainEvent>[] = [];
    await using bus = new EventBus();
    const sub = bus.subscribe("job.*", {
      isolation: "worker",
      module: HANDLERS,
      export: "hangOn",
      heartbeatMs: 1000,
      shutdown: "brutal_kill",
      supervisor: QUICK,
      onDeadLetter: (letter) => letters.push(letter),
    });
    bus.publish(fixtureEvent("job.run", 1, reports, { hang: true }));
    bus.publish(fixtureEvent("job.run", 2, reports));
    await reports.waitFor("hangOn", 1);
    assert.deepEqual(reports.seqs("hangOn"), [2]);
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.message.metadata.seq, 1);
    assert.ok(letters[0]!.error instanceof HeartbeatTimeoutError);
    assert.equal(sub.stats().restarts, 1);
  } finally {
    reports.close();
  }
});

Deno.test("a throwing isolated handler is dead-lettered with its error and restarted", async () => {
  const reports = new Reports();
  try {
    const letters: DeadLetter<DomainEvent>[] = [];
    await using bus = new EventBus();
    bus.subscribe("job.*", {
      isolation: "worker",
      module: HANDLERS,
      export: "failOn",
      shutdown: "brutal_kill",
      supervisor: QUICK,
      onDeadLetter: (letter) => letters.push(letter),
    });
    for (let seq = 1; seq <= 4; seq++) {
      bus.publish(fixtureEvent("job.run", seq, reports, { fail: seq === 2 }));
    }
    await reports.waitFor("failOn", 3);
    assert.deepEqual(reports.seqs("failOn"), [1, 3, 4]);
    const error = letters[0]?.error;
    assert.ok(error instanceof WorkerActorError);
    assert.equal(error.errorName, "RangeError");
    assert.match(error.message, /refused event 2/);
  } finally {
    reports.close();
  }
});

Deno.test("drop accounting stays exact across a Worker restart: published = handled + failed + dropped", async () => {
  const reports = new Reports();
  try {
    const letters: DeadLetter<DomainEvent>[] = [];
    await using bus = new EventBus();
    const sub = bus.subscribe("job.*", {
      isolation: "worker",
      module: HANDLERS,
      export: "hangOn",
      mailboxCapacity: 8,
      overflow: "drop_newest",
      messageTimeoutMs: 1000,
      shutdown: "brutal_kill",
      supervisor: QUICK,
      onDeadLetter: (letter) => letters.push(letter),
    });
    // All published before the Worker is up: 8 are queued, 92 refused; seq 3 hangs, so the Worker
    // is killed with seq 4..7 sent but not started — they must come back, not vanish.
    for (let seq = 0; seq < 100; seq++) {
      bus.publish(fixtureEvent("job.run", seq, reports, { hang: seq === 3 }));
    }
    assert.deepEqual(bus.stats().delivered, 8);
    await until(() => sub.stats().processed + sub.stats().failed === 8, "the 8 queued", 20_000);
    // The restarted Worker takes new events too (8 fit the mailbox; 2 more are refused).
    for (let seq = 100; seq < 110; seq++) bus.publish(fixtureEvent("job.run", seq, reports));
    await until(() => sub.stats().processed === 15, "15 handled", 20_000);
    await reports.waitFor("hangOn", 15);
    const stats = sub.stats();
    const dropped = stats.dropped.full + stats.dropped.evicted + stats.dropped.deadline +
      stats.dropped.stopped;
    const handled = reports.seqs("hangOn");
    assert.deepEqual(handled, [
      0,
      1,
      2,
      4,
      5,
      6,
      7,
      ...Array.from({ length: 8 }, (_, i) => 100 + i),
    ]);
    assert.equal(stats.restarts, 1);
    assert.equal(stats.failed, 1);
    assert.deepEqual(letters.map((letter) => letter.message.metadata.seq), [3]);
    assert.deepEqual(stats.dropped, { full: 94, evicted: 0, deadline: 0, stopped: 0 });
    const bus_ = bus.stats();
    assert.equal(bus_.published, 110);
    assert.equal(bus_.published, bus_.delivered + bus_.dropped);
    assert.equal(bus_.published, handled.length + stats.failed + dropped);
  } finally {
    reports.close();
  }
});

Deno.test("shutdown: a grace period lets the running event finish at close; brutal_kill does not", async () => {
  for (const shutdown of [5000, "brutal_kill"] as const) {
    const reports = new Reports();
    try {
      const letters: DeadLetter<DomainEvent>[] = [];
      const bus = new EventBus();
      const sub = bus.subscribe("job.*", {
        isolation: "worker",
        module: HANDLERS,
        export: "spin",
        shutdown,
        onDeadLetter: (letter) => letters.push(letter),
      });
      bus.publish(fixtureEvent("job.run", 1, reports, { spinMs: 0 }));
      await reports.waitFor("spin", 1);
      bus.publish(fixtureEvent("job.run", 2, reports, { spinMs: 400 }));
      // Wait until the Worker runs it, then close with no drain time: only `shutdown` decides.
      await reports.waitFor("spinStart", 2);
      await bus.close({ deadlineMs: 0 });
      const stats = sub.stats();
      if (shutdown === "brutal_kill") {
        assert.equal(stats.processed, 1, "brutal_kill let the event finish");
        assert.equal(stats.failed, 1);
        assert.equal(letters[0]?.message.metadata.seq, 2);
      } else {
        assert.equal(stats.processed, 2, "the grace period did not let the event finish");
        assert.equal(stats.failed, 0);
        assert.equal(letters.length, 0);
      }
      assert.equal(stats.state, "stopped");
    } finally {
      reports.close();
    }
  }
});

Deno.test("bad isolation options are refused with typed errors naming the subscriber and field", async () => {
  await using bus = new EventBus();
  const cases: [() => unknown, RegExp][] = [
    [
      () => bus.subscribe("a.*", () => {}, { name: "fn", isolation: "worker", module: HANDLERS }),
      /"fn".*function handler/,
    ],
    [
      () => bus.subscribe("a.*", { name: "nomod", isolation: "worker" } as never),
      /"nomod".*no module/,
    ],
    [
      () => bus.subscribe("a.*", { name: "rel", isolation: "worker", module: "./x.ts" }),
      /module of subscriber "rel" must be an absolute URL/,
    ],
    [
      () => bus.subscribe("a.*", () => {}, { name: "perm", permissions: { read: false } }),
      /"perm" sets permissions/,
    ],
    [
      () =>
        bus.subscribe("a.*", {
          name: "iso",
          isolation: "thread" as "worker",
          module: HANDLERS,
        }),
      /isolation of subscriber "iso" must be "in_process" or "worker"/,
    ],
    [
      () => bus.subscribe("a.*", {} as never),
      /has no handler/,
    ],
    [
      () => new SubscriberRegistry().register(new IsolatedAudit()),
      /instance cannot move to a Worker/,
    ],
    [
      () =>
        bus.subscribe("a.*", {
          name: "kill",
          isolation: "worker",
          module: HANDLERS,
          shutdown: -1,
        }),
      /shutdown of actor "kill"/,
    ],
  ];
  for (const [attempt, message] of cases) {
    assert.throws(attempt, (error: unknown) => {
      assert.ok(error instanceof ActorConfigError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
  assert.equal(bus.stats().subscribers, 0);
  assert.equal(bus.system.stats().actors, 0);
});

Deno.test("retryCrashedMessageOnce re-delivers a killed event once to the fresh Worker, then dead-letters it", async () => {
  const reports = new Reports();
  try {
    const letters: DeadLetter<DomainEvent>[] = [];
    await using bus = new EventBus();
    const sub = bus.subscribe("job.*", {
      isolation: "worker",
      module: HANDLERS,
      export: "hangOn",
      messageTimeoutMs: 1000,
      retryCrashedMessageOnce: true,
      shutdown: "brutal_kill",
      supervisor: QUICK,
      onDeadLetter: (letter) => letters.push(letter),
    });
    bus.publish(fixtureEvent("job.run", 1, reports, { hang: true }));
    bus.publish(fixtureEvent("job.run", 2, reports));
    await reports.waitFor("hangOn", 1);
    await until(() => letters.length === 1 && sub.stats().processed === 1, "the dead letter");
    assert.deepEqual(reports.seqs("hangOn"), [2]);
    assert.equal(letters[0]!.message.metadata.seq, 1);
    const stats = sub.stats();
    assert.equal(stats.failed, 2, "killed twice: once, then on its retry");
    assert.equal(stats.restarts, 2);
    assert.equal(stats.processed, 1);
  } finally {
    reports.close();
  }
});

Deno.test("a Worker that cannot start escalates after the restart intensity; its events are counted as stopped", async () => {
  const escalations: string[] = [];
  const reports = new Reports();
  const bus = new EventBus();
  try {
    const sub = bus.subscribe("job.*", {
      isolation: "worker",
      module: HANDLERS,
      export: "noSuchExport",
      shutdown: "brutal_kill",
      supervisor: { intensity: 2, periodMs: 60_000, backoff: { minMs: 1, maxMs: 2 } },
    });
    for (let seq = 0; seq < 5; seq++) bus.publish(fixtureEvent("job.run", seq, reports));
    await until(() => sub.stats().state === "escalated", "the escalation", 20_000);
    for (const escalation of bus.system.escalations()) {
      escalations.push((escalation.error as Error).message);
    }
    assert.equal(escalations.length, 1);
    assert.match(escalations[0]!, /no export "noSuchExport"/);
    const stats = sub.stats();
    assert.equal(stats.restarts, 2);
    assert.equal(stats.processed + stats.failed, 0, "no event was blamed for a start-up crash");
    assert.equal(stats.dropped.stopped, 5, "the queued events are dropped as stopped, counted");
  } finally {
    await bus.close();
    reports.close();
  }
});

Deno.test("every Worker is terminated: a killed one stops at once, and close() resolves only after the rest", async () => {
  // Deno's sanitizers do not track Workers, so this test watches them: each one ticks its id
  // into a file until it is terminated.
  const reports = new Reports();
  const ticks = Deno.makeTempFileSync({ prefix: "isolated-ticks-" });
  const tickCount = (id: string) =>
    Deno.readTextFileSync(ticks).split("\n").filter((line) => line === id).length;
  try {
    const bus = new EventBus();
    bus.subscribe("job.*", {
      isolation: "worker",
      module: HANDLERS,
      export: "tickOn",
      messageTimeoutMs: 1000,
      shutdown: 200,
      supervisor: QUICK,
    });
    bus.publish(fixtureEvent("job.run", 1, reports, { ticks }));
    await reports.waitFor("tickOn", 1);
    const first = reports.received[0]!.detail!;
    bus.publish(fixtureEvent("job.run", 2, reports, { ticks, hang: true })); // never settles: killed
    bus.publish(fixtureEvent("job.run", 3, reports, { ticks }));
    await reports.waitFor("tickOn", 3);
    const second = reports.received.at(-1)!.detail!;
    assert.notEqual(second, first, "event 3 ran in a fresh Worker");
    const firstAfterKill = tickCount(first);
    const secondBase = tickCount(second);
    // The fresh Worker is the clock: while it ticks 20 times, the killed one must not tick.
    await until(() => tickCount(second) >= secondBase + 20, "the fresh Worker's ticks", 20_000);
    assert.ok(tickCount(first) <= firstAfterKill + 1, "the killed Worker still runs");

    bus.publish(fixtureEvent("job.run", 4, reports, { ticks, hang: true }));
    await reports.waitFor("tickOn", 4);
    await bus.close({ deadlineMs: 0 }); // event 4 never settles: 200 ms of grace, then terminate()
    const afterClose = Deno.readTextFileSync(ticks).length;
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(Deno.readTextFileSync(ticks).length, afterClose, "a Worker outlived close()");
  } finally {
    Deno.removeSync(ticks);
    reports.close();
  }
});
