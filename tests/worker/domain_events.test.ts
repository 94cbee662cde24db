// Which domain events fire, on which path, for the seed-001 workflow: success, a retryable
// failure then success on retry, and a permanent failure. Broadcast events carry one event_id
// on both paths; durable ones are in the namespace's PGMQ queue and no longer owed.
import assert from "node:assert/strict";
import { FastEventCapture } from "../../src/testing/fast_capture.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import type { Database } from "../../src/durable/db/database.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "./_engine.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

async function runPayments(db: Database, simulate?: "retryable" | "permanent") {
  const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "pay");
  const namespace = template.namespace_name;
  const tasker = await openTasker(db, [template]);
  const fast = new FastEventCapture(tasker.bus);
  try {
    const context: Record<string, unknown> = {
      order_id: "ORD-1",
      customer_id: "C-1",
      amount: 42.5,
    };
    if (simulate) context.simulate_failure = simulate;
    const task = await tasker.submit({ namespace, name: template.name, context });
    const status = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    await tasker.flush();
    await tasker.bus.close({ deadlineMs: 5000 });
    const durable = new DurableEventCapture(db);
    // Batches of one queue may commit out of order on a server (several in flight); event ids
    // are UUIDv7, so sorting by them restores firing order, as a consumer would.
    const queued = (await durable.events(namespace))
      .sort((a, b) => (a.event.event_id < b.event.event_id ? -1 : 1));
    const owed = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasker.step_events WHERE task_uuid = $1::uuid AND sent_at IS NULL",
      [task.task_uuid],
    );
    return {
      status,
      namespace,
      fast: fast.events,
      durable: queued,
      owed: owed[0]!.n,
      router: taskerEngine(tasker).worker.routerStats(),
    };
  } finally {
    await fast.close();
    await tasker.close();
  }
}

const names = (events: { event_name: string }[]) => events.map((e) => e.event_name);

dbTest("domain events on success: fast, durable and broadcast", async (db) => {
  const run = await runPayments(db);
  assert.equal(run.status.status, "complete");
  assert.deepEqual(names(run.fast), ["order.validated", "payment.processed", "notification.sent"]);
  assert.deepEqual(names(run.durable.map((m) => m.event)), [
    "payment.processed",
    "inventory.updated",
    "notification.sent",
  ]);
  for (const name of ["payment.processed", "notification.sent"]) {
    const onBus = run.fast.find((e) => e.event_name === name)!;
    const inQueue = run.durable.find((m) => m.event.event_name === name)!;
    assert.equal(onBus.event_id, inQueue.event.event_id, `${name}: one event_id on both paths`);
    assert.deepEqual(inQueue.event, onBus, `${name}: the same envelope on both paths`);
    assert.equal(inQueue.headers["x-event-name"], name);
  }
  const processed = run.durable[0]!.event;
  assert.equal(processed.metadata.namespace, run.namespace);
  assert.equal(processed.metadata.fired_by, "PaymentEventPublisher");
  assert.equal(processed.metadata.payment_provider !== undefined, true);
  assert.equal(processed.payload.payload.amount, 42.5);
  assert.equal(run.owed, 0, "every durable event is marked sent");
  assert.equal(run.router.broadcast_routed, 2);
  assert.equal(run.router.schema_rejections, 0);
});

dbTest("domain events on a retryable failure, then success on retry", async (db) => {
  const run = await runPayments(db, "retryable");
  assert.equal(run.status.status, "complete");
  assert.equal(run.status.steps.process_payment!.attempts, 2);
  assert.deepEqual(names(run.fast), [
    "order.validated",
    "payment.failed.retryable",
    "payment.processed",
    "notification.sent",
  ]);
  const retryable = run.fast[1]!;
  assert.equal(retryable.payload.execution_result.success, false);
  assert.deepEqual(names(run.durable.map((m) => m.event)), [
    "payment.processed",
    "inventory.updated",
    "notification.sent",
  ]);
  assert.equal(run.owed, 0);
});

dbTest("domain events on a permanent failure", async (db) => {
  const run = await runPayments(db, "permanent");
  assert.equal(run.status.status, "error");
  assert.equal(run.status.steps.process_payment!.attempts, 1);
  assert.deepEqual(names(run.fast), ["order.validated"]);
  assert.deepEqual(names(run.durable.map((m) => m.event)), ["payment.failed.permanent"]);
  const permanent = run.durable[0]!.event;
  assert.equal(permanent.payload.execution_result.success, false);
  assert.equal(typeof permanent.payload.payload.error_code, "string");
  assert.equal(run.owed, 0);
});
