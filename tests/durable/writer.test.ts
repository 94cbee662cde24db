import assert from "node:assert/strict";
import { dbTest } from "../_db.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import { openDatabase } from "../../src/durable/db/open.ts";
import { readEnv } from "../../src/env.ts";
import {
  EventRejectedError,
  UnserializableEventError,
  WriterBufferFullError,
  WriterClosedError,
} from "../../src/durable/writer/errors.ts";
import { InvalidNameError } from "../../src/names.ts";
import {
  dropQueues,
  freshNamespace,
  makeEvent,
  queueRows,
  RecordingDatabase,
} from "./_path_helpers.ts";

dbTest("DurableWriter stores the exact envelope with its headers", async (db) => {
  const namespace = freshNamespace();
  const queue = `${namespace}_domain_events`;
  await using writer = new DurableWriter({ db });
  const traced = makeEvent(namespace, "payment.processed", {
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  });
  const plain = makeEvent(namespace, "payment.refunded");
  const msgId = await writer.publish(traced, { headers: { "x-tenant": "acme", attempt: 2 } });
  assert.equal(writer.enqueue(plain), true);
  await writer.flush();

  const rows = await queueRows(db, queue);
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.msg_id, msgId);
  assert.deepEqual(rows[0]!.message, JSON.parse(JSON.stringify(traced)));
  assert.deepEqual(rows[0]!.headers, {
    "x-tenant": "acme",
    attempt: 2,
    "x-event-name": "payment.processed",
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  });
  assert.deepEqual(rows[1]!.message, JSON.parse(JSON.stringify(plain)));
  assert.deepEqual(rows[1]!.headers, { "x-event-name": "payment.refunded" });
  assert.equal(rows[0]!.read_ct, 0);
  // The dead-letter queue was created alongside.
  const dlq = await db.query("SELECT 1 FROM pgmq.meta WHERE queue_name = $1::text", [
    `${queue}_dlq`,
  ]);
  assert.equal(dlq.length, 1);
  await dropQueues(db, queue);
});

dbTest("both write strategies keep PGMQ's contract and return ids in order", async (db) => {
  for (const strategy of ["insert", "send_batch"] as const) {
    const namespace = freshNamespace(strategy === "insert" ? "ins" : "sb");
    const queue = `${namespace}_domain_events`;
    await using writer = new DurableWriter({ db, strategy, lingerMs: 50 });
    const events = Array.from({ length: 7 }, (_, index) => makeEvent(namespace, "a.b", { index }));
    const ids = await Promise.all(events.map((event) => writer.publish(event)));
    const rows = await queueRows(db, queue);
    assert.deepEqual(rows.map((row) => row.msg_id), ids, strategy);
    assert.deepEqual(rows.map((row) => row.message.event_id), events.map((e) => e.event_id));
    // A fresh message is visible at once: pgmq.read returns it.
    const read = await db.query("SELECT msg_id FROM pgmq.read($1::text, 30, 100)", [queue]);
    assert.equal(read.length, 7, strategy);
    await dropQueues(db, queue);
  }
});

dbTest("N events are written with at most ceil(N / batchSize) statements", async (db) => {
  const namespace = freshNamespace();
  const queue = `${namespace}_domain_events`;
  const recording = new RecordingDatabase(db);
  await using writer = new DurableWriter({ db: recording, batchSize: 50, lingerMs: 10_000 });
  const events = Array.from({ length: 230 }, (_, index) => makeEvent(namespace, "a.b", { index }));
  for (const event of events) assert.equal(writer.enqueue(event), true);
  await writer.flush();
  const inserts = recording.count(`pgmq."q_${queue}"`);
  assert.ok(inserts <= Math.ceil(230 / 50), `${inserts} insert statements`);
  const stats = writer.stats();
  assert.equal(stats.written, 230);
  assert.equal(stats.batches, inserts);
  assert.equal(stats.max_batch_size, 50);
  const rows = await queueRows(db, queue);
  assert.deepEqual(
    rows.map((row) => row.message.event_id).sort(),
    events.map((e) => e.event_id).sort(),
  );
  await dropQueues(db, queue);
});

dbTest("preserveOrder keeps msg_id order equal to enqueue order across batches", async (db) => {
  const namespace = freshNamespace();
  const queue = `${namespace}_domain_events`;
  await using writer = new DurableWriter({
    db,
    batchSize: 20,
    maxInFlight: 4,
    preserveOrder: true,
  });
  const events = Array.from({ length: 200 }, (_, index) => makeEvent(namespace, "a.b", { index }));
  for (const event of events) writer.enqueue(event);
  await writer.flush();
  const rows = await queueRows(db, queue);
  assert.deepEqual(rows.map((row) => row.message.event_id), events.map((e) => e.event_id));
  await dropQueues(db, queue);
});

