import assert from "node:assert/strict";
import { dbTest } from "../_db.ts";
import type { Database } from "../../src/durable/db/database.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { DurableConsumer } from "../../src/durable/consumer/consumer.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import { InvalidPatternError } from "../../src/bus/pattern.ts";
import { dropQueues, freshNamespace, makeEvent, queueRows, until } from "./_path_helpers.ts";

async function publishAll(db: Database, events: DomainEvent[]): Promise<number[]> {
  await using writer = new DurableWriter({ db });
  return await Promise.all(events.map((event) => writer.publish(event)));
}

dbTest("handlers get the exact event by pattern; handled and unmatched are deleted", async (db) => {
  const namespace = freshNamespace("cons");
  const queue = `${namespace}_domain_events`;
  const events = [
    makeEvent(namespace, "payment.processed"),
    makeEvent(namespace, "payment.card.failed"),
    makeEvent(namespace, "user.created"),
  ];
  const [firstId] = await publishAll(db, events);
  const seen: Record<string, string[]> = { single: [], deep: [], all: [] };
  const consumer = new DurableConsumer({ db, namespace, pollIntervalMs: 20 });
  consumer
    .on("payment.*", (event, context) => {
      seen.single!.push(event.event_name);
      if (event.event_name === "payment.processed") {
        assert.deepEqual(event, JSON.parse(JSON.stringify(events[0])));
        assert.equal(context.msg_id, firstId);
        assert.equal(context.read_ct, 1);
        assert.equal(context.headers["x-event-name"], "payment.processed");
      }
    })
    .on(["#.failed", "order.#"], (event) => {
      seen.deep!.push(event.event_name);
    });
  await consumer.start();
  await until(
    "all three handled",
    () => consumer.stats().processed + consumer.stats().unmatched === 3,
  );
  await consumer.close();
  assert.deepEqual(seen.single, ["payment.processed"]);
  assert.deepEqual(seen.deep, ["payment.card.failed"]);
  const stats = consumer.stats();
  assert.equal(stats.read, 3);
  assert.equal(stats.processed, 2);
  assert.equal(stats.unmatched, 1);
  assert.equal(stats.in_flight, 0);
  assert.deepEqual(await queueRows(db, queue), []);
  assert.throws(() => consumer.on("pay*", () => {}), InvalidPatternError);
  await dropQueues(db, queue);
});

dbTest("a failed handler is retried after its backoff, then succeeds", async (db) => {
  const namespace = freshNamespace("cons");
  const queue = `${namespace}_domain_events`;
  await publishAll(db, [makeEvent(namespace, "order.created")]);
  const attempts: number[] = [];
  const consumer = new DurableConsumer({
    db,
    namespace,
    pollIntervalMs: 20,
    retryBackoff: { minSeconds: 0.05, maxSeconds: 0.05 },
  });
  consumer.on("#", (_event, context) => {
    attempts.push(context.read_ct);
    if (context.read_ct === 1) throw new Error("transient");
  });
  await consumer.start();
  await until("processed", () => consumer.stats().processed === 1);
  await consumer.close();
  assert.deepEqual(attempts, [1, 2]);
  assert.equal(consumer.stats().failed, 1);
  assert.equal(consumer.stats().dead_lettered, 0);
  assert.deepEqual(await queueRows(db, queue), []);
  await dropQueues(db, queue);
});

dbTest(
  "after maxAttempts a message is dead-lettered with its error, and redrive brings it back",
  async (db) => {
    const namespace = freshNamespace("cons");
    const queue = `${namespace}_domain_events`;
    const dlq = `${queue}_dlq`;
    const event = makeEvent(namespace, "invoice.sent", { traceparent: "00-abc-def-01" });
    await publishAll(db, [event]);
    const consumer = new DurableConsumer({
      db,
      namespace,
      maxAttempts: 3,
      pollIntervalMs: 20,
      retryBackoff: { minSeconds: 0, maxSeconds: 0 },
    });
    consumer.on("invoice.*", () => {
      throw new Error("mailer rejected the invoice");
    });
    await consumer.start();
    await until("dead-lettered", () => consumer.stats().dead_lettered === 1);
    await consumer.close();
    assert.equal(consumer.stats().failed, 3);
    assert.deepEqual(await queueRows(db, queue), []);
    const [dead] = await queueRows(db, dlq);
    assert.deepEqual(dead!.message, JSON.parse(JSON.stringify(event)));
    assert.equal(dead!.headers["x-event-name"], "invoice.sent");
    assert.equal(dead!.headers["traceparent"], "00-abc-def-01");
    assert.match(String(dead!.headers["x-last-error"]), /mailer rejected the invoice/);
    assert.equal(dead!.headers["x-attempts"], 3);
    assert.equal(dead!.headers["x-original-queue"], queue);
    assert.ok(!Number.isNaN(Date.parse(String(dead!.headers["x-failed-at"]))));

    assert.equal(await DurableConsumer.redrive(db, dlq, queue, { limit: 10 }), 1);
    assert.deepEqual(await queueRows(db, dlq), []);
    const [back] = await queueRows(db, queue);
    assert.deepEqual(back!.message, JSON.parse(JSON.stringify(event)));
    assert.equal(back!.read_ct, 0);
    assert.equal(back!.headers["x-last-error"], undefined);
    assert.equal(back!.headers["x-redriven-from"], dlq);
    assert.equal(back!.headers["traceparent"], "00-abc-def-01");
    assert.equal(await DurableConsumer.redrive(db, dlq, queue), 0);
    await dropQueues(db, queue);
  },
);

