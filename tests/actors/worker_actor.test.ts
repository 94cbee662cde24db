import assert from "node:assert/strict";
import { ActorSystem } from "../../src/actors/system.ts";
import { ActorConfigError, WorkerActorError } from "../../src/actors/errors.ts";
import { workerActorFactory } from "../../src/actors/worker_actor.ts";
import type { EchoMessage } from "../fixtures/isolated_echo_host.ts";
import { waitFor } from "./_helpers.ts";

const HOST = new URL("../fixtures/isolated_echo_host.ts", import.meta.url);

function lines(log: string): number[] {
  return Deno.readTextFileSync(log).split("\n").filter((line) => line !== "").map(Number);
}

/**
 * A temp log and an echo actor in a system that restarts it at once and kills a message after
 * 1 s (dead letters' `n` collected); disposing closes the system and removes the log.
 */
function killableEcho(batchSize: number) {
  const log = Deno.makeTempFileSync({ prefix: "worker-actor-" });
  const dead: number[] = [];
  const system = new ActorSystem({
    supervisor: { intensity: 5, backoff: { minMs: 1, maxMs: 2 } },
  });
  const ref = system.spawn<EchoMessage>({
    name: "echo",
    factory: workerActorFactory<EchoMessage>("echo", { host: HOST, batchSize }),
    messageTimeoutMs: 1000,
    shutdown: "brutal_kill",
    onDeadLetter: (letter) => dead.push(letter.message.n),
  });
  return {
    log,
    dead,
    ref,
    async [Symbol.asyncDispose]() {
      await system[Symbol.asyncDispose]();
      Deno.removeSync(log);
    },
  };
}

Deno.test("worker actor: a one_for_all sibling crash stops the Worker under its shutdown policy and restarts it", async () => {
  const log = Deno.makeTempFileSync({ prefix: "worker-actor-" });
  try {
    await using system = new ActorSystem({
      supervisor: { backoff: { minMs: 1, maxMs: 2 } },
    });
    const group = system.spawnSupervisor("pair", { strategy: "one_for_all", intensity: 5 });
    const isolated = group.spawn<EchoMessage>({
      name: "echo",
      factory: workerActorFactory<EchoMessage>("echo", { host: HOST, batchSize: 4 }),
      shutdown: 2000,
    });
    const crasher = group.spawn<string>({
      name: "crasher",
      factory: () => ({
        receive(message) {
          if (message === "crash") throw new Error("boom");
        },
      }),
    });
    for (let n = 1; n <= 10; n++) isolated.tell({ log, n });
    await waitFor(() => isolated.stats().processed === 10, "10 echoed", 20_000);
    crasher.tell("crash");
    await waitFor(() => isolated.stats().restarts === 1, "the sibling restart", 20_000);
    for (let n = 11; n <= 15; n++) isolated.tell({ log, n });
    await waitFor(() => isolated.stats().processed === 15, "15 echoed", 20_000);
    assert.deepEqual(lines(log), Array.from({ length: 15 }, (_, i) => i + 1));
    assert.equal(isolated.stats().failed, 0, "a sibling's restart is no crash of its own");
  } finally {
    Deno.removeSync(log);
  }
});

