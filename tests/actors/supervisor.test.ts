import assert from "node:assert/strict";
import { ActorSystem } from "../../src/actors/system.ts";
import { backoffDelay, pruneWindow, resolveBackoff } from "../../src/actors/backoff.ts";
import { ActorConfigError, ActorExit, ActorStoppedError } from "../../src/actors/errors.ts";
import type { ActorRef, DeadLetter, Escalation, RestartType } from "../../src/actors/types.ts";
import { settle, waitFor } from "./_helpers.ts";

const NO_BACKOFF = { minMs: 0, maxMs: 0 };

/** An actor that throws on "crash", exits normally on "exit", and records everything else. */
function crashy(system: ActorSystem | { spawn: ActorSystem["spawn"] }, name: string, options: {
  restart?: RestartType;
  seen?: string[];
  retry?: boolean;
  onDeadLetter?: (letter: DeadLetter<string>) => void;
} = {}): ActorRef<string> {
  return system.spawn<string>({
    name,
    restart: options.restart,
    retryCrashedMessageOnce: options.retry,
    onDeadLetter: options.onDeadLetter,
    factory: () => ({
      receive: (message) => {
        if (message === "crash") throw new Error(`${name} crashed`);
        if (message === "exit") throw new ActorExit();
        options.seen?.push(message);
      },
    }),
  });
}

Deno.test("supervisor: a 4th crash inside the period with intensity 3 stops and escalates", async () => {
  const now = 1000;
  const reported: Escalation[] = [];
  await using system = new ActorSystem({
    supervisor: { intensity: 3, periodMs: 5000, backoff: NO_BACKOFF },
    now: () => now,
    onEscalation: (escalation) => reported.push(escalation),
  });
  const bystander: string[] = [];
  const ref = crashy(system, "fragile");
  const other = crashy(system, "bystander", { seen: bystander });
  for (let i = 0; i < 4; i++) ref.tell("crash");
  ref.tell("never handled");
  await waitFor(() => ref.state === "escalated", "escalation");
  const stats = ref.stats();
  assert.equal(stats.restarts, 3);
  assert.equal(stats.failed, 4);
  assert.equal(stats.dropped.stopped, 1);
  assert.deepEqual(ref.tell("later"), { accepted: false, dropped: "stopped" });
  assert.equal(reported.length, 1);
  assert.equal(reported[0]?.actor, "fragile");
  assert.equal(reported[0]?.restarts, 3);
  assert.match(String(reported[0]?.error), /fragile crashed/);
  assert.equal(reported[0]?.at.getTime(), 1000);
  assert.deepEqual(system.escalations(), reported);
  assert.equal(system.stats().escalations, 1);
  other.tell("still fine");
  await waitFor(() => bystander.length === 1);
  assert.equal(other.state, "running");
});

Deno.test("supervisor: 4 crashes spread wider than the period keep the actor running", async () => {
  let now = 1000;
  await using system = new ActorSystem({
    supervisor: { intensity: 3, periodMs: 5000, backoff: NO_BACKOFF },
    now: () => now,
  });
  const ref = crashy(system, "spread");
  for (let crash = 1; crash <= 5; crash++) {
    ref.tell("crash");
    await waitFor(() => ref.stats().restarts === crash, `restart ${crash}`);
    now += 2000; // the first restart falls out of the window before the 4th crash
  }
  assert.equal(ref.state, "running");
  assert.equal(system.escalations().length, 0);
});

Deno.test("supervisor: intensity 0 escalates on the first crash", async () => {
  await using system = new ActorSystem({ supervisor: { intensity: 0 } });
  const ref = crashy(system, "brittle");
  ref.tell("crash");
  await waitFor(() => ref.state === "escalated");
  assert.equal(ref.stats().restarts, 0);
});

Deno.test("supervisor: permanent actors restart after a crash and after a normal exit", async () => {
  await using system = new ActorSystem({ supervisor: { backoff: NO_BACKOFF } });
  const seen: string[] = [];
  const ref = crashy(system, "permanent", { seen });
  ref.tell("crash");
  ref.tell("exit");
  ref.tell("after");
  await waitFor(() => seen.length === 1);
  assert.deepEqual(seen, ["after"]);
  assert.equal(ref.stats().restarts, 2);
  assert.equal(ref.stats().processed, 2); // the exit message counts as handled
  assert.equal(ref.state, "running");
});

