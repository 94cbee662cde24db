import assert from "node:assert/strict";
import { dbTest, uniqueName } from "../_db.ts";
import type { Queryable } from "../../src/durable/db/database.ts";
import { PgmqArgumentError } from "../../src/durable/pgmq/errors.ts";
import { Pgmq } from "../../src/durable/pgmq/pgmq.ts";
import { InvalidNameError } from "../../src/names.ts";

async function newQueue(pgmq: Pgmq): Promise<string> {
  const queue = uniqueName("pgmq");
  await pgmq.createQueue(queue);
  return queue;
}

dbTest("createQueue is idempotent; listQueues and dropQueue see it", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  await pgmq.createQueue(queue);
  const listed = (await pgmq.listQueues()).filter((q) => q.queue_name === queue);
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.is_partitioned, false);
  assert.equal(listed[0]!.is_unlogged, false);
  assert.ok(listed[0]!.created_at instanceof Date);
  assert.equal(await pgmq.dropQueue(queue), true);
  assert.equal((await pgmq.listQueues()).some((q) => q.queue_name === queue), false);
  assert.equal(await pgmq.dropQueue(queue), false);
});

dbTest("send stores body and headers; a delayed message stays invisible", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const before = Date.now();
  const first = await pgmq.send(queue, { order: 1, tags: ["a"] }, { headers: { trace: "t-1" } });
  const delayed = await pgmq.send(queue, { order: 2 }, { delaySeconds: 300 });
  assert.equal(typeof first, "number");
  assert.ok(delayed > first);

  const read = await pgmq.read<{ order: number; tags: string[] }>(queue, {
    vtSeconds: 30,
    qty: 10,
  });
  assert.equal(read.length, 1);
  const [message] = read;
  assert.equal(message!.msg_id, first);
  assert.equal(message!.read_ct, 1);
  assert.deepEqual(message!.message, { order: 1, tags: ["a"] });
  assert.deepEqual(message!.headers, { trace: "t-1" });
  assert.ok(message!.enqueued_at instanceof Date);
  assert.ok(message!.last_read_at instanceof Date);
  assert.ok(message!.vt.getTime() > before + 20_000, "vt is about 30 s ahead");

  const metrics = await pgmq.metrics(queue);
  assert.equal(metrics.queue_name, queue);
  assert.equal(metrics.queue_length, 2);
  assert.equal(metrics.queue_visible_length, 0);
  assert.equal(metrics.total_messages, 2);
  assert.ok(metrics.scrape_time instanceof Date);
});

dbTest("a message without headers has null headers", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  await pgmq.send(queue, "plain string body");
  const [message] = await pgmq.read<string>(queue, { vtSeconds: 5, qty: 1 });
  assert.equal(message!.message, "plain string body");
  assert.equal(message!.headers, null);
  assert.equal(message!.last_read_at instanceof Date, true);
});

dbTest("sendBatch returns ids in order with per-message headers", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const ids = await pgmq.sendBatch(queue, [{ n: 1 }, { n: 2 }, { n: 3 }], {
    headers: [{ h: 1 }, null, { h: 3 }],
  });
  assert.equal(ids.length, 3);
  assert.deepEqual([...ids].sort((a, b) => a - b), ids);
  const read = await pgmq.read<{ n: number }>(queue, { vtSeconds: 30, qty: 10 });
  assert.deepEqual(read.map((m) => m.msg_id), ids);
  assert.deepEqual(read.map((m) => m.message), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  assert.deepEqual(read.map((m) => m.headers), [{ h: 1 }, null, { h: 3 }]);

  const delayed = await pgmq.sendBatch(queue, ["x", "y"], { delaySeconds: 300 });
  assert.equal(delayed.length, 2);
  assert.deepEqual(await pgmq.read(queue, { vtSeconds: 30, qty: 10 }), []);
  assert.deepEqual(await pgmq.sendBatch(queue, []), []);
  assert.equal((await pgmq.metrics(queue)).queue_length, 5);
});

dbTest("read hides messages for vt; setVt makes one visible again", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const id = await pgmq.send(queue, { job: 1 });
  assert.equal((await pgmq.read(queue, { vtSeconds: 60, qty: 1 })).length, 1);
  assert.deepEqual(await pgmq.read(queue, { vtSeconds: 60, qty: 1 }), []);

  const updated = await pgmq.setVt<{ job: number }>(queue, id, 0);
  assert.equal(updated!.msg_id, id);
  assert.deepEqual(updated!.message, { job: 1 });
  const [again] = await pgmq.read(queue, { vtSeconds: 60, qty: 1 });
  assert.equal(again!.msg_id, id);
  assert.equal(again!.read_ct, 2);
  assert.equal(await pgmq.setVt(queue, id + 1000, 0), null);
});

dbTest("pop reads and deletes", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const ids = await pgmq.sendBatch(queue, [1, 2, 3]);
  const [first, ...none] = await pgmq.pop<number>(queue);
  assert.equal(none.length, 0);
  assert.equal(first!.msg_id, ids[0]);
  assert.equal(first!.message, 1);
  const rest = await pgmq.pop<number>(queue, 10);
  assert.deepEqual(rest.map((m) => m.message), [2, 3]);
  assert.equal((await pgmq.metrics(queue)).queue_length, 0);
  assert.deepEqual(await pgmq.pop(queue), []);
});