dbTest("two writers creating the same queue at once both succeed, one queue", async (db) => {
  const namespace = freshNamespace();
  const queue = `${namespace}_domain_events`;
  await using first = new DurableWriter({ db: new RecordingDatabase(db) });
  await using second = new DurableWriter({ db: new RecordingDatabase(db) });
  await Promise.all([
    first.publish(makeEvent(namespace)),
    second.publish(makeEvent(namespace)),
    first.publish(makeEvent(namespace)),
    second.publish(makeEvent(namespace)),
  ]);
  const queues = await db.query<{ queue_name: string }>(
    "SELECT queue_name FROM pgmq.list_queues() WHERE queue_name LIKE $1::text ORDER BY 1",
    [`${namespace}%`],
  );
  assert.deepEqual(queues.map((row) => row.queue_name), [queue, `${queue}_dlq`]);
  assert.equal((await queueRows(db, queue)).length, 4);
  await dropQueues(db, queue);
});

dbTest("an invalid namespace or queue is rejected before any SQL runs", async (db) => {
  const recording = new RecordingDatabase(db);
  await using writer = new DurableWriter({ db: recording });
  assert.throws(() => writer.enqueue(makeEvent("Bad-Namespace")), InvalidNameError);
  assert.throws(() => writer.enqueue(makeEvent("x".repeat(30))), InvalidNameError);
  assert.throws(
    () => writer.enqueue(makeEvent("fine"), { queue: 'q"; DROP TABLE x; --' }),
    InvalidNameError,
  );
  assert.throws(() => writer.enqueue(makeEvent("fine", "NotAName")), InvalidNameError);
  await assert.rejects(writer.publish(makeEvent("bad ns")), InvalidNameError);
  const nul = makeEvent("fine");
  nul.payload.payload.note = "nul \u0000 here";
  assert.throws(() => writer.enqueue(nul), UnserializableEventError);
  const cyclic = makeEvent("fine");
  cyclic.payload.payload.self = cyclic;
  assert.throws(() => writer.enqueue(cyclic), UnserializableEventError);
  await writer.flush();
  assert.deepEqual(recording.statements, []);
  assert.equal(writer.stats().enqueued, 0);
});

dbTest(
  "a full buffer drops the newest and counts it; publish waits up to its deadline",
  async (db) => {
    const namespace = freshNamespace();
    const queue = `${namespace}_domain_events`;
    const recording = new RecordingDatabase(db);
    recording.failing = true;
    await using writer = new DurableWriter({
      db: recording,
      bufferLimit: 10,
      retryMinMs: 5,
      retryMaxMs: 20,
    });
    const accepted = Array.from(
      { length: 15 },
      (_, index) => makeEvent(namespace, "a.b", { index }),
    )
      .map((event) => writer.enqueue(event));
    assert.deepEqual(accepted, [...Array(10).fill(true), ...Array(5).fill(false)]);
    assert.equal(writer.stats().dropped, 5);
    assert.equal(writer.stats().buffer_depth, 10);

    await assert.rejects(
      writer.publish(makeEvent(namespace), { deadlineMs: 30 }),
      (error: unknown) => error instanceof WriterBufferFullError && error.limit === 10,
    );
    assert.equal(writer.stats().dropped, 6);
    // A publisher with a longer deadline gets in once the database is back.
    const waiting = writer.publish(makeEvent(namespace, "late.event"), { deadlineMs: 10_000 });
    recording.failing = false;
    const msgId = await waiting;
    await writer.flush();
    const rows = await queueRows(db, queue);
    assert.equal(rows.length, 11);
    assert.equal(rows.at(-1)!.msg_id, msgId);
    assert.equal(rows.at(-1)!.message.event_name, "late.event");
    assert.equal(writer.stats().buffer_depth, 0);
    await dropQueues(db, queue);
  },
);

dbTest("the onCommitted hook runs in the insert's transaction", async (db) => {
  const namespace = freshNamespace();
  const queue = `${namespace}_domain_events`;
  const marks = `marks_${namespace}`;
  await db.query(`CREATE TABLE ${marks} (event_id text, msg_id bigint)`);
  let calls = 0;
  await using writer = new DurableWriter({
    db,
    retryMinMs: 1,
    retryMaxMs: 5,
    onCommitted: async (committed, tx) => {
      calls++;
      for (const { event, msg_id } of committed) {
        await tx.query(`INSERT INTO ${marks} VALUES ($1::text, $2::bigint)`, [
          event.event_id,
          msg_id,
        ]);
      }
      if (calls === 1) throw new Error("hook fails once: the whole batch must roll back");
    },
  });
  const events = Array.from({ length: 5 }, (_, index) => makeEvent(namespace, "a.b", { index }));
  const ids = await Promise.all(events.map((event) => writer.publish(event)));
  const rows = await queueRows(db, queue);
  const marked = await db.query<{ event_id: string; msg_id: number }>(
    `SELECT event_id, msg_id FROM ${marks} ORDER BY msg_id`,
  );
  assert.equal(rows.length, 5, "the failed attempt left no queue rows");
  assert.deepEqual(
    marked.map((row) => [row.event_id, Number(row.msg_id)]),
    rows.map((row) => [row.message.event_id, row.msg_id]),
  );
  assert.deepEqual(ids, rows.map((row) => row.msg_id));
  assert.ok(writer.stats().failed_writes >= 1);
  await db.query(`DROP TABLE ${marks}`);
  await dropQueues(db, queue);
});