Deno.test("worker actor: batches of batchSize keep order, and a kill mid-batch requeues the rest in order", async () => {
  await using echo = killableEcho(3);
  const { log, dead, ref } = echo;
  for (let n = 1; n <= 12; n++) ref.tell({ log, n, hang: n === 5 });
  await waitFor(() => ref.stats().processed === 11, "11 echoed", 20_000);
  assert.deepEqual(lines(log), [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(dead, [5]);
  assert.equal(ref.stats().failed, 1);
});

Deno.test("worker actor: invalid options are typed errors naming the actor and field", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => workerActorFactory("a", { host: "./relative.ts" }),
      /entry of actor "a" must be an absolute URL/,
    ],
    [() => workerActorFactory("b", { host: HOST, batchSize: 0 }), /batchSize of actor "b"/],
    [() => workerActorFactory("c", { host: HOST, heartbeatMs: -1 }), /heartbeatMs of actor "c"/],
  ];
  for (const [attempt, message] of cases) {
    assert.throws(attempt, (error: unknown) => {
      assert.ok(error instanceof ActorConfigError);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("worker actor: a message JSON cannot carry is dead-lettered; the rest of its batch crosses intact, in order", async () => {
  const log = Deno.makeTempFileSync({ prefix: "worker-actor-" });
  try {
    const dead: { n: unknown; error: unknown }[] = [];
    await using system = new ActorSystem();
    const ref = system.spawn<EchoMessage>({
      name: "echo",
      factory: workerActorFactory<EchoMessage>("echo", { host: HOST }),
      shutdown: "brutal_kill",
      onDeadLetter: (letter) => dead.push({ n: letter.message.n, error: letter.error }),
    });
    // Told in one turn, so they leave as one batch: the bad one must not hold back the others.
    ref.tell({ log, n: 1 });
    ref.tell({ log, n: 2, big: 2n } as EchoMessage);
    ref.tell({ log, n: "3\nthree" } as unknown as EchoMessage);
    ref.tell({ log, n: 4 });
    await waitFor(() => ref.stats().processed === 3, "3 echoed", 20_000);
    assert.equal(Deno.readTextFileSync(log), "1\n3\nthree\n4\n");
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.n, 2);
    assert.ok(dead[0]!.error instanceof WorkerActorError);
    assert.match((dead[0]!.error as Error).message, /cannot cross to the Worker as JSON/);
    assert.equal(ref.stats().failed, 1);
  } finally {
    Deno.removeSync(log);
  }
});

Deno.test("worker actor: small, large and multi-byte messages told in separate turns arrive intact and in order", async () => {
  const log = Deno.makeTempFileSync({ prefix: "worker-actor-" });
  try {
    await using system = new ActorSystem();
    // batchSize 4: a window of 8 messages, many batches of mixed sizes.
    const ref = system.spawn<EchoMessage>({
      name: "echo",
      factory: workerActorFactory<EchoMessage>("echo", { host: HOST, batchSize: 4 }),
      shutdown: "brutal_kill",
    });
    const texts: string[] = [];
    for (let i = 0; i < 48; i++) {
      // Small, medium and large, with multi-byte text in each.
      const size = i % 4 === 0 ? 20 : i % 4 === 1 ? 2_000 + i : 32_768;
      texts.push(`${i}:` + "x😀é".repeat(size));
      if (i % 4 === 3) texts[i] = `${i}:${"€".repeat(2_600)}`;
    }
    texts.splice(21, 0, `big:${"€😀".repeat(60_000)}`); // ~420 KB of UTF-8 in one message
    for (const [index, text] of texts.entries()) {
      ref.tell({ log, n: text as unknown as number });
      // Told in separate turns, most leave as batches of their own.
      if (index % 2 === 0) await Promise.resolve();
      if (index % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await waitFor(() => ref.stats().processed === texts.length, "all echoed", 20_000);
    assert.equal(Deno.readTextFileSync(log), texts.map((text) => `${text}\n`).join(""));
    assert.equal(ref.stats().failed, 0);
    assert.equal(ref.stats().restarts, 0);
  } finally {
    Deno.removeSync(log);
  }
});

Deno.test("worker actor: thousands of one-message batches, none lost, duplicated or reordered", async () => {
  const log = Deno.makeTempFileSync({ prefix: "worker-actor-" });
  try {
    await using system = new ActorSystem();
    const ref = system.spawn<EchoMessage>({
      name: "echo",
      factory: workerActorFactory<EchoMessage>("echo", { host: HOST, batchSize: 1 }),
      mailbox: { capacity: 4000 },
      shutdown: "brutal_kill",
    });
    const total = 3000;
    // ~700 bytes of JSON each, one message a batch: ~2 MB in 3,000 crossings.
    const pad = "p".repeat(650);
    for (let n = 1; n <= total; n++) {
      ref.tell({ log, n, pad } as EchoMessage);
      // Some in separate turns, so the Worker also runs dry and waits between them.
      if (n % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => ref.stats().processed === total, `${total} echoed`, 30_000);
    assert.deepEqual(lines(log), Array.from({ length: total }, (_, i) => i + 1));
    assert.equal(ref.stats().failed, 0);
  } finally {
    Deno.removeSync(log);
  }
});

Deno.test("worker actor: a kill with batches posted and not yet run requeues them to the fresh Worker; each is counted once", async () => {
  await using echo = killableEcho(2);
  const { log, dead, ref } = echo;
  ref.tell({ log, n: 0 });
  await waitFor(() => ref.stats().processed === 1, "the Worker is up", 20_000);
  ref.tell({ log, n: 1, hang: true });
  // Not an assertion: lets the Worker take n=1 and hang before the rest is written, so
  // [2, 3] are posted and not run (the window holds 4) and 4..9 wait in the mailbox.
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let n = 2; n <= 9; n++) ref.tell({ log, n });
  await waitFor(() => ref.stats().processed === 9, "9 echoed", 20_000);
  // Posted-but-unrun messages counted as handled, or run twice, would lose or duplicate 2, 3.
  assert.deepEqual(lines(log), [0, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(dead, [1]);
  const stats = ref.stats();
  assert.equal(stats.failed, 1);
  assert.equal(stats.restarts, 1);
  const dropped = Object.values(stats.dropped).reduce((sum, count) => sum + count, 0);
  assert.equal(
    stats.processed + stats.failed + dropped,
    10,
    "told = processed + failed + dropped",
  );
});