dbTest("a message that is not an envelope goes straight to the dead-letter queue", async (db) => {
  const namespace = freshNamespace("cons");
  const queue = `${namespace}_domain_events`;
  const consumer = new DurableConsumer({ db, namespace, pollIntervalMs: 20 });
  let handled = 0;
  consumer.on("#", () => {
    handled++;
  });
  await consumer.start();
  await db.query(`SELECT pgmq.send($1::text, $2::text::jsonb, $3::text::jsonb)`, [
    queue,
    JSON.stringify({ hello: "world" }),
    JSON.stringify({ "x-source": "legacy" }),
  ]);
  await until("dead-lettered", () => consumer.stats().dead_lettered === 1);
  await consumer.close();
  assert.equal(handled, 0);
  const [dead] = await queueRows(db, `${queue}_dlq`);
  assert.deepEqual(dead!.message, { hello: "world" });
  assert.equal(dead!.headers["x-source"], "legacy");
  assert.match(String(dead!.headers["x-last-error"]), /invalid envelope: event_id/);
  assert.equal(dead!.headers["x-attempts"], 1);
  await dropQueues(db, queue);
});

dbTest("close lets the running handler finish and hands unstarted messages back", async (db) => {
  const namespace = freshNamespace("cons");
  const queue = `${namespace}_domain_events`;
  const ids = await publishAll(
    db,
    Array.from({ length: 5 }, (_, index) => makeEvent(namespace, "a.b", { index })),
  );
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const started: number[] = [];
  const finished: number[] = [];
  const consumer = new DurableConsumer({ db, namespace, pollIntervalMs: 20, concurrency: 1 });
  consumer.on("#", async (_event, context) => {
    started.push(context.msg_id);
    await gate;
    finished.push(context.msg_id);
  });
  await consumer.start();
  await until("first handler running", () => started.length === 1);
  const closing = consumer.close({ deadlineMs: 5_000 });
  release();
  await closing;
  assert.deepEqual(started, [ids[0]]);
  assert.deepEqual(finished, [ids[0]]);
  const left = await db.query<{ msg_id: number | string; visible: boolean }>(
    `SELECT msg_id, vt <= clock_timestamp() AS visible FROM pgmq."q_${queue}" ORDER BY msg_id`,
  );
  assert.deepEqual(left.map((row) => [Number(row.msg_id), row.visible]), [
    [ids[1], true],
    [ids[2], true],
    [ids[3], true],
    [ids[4], true],
  ]);
  await dropQueues(db, queue);
});

dbTest(
  "a handler outliving close's deadline is aborted and its message stays queued",
  async (db) => {
    const namespace = freshNamespace("cons");
    const queue = `${namespace}_domain_events`;
    const [id] = await publishAll(db, [makeEvent(namespace, "a.b")]);
    let aborted = false;
    const consumer = new DurableConsumer({ db, namespace, pollIntervalMs: 20 });
    let running = false;
    consumer.on("#", async (_event, context) => {
      running = true;
      await new Promise<void>((resolve) => {
        context.signal.addEventListener("abort", () => {
          aborted = true;
          resolve();
        });
      });
      throw context.signal.reason;
    });
    await consumer.start();
    await until("handler running", () => running);
    await consumer.close({ deadlineMs: 30 });
    assert.equal(aborted, true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rows = await queueRows(db, queue);
    assert.deepEqual(rows.map((row) => [row.msg_id, row.read_ct]), [[id, 1]]);
    assert.deepEqual(await queueRows(db, `${queue}_dlq`), []);
    await dropQueues(db, queue);
  },
);

dbTest("a consumer wakes when a writer of its process commits, without polling", async (db) => {
  const namespace = freshNamespace("cons");
  const queue = `${namespace}_domain_events`;
  const consumer = new DurableConsumer({
    db,
    namespace,
    listen: false,
    pollIntervalMs: 600_000,
    onSuccess: "archive",
  });
  const received: string[] = [];
  consumer.on("*", (event) => {
    received.push(event.event_id);
  });
  await consumer.start();
  await using writer = new DurableWriter({ db });
  const first = makeEvent(namespace, "shipment.packed");
  await writer.publish(first);
  await until("first event received", () => received.length === 1);
  // The consumer drained the queue and idles; its next poll is ten minutes away.
  const second = makeEvent(namespace, "shipment.dispatched");
  await writer.publish(second);
  await until("second event received", () => received.length === 2);
  await consumer.close();
  assert.deepEqual(received, [first.event_id, second.event_id]);
  assert.deepEqual(await queueRows(db, queue), []);
  const archived = await queueRows(db, queue, "a");
  assert.deepEqual(archived.map((row) => row.message.event_id), [first.event_id, second.event_id]);
  await dropQueues(db, queue);
});

dbTest("a consumer wakes on PGMQ insert notifications from other writers", async (db) => {
  const namespace = freshNamespace("cons");
  const queue = `${namespace}_domain_events`;
  const consumer = new DurableConsumer({ db, namespace, pollIntervalMs: 600_000 });
  const received: string[] = [];
  consumer.on("#", (event) => {
    received.push(event.event_name);
  });
  await consumer.start();
  assert.equal(consumer.stats().errors, 0, consumer.stats().last_error ?? "");
  // Plain pgmq.send, as a producer in another process or language would do.
  const send = (name: string) =>
    db.query("SELECT pgmq.send($1::text, $2::text::jsonb)", [
      queue,
      JSON.stringify(makeEvent(namespace, name)),
    ]);
  await send("shipment.packed");
  await until("first event received", () => received.length === 1);
  // Drained and idle; the next poll is ten minutes away: only the notification (or the read
  // that follows PGMQ's notification throttle window) can deliver this one.
  await send("shipment.dispatched");
  await until("second event received", () => received.length === 2);
  await consumer.close();
  assert.deepEqual(received, ["shipment.packed", "shipment.dispatched"]);
  await dropQueues(db, queue);
});