Deno.test("supervisor: transient actors restart after a crash only, not after a normal exit", async () => {
  await using system = new ActorSystem({ supervisor: { backoff: NO_BACKOFF } });
  const seen: string[] = [];
  const letters: DeadLetter<string>[] = [];
  const ref = crashy(system, "transient", {
    restart: "transient",
    seen,
    onDeadLetter: (l) => letters.push(l),
  });
  ref.tell("crash");
  ref.tell("one");
  await waitFor(() => seen.length === 1);
  assert.equal(ref.stats().restarts, 1);
  assert.equal(ref.state, "running");
  ref.tell("exit");
  ref.tell("queued");
  await waitFor(() => ref.state === "stopped", "normal exit");
  await settle();
  assert.equal(ref.stats().restarts, 1);
  assert.equal(ref.stats().dropped.stopped, 1);
  assert.deepEqual(letters.map((l) => l.message), ["crash"]);

  const stoppedByHand = crashy(system, "transient_stop", { restart: "transient" });
  await stoppedByHand.stop();
  await settle();
  assert.equal(stoppedByHand.state, "stopped");
  assert.equal(stoppedByHand.stats().restarts, 0);
});

Deno.test("supervisor: temporary actors are never restarted: a crash stops them", async () => {
  const letters: DeadLetter<unknown>[] = [];
  await using system = new ActorSystem({
    supervisor: { backoff: NO_BACKOFF },
    onDeadLetter: (l) => letters.push(l),
  });
  const ref = crashy(system, "temporary", { restart: "temporary" });
  ref.tell("crash");
  ref.tell("a");
  ref.tell("b");
  await waitFor(() => ref.state === "stopped");
  assert.equal(ref.stats().restarts, 0);
  assert.equal(ref.stats().dropped.stopped, 2);
  assert.deepEqual(letters.map((l) => [l.actor, l.message]), [["temporary", "crash"]]);
  assert.equal(system.get("temporary"), ref); // still inspectable until removed
});

/** Three actors that count what they handle; the count is per incarnation. */
function trio(strategy: "one_for_one" | "one_for_all" | "rest_for_one") {
  const system = new ActorSystem({ supervisor: { backoff: NO_BACKOFF } });
  const group = system.spawnSupervisor(`group_${strategy}`, { strategy });
  const builds: Record<string, number> = { a: 0, b: 0, c: 0 };
  const counts: Record<string, number[]> = { a: [], b: [], c: [] };
  const refs = ["a", "b", "c"].map((name) =>
    group.spawn<string>({
      name,
      factory: () => {
        builds[name]!++;
        let count = 0;
        return {
          receive: (message) => {
            if (message === "crash") throw new Error(`${name} crashed`);
            counts[name]!.push(++count);
          },
        };
      },
    })
  );
  return { system, refs, builds, counts };
}

async function warmUpThenCrash(
  run: ReturnType<typeof trio>,
  crashIndex: number,
): Promise<void> {
  for (const ref of run.refs) {
    ref.tell("x");
    ref.tell("x");
  }
  await waitFor(() => run.refs.every((ref) => ref.stats().processed === 2), "warm-up");
  run.refs[crashIndex]!.tell("crash");
  await waitFor(() => run.refs[crashIndex]!.stats().restarts === 1, "the crashed child restart");
  await settle();
  for (const ref of run.refs) ref.tell("x");
  await waitFor(() => run.refs.every((ref) => ref.stats().processed === 3), "after restart");
}

Deno.test("supervisor: one_for_one restarts only the crashed child", async () => {
  const run = trio("one_for_one");
  await warmUpThenCrash(run, 1);
  assert.deepEqual(run.refs.map((r) => r.stats().restarts), [0, 1, 0]);
  assert.deepEqual(run.counts, { a: [1, 2, 3], b: [1, 2, 1], c: [1, 2, 3] });
  await run.system.close();
});

