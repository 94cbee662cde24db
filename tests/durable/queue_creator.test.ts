// Creating a queue once per process and handle (src/durable/pgmq/queues.ts): callers that come
// while the creation runs share it instead of each running PGMQ's create behind its lock, a failed
// creation is tried again by the next caller, and each handle has its own cache.
import assert from "node:assert/strict";
import type { Queryable } from "../../src/durable/db/database.ts";
import { QueueCreator } from "../../src/durable/pgmq/queues.ts";
import { InvalidNameError } from "../../src/names.ts";
import { dbTest, uniqueName } from "../_db.ts";

const handle = () => ({}) as unknown as Queryable;

Deno.test("twenty callers at once create a queue once", async () => {
  let creations = 0;
  let finish!: () => void;
  const creator = new QueueCreator(async () => {
    creations++;
    await new Promise<void>((resolve) => (finish = resolve));
  });
  const db = handle();
  const all = Promise.all(Array.from({ length: 20 }, () => creator.ensure(db, "orders_queue")));
  finish();
  await all;
  await creator.ensure(db, "orders_queue");
  assert.equal(creations, 1);
});

Deno.test("a failed creation fails its callers and is tried again by the next", async () => {
  let creations = 0;
  const creator = new QueueCreator(() => {
    creations++;
    return creations === 1 ? Promise.reject(new Error("lock timeout")) : Promise.resolve();
  });
  const db = handle();
  const first = await Promise.allSettled([
    creator.ensure(db, "orders_queue"),
    creator.ensure(db, "orders_queue"),
  ]);
  assert.deepEqual(first.map((r) => r.status), ["rejected", "rejected"]);
  await creator.ensure(db, "orders_queue");
  assert.equal(creations, 2);
});

Deno.test("each handle creates for itself; forget() makes the next call create again", async () => {
  const made: string[] = [];
  const creator = new QueueCreator((_db, queue) => {
    made.push(queue);
    return Promise.resolve();
  });
  const a = handle();
  const b = handle();
  await creator.ensure(a, "orders_queue");
  await creator.ensure(b, "orders_queue");
  await creator.ensure(a, "orders_queue");
  creator.forget(a, "orders_queue");
  await creator.ensure(a, "orders_queue");
  assert.deepEqual(made, ["orders_queue", "orders_queue", "orders_queue"]);
  await assert.rejects(creator.ensure(a, "bad name"), InvalidNameError);
});

dbTest("concurrent ensures of a real queue run pgmq.create once", async (db) => {
  let calls = 0;
  const creator = new QueueCreator(async (tx, queue) => {
    calls++;
    await tx.query("SELECT pgmq.create($1::text)", [queue]);
  });
  const queue = `${uniqueName("qc")}_queue`;
  await Promise.all(Array.from({ length: 10 }, () => creator.ensure(db, queue)));
  assert.equal(calls, 1);
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pgmq.meta WHERE queue_name = $1",
    [queue],
  );
  assert.equal(rows[0]!.n, 1);
});