dbTest("close drains what is buffered and is idempotent", async (db) => {
  const namespace = freshNamespace();
  const queue = `${namespace}_domain_events`;
  const writer = new DurableWriter({ db, lingerMs: 60_000, batchSize: 1000 });
  for (let index = 0; index < 120; index++) writer.enqueue(makeEvent(namespace, "a.b", { index }));
  const report = await writer.close({ deadlineMs: 10_000 });
  assert.deepEqual(report, { drained: true, written: 120, unwritten: 0, in_doubt: 0 });
  assert.equal(await writer.close(), report);
  assert.equal((await queueRows(db, queue)).length, 120);
  assert.equal(writer.enqueue(makeEvent(namespace)), false);
  await assert.rejects(writer.publish(makeEvent(namespace)), WriterClosedError);
  await dropQueues(db, queue);
});

dbTest("close reports what it could not write when the database stays down", async (db) => {
  const namespace = freshNamespace();
  const recording = new RecordingDatabase(db);
  recording.failing = true;
  const writer = new DurableWriter({ db: recording, retryMinMs: 5, retryMaxMs: 10 });
  const pending = writer.publish(makeEvent(namespace));
  for (let index = 0; index < 4; index++) writer.enqueue(makeEvent(namespace));
  const flushed = writer.flush();
  const report = await writer.close({ deadlineMs: 50 });
  assert.equal(report.drained, false);
  assert.equal(report.unwritten + report.in_doubt, 5);
  await assert.rejects(pending, WriterClosedError);
  await assert.rejects(flushed, WriterClosedError);
  const stats = writer.stats();
  assert.equal(stats.written, 0);
  assert.ok(stats.failed_writes >= 1);
  assert.ok(stats.last_error?.includes("injected outage"));
});

Deno.test("DurableWriter.open owns its database and closes it", async () => {
  // DATABASE_URL (when set) picks the server, else embedded PGlite; the sanitizers fail this
  // test if close() leaves the pool or the PGlite instance open.
  const writer = await DurableWriter.open({ poolSize: 2 });
  const namespace = freshNamespace("own");
  const msgId = await writer.publish(makeEvent(namespace));
  assert.ok(msgId >= 1);
  const report = await writer.close();
  assert.equal(report.written, 1);
  assert.equal(report.drained, true);
  if (readEnv("DATABASE_URL") !== undefined) {
    await using db = await openDatabase({ poolSize: 1, migrate: false });
    await dropQueues(db, `${namespace}_domain_events`);
  }
});

dbTest(
  "an event the database refuses is isolated and rejected; the rest is written",
  async (db) => {
    const namespace = freshNamespace();
    const queue = `${namespace}_domain_events`;
    await using writer = new DurableWriter({ db, batchSize: 16, lingerMs: 50 });
    const good = Array.from({ length: 9 }, (_, index) => makeEvent(namespace, "a.b", { index }));
    const bad = makeEvent(namespace, "a.bad");
    // A lone surrogate: JSON.stringify escapes it, jsonb refuses it (SQLSTATE 22P02).
    bad.payload.payload.note = `lone ${String.fromCharCode(0xd800)} surrogate`;
    const published = [...good.slice(0, 4), bad, ...good.slice(4)].map((event) =>
      writer.publish(event)
    );
    const outcomes = await Promise.allSettled(published);
    const rejected = outcomes[4]!;
    assert.equal(rejected.status, "rejected");
    assert.ok(rejected.status === "rejected" && rejected.reason instanceof EventRejectedError);
    assert.equal(outcomes.filter((outcome) => outcome.status === "fulfilled").length, 9);
    const rows = await queueRows(db, queue);
    assert.deepEqual(
      rows.map((row) => row.message.event_id).sort(),
      good.map((event) => event.event_id).sort(),
    );
    const stats = writer.stats();
    assert.equal(stats.rejected, 1);
    assert.equal(stats.written, 9);
    assert.equal(stats.buffer_depth, 0);
    await dropQueues(db, queue);
  },
);
