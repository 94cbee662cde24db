// The client's read-only views of a queue: which queues exist, browsing without consuming, and
// the depth counted from the queue's table.
import assert from "node:assert/strict";
import { dbTest, uniqueName } from "../_db.ts";
import type { Queryable } from "../../src/durable/db/database.ts";
import { PgmqArgumentError } from "../../src/durable/pgmq/errors.ts";
import { Pgmq } from "../../src/durable/pgmq/pgmq.ts";
import { InvalidNameError } from "../../src/names.ts";

dbTest("existingQueues names only the queues that exist", async (db) => {
  const pgmq = new Pgmq(db);
  const [made, missing] = [uniqueName("pgmq"), uniqueName("pgmq")];
  await pgmq.createQueue(made);
  assert.deepEqual([...await pgmq.existingQueues([made, missing])], [made]);
  assert.deepEqual([...await pgmq.existingQueues([])], []);
});

dbTest("browse pages through messages oldest first without consuming them", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = uniqueName("pgmq");
  await pgmq.createQueue(queue);
  const ids = await pgmq.sendBatch(queue, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  const first = await pgmq.browse<{ n: number }>(queue, { qty: 2 });
  assert.deepEqual(first.map((m) => m.message.n), [1, 2]);
  const rest = await pgmq.browse<{ n: number }>(queue, { afterMsgId: first[1]!.msg_id, qty: 2 });
  assert.deepEqual(rest.map((m) => m.msg_id), [ids[2]]);
  // Nothing was consumed: all three are still visible, and this is the first read of each.
  const read = await pgmq.read(queue, { vtSeconds: 30, qty: 10 });
  assert.deepEqual(read.map((m) => m.read_ct), [1, 1, 1]);
});

dbTest("depth counts held and visible messages and their ages", async (db) => {
  const pgmq = new Pgmq(db);
  const queue = uniqueName("pgmq");
  await pgmq.createQueue(queue);
  const empty = await pgmq.depth(queue);
  assert.deepEqual(empty, {
    length: 0,
    visible: 0,
    oldest_visible_age_sec: null,
    oldest_msg_age_sec: null,
  });
  await pgmq.send(queue, { n: 1 });
  await pgmq.send(queue, { n: 2 }, { delaySeconds: 300 });
  const depth = await pgmq.depth(queue);
  assert.equal(depth.length, 2);
  assert.equal(depth.visible, 1);
  assert.ok(depth.oldest_visible_age_sec !== null && depth.oldest_visible_age_sec >= 0);
  assert.ok(depth.oldest_msg_age_sec !== null && depth.oldest_msg_age_sec >= 0);
});

Deno.test("browse, depth and existingQueues reject bad arguments before any SQL runs", async () => {
  const db: Queryable = { query: () => Promise.reject(new Error("no SQL expected")) };
  const pgmq = new Pgmq(db);
  await assert.rejects(pgmq.browse("Bad-Name", { qty: 1 }), InvalidNameError);
  await assert.rejects(pgmq.depth("pgmq; drop"), InvalidNameError);
  await assert.rejects(pgmq.existingQueues(["ok_queue", "Bad"]), InvalidNameError);
  await assert.rejects(pgmq.browse("ok_queue", { qty: 0 }), PgmqArgumentError);
  await assert.rejects(
    pgmq.browse("ok_queue", { afterMsgId: -1, qty: 1 }),
    (error) => error instanceof PgmqArgumentError && error.argument === "afterMsgId",
  );
});
