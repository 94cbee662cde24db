// A step's durable and broadcast events are written into PGMQ in the transaction that records
// its outcome (the default, durableEventWrites "with_outcome"): when the task is complete they
// are already in the queue, nothing is owed, the history rows keep no envelope copy, and a
// broadcast event reaches the bus once with the same event_id.
import assert from "node:assert/strict";
import { FastEventCapture } from "../../src/testing/fast_capture.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { success } from "../../src/worker/step_handler.ts";
import { Tasker } from "../../src/tasker.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { WorkerConfigError } from "../../src/worker/worker_errors.ts";
import { domainEventsQueue } from "../../src/names.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "./_engine.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const yaml = `
name: fires
namespace_name: x
version: 1.0.0
steps:
  - name: emit
    handler: { callable: test.emit }
    publishes_events:
      - name: audit.recorded
        delivery_mode: durable
      - name: audit.broadcast
        delivery_mode: broadcast
      - name: audit.fast
        delivery_mode: fast
`;

const handlers = () =>
  new HandlerRegistry().register("test.emit", () => success({ ok: true, n: 7 }));

dbTest("durable events are in PGMQ when the step commits, nothing owed", async (db) => {
  const template = parseTemplateIn(yaml, uniqueName("wo"));
  const namespace = template.namespace_name;
  const tasker = await openTasker(db, [template], { handlers: handlers() });
  const fast = new FastEventCapture(tasker.bus);
  try {
    const task = await tasker.submit({ namespace, name: "fires", context: {} });
    assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
    // No flush: the events committed with the outcome, before waitFor saw the task complete.
    const queued = await new DurableEventCapture(db).events(namespace);
    assert.deepEqual(queued.map((m) => m.event.event_name).sort(), [
      "audit.broadcast",
      "audit.recorded",
    ]);
    const rows = await db.query<
      {
        event_id: string;
        event_name: string;
        sent: boolean;
        envelope: unknown;
        msg_id: string | null;
        step_name: string;
      }
    >(
      `SELECT event_id::text AS event_id, event_name, sent_at IS NOT NULL AS sent, envelope,
              msg_id::text AS msg_id, step_name
         FROM tasker.step_events WHERE task_uuid = $1::uuid ORDER BY event_name`,
      [task.task_uuid],
    );
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.equal(row.sent, true, `${row.event_name} is not owed`);
      assert.equal(row.envelope, null, `${row.event_name}: no envelope copy in the history`);
      assert.equal(row.step_name, "emit");
    }
    const byName = new Map(rows.map((r) => [r.event_name, r]));
    const byMsg = new Map(queued.map((m) => [String(m.msg_id), m.event.event_id]));
    for (const name of ["audit.recorded", "audit.broadcast"]) {
      const row = byName.get(name)!;
      assert.equal(byMsg.get(row.msg_id!), row.event_id, `${name}: its row names its message`);
    }
    assert.equal(byName.get("audit.fast")!.msg_id, null);
    await tasker.bus.close({ deadlineMs: 5000 });
    const broadcast = fast.events.filter((e) => e.event_name === "audit.broadcast");
    assert.equal(broadcast.length, 1, "the broadcast event reached the bus once");
    assert.equal(broadcast[0]!.event_id, byName.get("audit.broadcast")!.event_id);
    assert.equal(taskerEngine(tasker).writer.stats().written, 2, "counted by the writer");
    const status = await tasker.status(task.task_uuid);
    assert.deepEqual(
      status.events.map((e) => [e.event_name, e.step_name, e.sent]).sort(),
      [["audit.broadcast", "emit", true], ["audit.fast", "emit", true], [
        "audit.recorded",
        "emit",
        true,
      ]],
    );
  } finally {
    await fast.close();
    await tasker.close();
  }
});

dbTest(
  "an events queue dropped while the worker runs is created again; the step stands",
  async (db) => {
    const template = parseTemplateIn(yaml, uniqueName("wd"));
    const namespace = template.namespace_name;
    const tasker = await openTasker(db, [template], { handlers: handlers() });
    try {
      const first = await tasker.submit({ namespace, name: "fires", context: {} });
      assert.equal(
        (await tasker.waitFor(first.task_uuid, { timeoutMs: 20_000 })).status,
        "complete",
      );
      await db.query("SELECT pgmq.drop_queue($1::text)", [domainEventsQueue(namespace)]);
      const second = await tasker.submit({ namespace, name: "fires", context: {} });
      const status = await tasker.waitFor(second.task_uuid, { timeoutMs: 20_000 });
      assert.equal(status.status, "complete");
      assert.equal(status.steps.emit!.state, "complete");
      const queued = await new DurableEventCapture(db).events(namespace);
      assert.equal(queued.length, 2, "the second task's two events are in the new queue");
    } finally {
      await tasker.close();
    }
  },
);

Deno.test("durableEventWrites takes only its two values", async () => {
  await assert.rejects(
    () =>
      Tasker.open({
        templates: new TemplateRegistry(),
        database: { embedded: true },
        // @ts-expect-error: the typo a user makes
        durableEventWrites: "after-commit",
      }),
    (error: unknown) =>
      error instanceof WorkerConfigError && /durableEventWrites/.test(error.message) &&
      /after-commit/.test(error.message),
  );
});

dbTest("a namespace whose steps declare no durable event gets no events queue", async (db) => {
  const template = parseTemplateIn(
    `
name: quiet
namespace_name: x
version: 1.0.0
steps:
  - name: emit
    handler: { callable: test.emit }
    publishes_events:
      - name: audit.fast
        delivery_mode: fast
`,
    uniqueName("wq"),
  );
  const tasker = await openTasker(db, [template], { handlers: handlers() });
  try {
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: "quiet",
      context: {},
    });
    assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pgmq.meta WHERE queue_name = $1",
      [domainEventsQueue(template.namespace_name)],
    );
    assert.equal(rows[0]!.n, 0);
  } finally {
    await tasker.close();
  }
});