Deno.test("supervisor: one_for_all restarts every sibling and rebuilds their state", async () => {
  const run = trio("one_for_all");
  await warmUpThenCrash(run, 1);
  assert.deepEqual(run.refs.map((r) => r.stats().restarts), [1, 1, 1]);
  assert.deepEqual(run.builds, { a: 2, b: 2, c: 2 });
  assert.deepEqual(run.counts, { a: [1, 2, 1], b: [1, 2, 1], c: [1, 2, 1] });
  await run.system.close();
});

Deno.test("supervisor: rest_for_one restarts the crashed child and those started after it", async () => {
  const run = trio("rest_for_one");
  await warmUpThenCrash(run, 1);
  assert.deepEqual(run.refs.map((r) => r.stats().restarts), [0, 1, 1]);
  assert.deepEqual(run.counts, { a: [1, 2, 3], b: [1, 2, 1], c: [1, 2, 1] });
  await run.system.close();
});

Deno.test("supervisor: a sibling restart aborts the sibling's in-flight signal and keeps its queue", async () => {
  await using system = new ActorSystem({ supervisor: { backoff: NO_BACKOFF } });
  const group = system.spawnSupervisor("pair", { strategy: "one_for_all" });
  const crasher = crashy(group, "crasher");
  const seen: string[] = [];
  let abortReason: unknown;
  const busy = group.spawn<string>({
    name: "busy",
    factory: () => ({
      receive: (message, signal) => {
        if (message !== "wait") return void seen.push(message);
        return new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            abortReason = signal.reason;
            resolve();
          });
        });
      },
    }),
  });
  const temp = crashy(group, "temp", { restart: "temporary" });
  busy.tell("wait");
  busy.tell("queued");
  await waitFor(() => busy.stats().mailboxDepth === 1, "busy in flight");
  crasher.tell("crash");
  await waitFor(() => seen.length === 1, "the queued message after the restart");
  assert.deepEqual(seen, ["queued"]);
  assert.ok(abortReason instanceof ActorStoppedError);
  assert.equal(busy.stats().restarts, 1);
  assert.equal(temp.state, "stopped"); // temporary siblings are not restarted, as in OTP
});

Deno.test("supervisor: backoff delays double per restart, stay in [min, max], with full jitter", () => {
  const backoff = resolveBackoff({ minMs: 10, maxMs: 100 }, "test");
  assert.deepEqual(backoff, { minMs: 10, maxMs: 100 });
  assert.equal(backoffDelay(1, backoff, () => 0.999999), 10);
  assert.equal(backoffDelay(2, backoff, () => 0), 10);
  assert.equal(backoffDelay(2, backoff, () => 0.5), 15); // cap 20
  assert.equal(backoffDelay(3, backoff, () => 0.5), 25); // cap 40
  assert.equal(backoffDelay(4, backoff, () => 0.5), 45); // cap 80
  assert.equal(backoffDelay(5, backoff, () => 0.5), 55); // cap 100 (max)
  assert.equal(backoffDelay(60, backoff, () => 0.5), 55);
  for (let n = 1; n <= 20; n++) {
    for (const r of [0, 0.25, 0.5, 0.75, 0.999999]) {
      const delay = backoffDelay(n, backoff, () => r);
      assert.ok(delay >= 10 && delay <= 100, `delay ${delay} for restart ${n}`);
    }
  }
  assert.deepEqual(resolveBackoff(undefined, "defaults"), { minMs: 10, maxMs: 1000 });
  assert.throws(() => resolveBackoff({ minMs: 50, maxMs: 5 }, "g"), ActorConfigError);
  assert.deepEqual(pruneWindow([0, 4000, 5000, 9000], 10_000, 5000), [9000]);
});

Deno.test("supervisor: while restarting, tell still enqueues; the restart then handles it", async () => {
  const randoms: number[] = [];
  await using system = new ActorSystem({
    supervisor: { backoff: { minMs: 30, maxMs: 30 } },
    random: () => {
      randoms.push(0.5);
      return 0.5;
    },
  });
  const seen: string[] = [];
  const ref = crashy(system, "slow_restart", { seen });
  ref.tell("crash");
  await waitFor(() => ref.state === "restarting", "restarting state");
  assert.deepEqual(ref.tell("during backoff"), { accepted: true, dropped: null });
  assert.equal(ref.stats().mailboxDepth, 1);
  await waitFor(() => seen.length === 1, "the restarted actor");
  assert.deepEqual(seen, ["during backoff"]);
  assert.equal(randoms.length, 1); // the injected jitter source was used
});