dbTest("delete removes one or many and reports what existed", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const [a, b, c, d] = await pgmq.sendBatch(queue, ["a", "b", "c", "d"]);
  assert.equal(await pgmq.delete(queue, a!), true);
  assert.equal(await pgmq.delete(queue, a!), false);
  assert.deepEqual(await pgmq.delete(queue, [b!, c!, d! + 1000]), [b, c]);
  assert.deepEqual(await pgmq.delete(queue, []), []);
  const left = await pgmq.read<string>(queue, { vtSeconds: 10, qty: 10 });
  assert.deepEqual(left.map((m) => m.msg_id), [d]);
});

dbTest("archive moves one or many into the archive table", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const [a, b, c] = await pgmq.sendBatch(queue, ["a", "b", "c"]);
  assert.equal(await pgmq.archive(queue, a!), true);
  assert.equal(await pgmq.archive(queue, a!), false);
  assert.deepEqual(await pgmq.archive(queue, [b!, c!, c! + 1000]), [b, c]);
  assert.equal((await pgmq.metrics(queue)).queue_length, 0);
  const archived = await db.query<{ msg_id: number; message: string }>(
    `SELECT msg_id, message FROM pgmq.a_${queue} ORDER BY msg_id`,
  );
  assert.deepEqual(archived, [
    { msg_id: a, message: "a" },
    { msg_id: b, message: "b" },
    { msg_id: c, message: "c" },
  ]);
});

dbTest("metricsAll reports every queue like metrics; purge empties a queue", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  const other = await newQueue(pgmq);
  await pgmq.sendBatch(queue, [1, 2, 3]);
  await pgmq.send(other, 1);
  const all = await pgmq.metricsAll();
  const mine = all.find((m) => m.queue_name === queue);
  assert.equal(mine!.queue_length, 3);
  assert.equal(mine!.queue_visible_length, 3);
  assert.equal(typeof mine!.oldest_msg_age_sec, "number");
  assert.equal(all.find((m) => m.queue_name === other)!.queue_length, 1);

  assert.equal(await pgmq.purgeQueue(queue), 3);
  const after = await pgmq.metrics(queue);
  assert.equal(after.queue_length, 0);
  assert.equal(after.newest_msg_age_sec, null);
  assert.equal(after.total_messages, 3, "purge keeps the id sequence");
  assert.equal((await pgmq.metrics(other)).queue_length, 1);
});

dbTest("queue writes on a transaction commit or roll back with it", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = await newQueue(pgmq);
  await assert.rejects(
    db.transaction(async (tx) => {
      await new Pgmq(tx).send(queue, { lost: true });
      throw new Error("abort");
    }),
    /abort/,
  );
  assert.equal((await pgmq.metrics(queue)).queue_length, 0);
  const id = await db.transaction((tx) => new Pgmq(tx).send(queue, { kept: true }));
  const [message] = await pgmq.read(queue, { vtSeconds: 5, qty: 1 });
  assert.equal(message!.msg_id, id);
});

/** A Queryable that records every call: the validation tests assert it was never called. */
function recordingQueryable(): Queryable & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    query<T>(sql: string): Promise<T[]> {
      calls.push(sql);
      return Promise.resolve([]);
    },
  };
}

Deno.test("invalid queue names are rejected before any SQL runs", async () => {
  const db = recordingQueryable();
  const pgmq = new Pgmq(db);
  const vt = { vtSeconds: 1, qty: 1 };
  for (const bad of ["", "Bad", "a-b", "q; DROP TABLE x", "1abc", "x".repeat(48), "q$1"]) {
    const calls: Array<() => Promise<unknown>> = [
      () => pgmq.createQueue(bad),
      () => pgmq.send(bad, {}),
      () => pgmq.sendBatch(bad, [{}]),
      () => pgmq.read(bad, vt),
      () => pgmq.pop(bad),
      () => pgmq.delete(bad, 1),
      () => pgmq.delete(bad, [1]),
      () => pgmq.archive(bad, 1),
      () => pgmq.archive(bad, [1]),
      () => pgmq.setVt(bad, 1, 1),
      () => pgmq.metrics(bad),
      () => pgmq.purgeQueue(bad),
      () => pgmq.dropQueue(bad),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof InvalidNameError);
        assert.equal(error.value, bad);
        return true;
      });
    }
  }
  assert.deepEqual(db.calls, []);
});

Deno.test("invalid arguments are rejected before any SQL runs", async () => {
  const db = recordingQueryable();
  const pgmq = new Pgmq(db);
  const q = "valid_queue";
  const cases: Array<[string, () => Promise<unknown>]> = [
    ["qty", () => pgmq.read(q, { vtSeconds: 1, qty: 0 })],
    ["qty", () => pgmq.pop(q, 1.5)],
    ["vtSeconds", () => pgmq.read(q, { vtSeconds: -1, qty: 1 })],
    ["vtSeconds", () => pgmq.setVt(q, 1, Number.NaN)],
    ["delaySeconds", () => pgmq.send(q, {}, { delaySeconds: 0.5 })],
    ["delaySeconds", () => pgmq.sendBatch(q, [{}], { delaySeconds: -3 })],
    ["id", () => pgmq.delete(q, 0)],
    ["ids[1]", () => pgmq.archive(q, [1, -2])],
    ["message", () => pgmq.send(q, undefined)],
    ["message[0]", () => pgmq.sendBatch(q, [() => 1])],
    ["message", () => pgmq.send(q, { n: 1n })],
    ["headers", () => pgmq.sendBatch(q, [1, 2], { headers: [null] })],
  ];
  for (const [argument, call] of cases) {
    await assert.rejects(call(), (error: unknown) => {
      assert.ok(error instanceof PgmqArgumentError, String(error));
      assert.equal(error.argument, argument);
      assert.equal(error.code, "E_PGMQ_ARGUMENT");
      return true;
    });
  }
  assert.deepEqual(db.calls, []);
});
