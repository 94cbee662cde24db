import assert from "node:assert/strict";
import { dbTest } from "../_db.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import { CaptureError } from "../../src/testing/fast_capture.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import { InvalidNameError } from "../../src/names.ts";
import { dropQueues, freshNamespace, makeEvent, queueRows } from "../durable/_path_helpers.ts";

dbTest("DurableEventCapture reads queue tables, ignoring visibility", async (db) => {
  const payments = freshNamespace("cap");
  const orders = freshNamespace("cap");
  const processed = makeEvent(payments, "payment.processed");
  const failed = makeEvent(payments, "payment.card.failed");
  const shipped = makeEvent(orders, "order.shipped");
  shipped.metadata.task_uuid = processed.metadata.task_uuid;
  await using writer = new DurableWriter({ db });
  await Promise.all([processed, failed, shipped].map((event) => writer.publish(event)));
  // A consumer hides a message; the capture still sees it.
  await db.query("SELECT * FROM pgmq.read($1::text, 300, 1)", [`${payments}_domain_events`]);

  await using capture = new DurableEventCapture(db);
  const all = await capture.events(payments);
  assert.deepEqual(all.map((message) => message.event), [
    JSON.parse(JSON.stringify(processed)),
    JSON.parse(JSON.stringify(failed)),
  ]);
  assert.equal(all[0]!.read_ct, 1);
  assert.equal(all[0]!.namespace, payments);
  assert.equal(all[0]!.headers["x-event-name"], "payment.processed");
  assert.ok(all[0]!.enqueued_at instanceof Date);
  assert.deepEqual(
    (await capture.matching(payments, "#.failed")).map((message) => message.event.event_name),
    ["payment.card.failed"],
  );
  assert.equal(await capture.count(payments), 2);
  assert.equal(await capture.count(freshNamespace("never")), 0);
  assert.deepEqual(await capture.events(freshNamespace("never")), []);

  const forTask = await capture.forTask(processed.metadata.task_uuid, [orders]);
  assert.deepEqual(
    forTask.map((message) => message.event.event_id).sort(),
    [processed.event_id, shipped.event_id].sort(),
  );

  assert.equal(
    (await capture.assertPublished(payments, "payment.processed")).event.event_id,
    processed.event_id,
  );
  await assert.rejects(
    capture.assertPublished(payments, "payment.refunded"),
    (error: unknown) =>
      error instanceof CaptureError &&
      error.message.includes('"payment.refunded"') &&
      error.message.includes("payment.processed, payment.card.failed"),
  );
  await capture.assertNotPublished(payments, "payment.refunded");
  await assert.rejects(capture.assertNotPublished(payments, "payment.processed"), CaptureError);
  await assert.rejects(capture.events("Bad-Name"), InvalidNameError);

  for (const namespace of [payments, orders]) await dropQueues(db, `${namespace}_domain_events`);
});

dbTest("waitFor polls until the event arrives or times out", async (db) => {
  const namespace = freshNamespace("cap");
  await using writer = new DurableWriter({ db });
  await using capture = new DurableEventCapture(db);
  const event = makeEvent(namespace, "user.created");
  const waiting = capture.waitFor(namespace, "user.created", { timeoutMs: 5_000, intervalMs: 5 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await writer.publish(event);
  assert.equal((await waiting).event.event_id, event.event_id);
  await assert.rejects(
    capture.waitFor(namespace, "user.deleted", { timeoutMs: 30, intervalMs: 5 }),
    (error: unknown) =>
      error instanceof CaptureError && error.message.includes("within 30 ms") &&
      error.message.includes("user.created"),
  );
  await dropQueues(db, `${namespace}_domain_events`);
});

dbTest("cleanup deletes only the messages the capture saw", async (db) => {
  const namespace = freshNamespace("cap");
  const queue = `${namespace}_domain_events`;
  await using writer = new DurableWriter({ db });
  const capture = new DurableEventCapture(db);
  await writer.publish(makeEvent(namespace, "a.seen"));
  await writer.publish(makeEvent(namespace, "b.seen"));
  assert.equal((await capture.events(namespace)).length, 2);
  const later = makeEvent(namespace, "c.unseen");
  await writer.publish(later);
  assert.deepEqual(await capture.cleanup(), { deleted: 2, missing: 0 });
  const rows = await queueRows(db, queue);
  assert.deepEqual(rows.map((row) => row.message.event_id), [later.event_id]);
  assert.deepEqual(await capture.cleanup(), { deleted: 0, missing: 0 });
  await dropQueues(db, queue);
});