Deno.test("supervisor: close clears pending backoff timers and lets the actor drain", async () => {
  const system = new ActorSystem({ supervisor: { backoff: { minMs: 60_000, maxMs: 60_000 } } });
  const seen: string[] = [];
  const ref = crashy(system, "long_backoff", { seen });
  ref.tell("crash");
  await waitFor(() => ref.state === "restarting");
  ref.tell("drained on close");
  await system.close({ deadlineMs: 1000 });
  assert.deepEqual(seen, ["drained on close"]);
  assert.equal(ref.state, "stopped");
});

Deno.test("supervisor: the crashing message goes to the dead-letter hook with its error", async () => {
  const own: DeadLetter<string>[] = [];
  const fallback: DeadLetter<unknown>[] = [];
  await using system = new ActorSystem({
    supervisor: { backoff: NO_BACKOFF },
    onDeadLetter: (l) => fallback.push(l),
  });
  const seen: string[] = [];
  const ref = crashy(system, "lettered", { seen, onDeadLetter: (l) => own.push(l) });
  const plain = crashy(system, "plain");
  ref.tell("crash");
  ref.tell("next");
  plain.tell("crash");
  await waitFor(() => seen.length === 1 && fallback.length === 1);
  assert.equal(own.length, 1);
  assert.equal(own[0]?.actor, "lettered");
  assert.equal(own[0]?.message, "crash");
  assert.match(String(own[0]?.error), /lettered crashed/);
  assert.equal(fallback[0]?.actor, "plain");
});

Deno.test("supervisor: retryCrashedMessageOnce re-delivers first, dead-letters only a 2nd crash", async () => {
  await using system = new ActorSystem({ supervisor: { backoff: NO_BACKOFF } });
  const letters: DeadLetter<string>[] = [];
  const seen: string[] = [];
  let attempts = 0;
  const flaky = system.spawn<string>({
    name: "flaky",
    retryCrashedMessageOnce: true,
    onDeadLetter: (l) => letters.push(l),
    factory: () => ({
      receive: (message) => {
        if (message === "flaky" && attempts++ === 0) throw new Error("first attempt fails");
        if (message === "poison") throw new Error("always fails");
        seen.push(message);
      },
    }),
  });
  flaky.tell("flaky");
  flaky.tell("after");
  await waitFor(() => seen.length === 2);
  assert.deepEqual(seen, ["flaky", "after"]); // the retry comes before the queued message
  assert.equal(letters.length, 0);
  flaky.tell("poison");
  flaky.tell("last");
  await waitFor(() => seen.length === 3);
  assert.deepEqual(letters.map((l) => l.message), ["poison"]);
  assert.equal(flaky.stats().failed, 3);
  assert.equal(flaky.stats().restarts, 3);
});

Deno.test("supervisor: a factory that throws counts as a crash and is retried", async () => {
  await using system = new ActorSystem({ supervisor: { backoff: NO_BACKOFF } });
  let builds = 0;
  const seen: number[] = [];
  const ref = system.spawn<number>({
    name: "late_bloomer",
    factory: () => {
      if (builds++ === 0) throw new Error("not ready");
      return { receive: (n) => void seen.push(n) };
    },
  });
  ref.tell(1);
  await waitFor(() => seen.length === 1);
  assert.equal(ref.stats().restarts, 1);
  assert.equal(ref.stats().failed, 0);
});

Deno.test("supervisor: invalid options are typed errors naming the supervisor", () => {
  const system = new ActorSystem();
  assert.throws(
    () => system.spawnSupervisor("bad", { intensity: -1 }),
    (error) => error instanceof ActorConfigError && /"bad"/.test(error.message),
  );
  assert.throws(() => system.spawnSupervisor("bad", { periodMs: 0 }), ActorConfigError);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => system.spawnSupervisor("bad", { strategy: "all_for_one" as any }),
    /all_for_one/,
  );
  assert.throws(
    () => new ActorSystem({ supervisor: { backoff: { minMs: -1 } } }),
    ActorConfigError,
  );
});
