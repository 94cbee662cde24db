// The cross-language check: every domain event the domain-events example writes (a success, a
// retryable failure then success, a permanent failure, and an ad-hoc event from a handler) is
// read back from PGMQ and must be accepted by a Rust reader typed like tasker-core's (the small
// program in this directory, built with cargo), must fit the wire format's JSON Schema, and must
// carry each field where tasker-core puts it. A tasker-core listener must be woken for each.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { isUuid } from "../../src/events/uuid.ts";
import { eventView } from "../../src/events/view.ts";
import { wireSchemaFailures } from "../../src/events/wire_schema.ts";
import type { StepExecutionResult, TaskSequenceStep } from "../../src/events/wire_types.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import { FastEventCapture } from "../../src/testing/fast_capture.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { exampleTemplate, openTasker, parseTemplateIn } from "../worker/_engine.ts";
import { type LooseJson, taskerExampleEvent } from "./_fixture.ts";
import { cargoStatus, readAsTasker } from "./_rust.ts";

const cargo = await cargoStatus();
if (!cargo.ok) console.warn(`tests/compat: the Rust reader checks are skipped: ${cargo.reason}`);

const NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const CORRELATION = "0193f0c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f";

interface Notice {
  event_type: string;
  msg_id: number;
  queue_name: string;
  namespace: string;
  payload_omitted?: boolean;
}

interface Run {
  queue: string;
  durable: DomainEvent[];
  fast: DomainEvent[];
  notices: Notice[];
}

async function waitUntil(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs the domain-events example once and returns what it wrote, read back from PGMQ. */
async function runExample(db: Database, simulate?: "retryable" | "permanent"): Promise<Run> {
  const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "wire");
  const namespace = template.namespace_name;
  const queue = `${namespace}_domain_events`;
  const notices: Notice[] = [];
  const unlisten = await db.listen("pgmq_message_ready", (text) => {
    const notice = JSON.parse(text) as Notice;
    if (notice.queue_name === queue) notices.push(notice);
  });
  const tasker = await openTasker(db, [template]);
  const fast = new FastEventCapture(tasker.bus);
  try {
    const context: Record<string, unknown> = {
      order_id: "ORD-1",
      customer_id: "C-1",
      amount: 42.5,
      items: [{ sku: "A-1", quantity: 2 }],
    };
    if (simulate) context.simulate_failure = simulate;
    const task = await tasker.submit({
      namespace,
      name: template.name,
      context,
      correlation_id: CORRELATION,
      initiator: "compat-test",
      tags: ["checkout", "compat"],
      priority: 5,
    });
    await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    await tasker.flush();
    await tasker.bus.close({ deadlineMs: 5000 });
    const durable = (await new DurableEventCapture(db).events(namespace)).map((m) => m.event)
      .sort((a, b) => (a.event_id < b.event_id ? -1 : 1));
    await waitUntil(() => notices.length >= durable.length, "one notification per message");
    return { queue, durable, fast: [...fast.events], notices };
  } finally {
    await fast.close();
    await tasker.close();
    await unlisten();
  }
}

/** An event a handler publishes itself (`ctx.publishDomainEvent`), read back from PGMQ. */
async function runAdHoc(db: Database): Promise<DomainEvent[]> {
  const namespace = uniqueName("adhoc");
  const template = parseTemplateIn(
    `name: noting
namespace_name: x
version: 1.0.0
steps:
  - name: note
    handler: { callable: compat.note, initialization: { channel: audit } }
`,
    namespace,
  );
  const handlers = new HandlerRegistry().register("compat.note", (ctx) => {
    ctx.publishDomainEvent("order.noted", { note: "gift wrap" });
    return success({ noted: true });
  });
  const tasker = await openTasker(db, [template], { handlers });
  try {
    const task = await tasker.submit({ namespace, name: "noting", context: {} });
    await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    await tasker.flush();
    return (await new DurableEventCapture(db).events(namespace)).map((m) => m.event);
  } finally {
    await tasker.close();
  }
}

function tss(event: DomainEvent): TaskSequenceStep {
  return event.payload.task_sequence_step as unknown as TaskSequenceStep;
}

function result(event: DomainEvent): StepExecutionResult {
  return event.payload.execution_result as unknown as StepExecutionResult;
}

async function assertReadAsTasker(events: DomainEvent[]): Promise<void> {
  for (const event of events) {
    assert.deepEqual(wireSchemaFailures(event), [], `${event.event_name} fits the JSON Schema`);
  }
  if (!cargo.ok) return;
  const verdict = await readAsTasker(events);
  assert.equal(verdict.checked, events.length);
  assert.deepEqual(verdict.rejected, [], "the Rust reader accepts every event");
}

function assertRows(event: DomainEvent): void {
  const { task, workflow_step: step } = tss(event);
  assert.equal(task.task.task_uuid, event.metadata.task_uuid);
  assert.equal(task.task.correlation_id, event.metadata.correlation_id);
  assert.equal(task.namespace_name, event.metadata.namespace);
  assert.equal(task.task_name, "domain_event_publishing");
  assert.equal(task.task_version, "1.0.0");
  for (const at of [task.task.requested_at, task.task.created_at, task.task.updated_at]) {
    assert.match(at, NAIVE, "task row timestamps carry no offset");
  }
  assert.match(task.task.identity_hash, /^[0-9a-f]{16}$/);
  assert.ok(isUuid(task.task.named_task_uuid));
  assert.equal(step.workflow_step_uuid, event.metadata.step_uuid);
  assert.equal(step.name, event.metadata.step_name);
  assert.equal(step.template_step_name, step.name);
  assert.match(step.created_at, NAIVE);
  assert.match(step.last_attempted_at!, NAIVE);
  assert.equal(step.in_process, true);
  assert.equal(tss(event).step_definition.name, step.name);
}

dbTest("the example's events on success read as tasker-core reads them", async (db) => {
  const run = await runExample(db);
  const names = run.durable.map((e) => e.event_name);
  assert.deepEqual(names, ["payment.processed", "inventory.updated", "notification.sent"]);
  await assertReadAsTasker([...run.durable, ...run.fast]);
  for (const event of run.durable) assertRows(event);

  const processed = run.durable[0]!;
  const onBus = run.fast.find((e) => e.event_name === "payment.processed")!;
  assert.deepEqual(onBus, processed, "the fast path delivers the same object");
  assert.equal(processed.event_version, "1.0");
  assert.equal(processed.metadata.correlation_id, CORRELATION);
  const row = tss(processed).task.task;
  assert.deepEqual(row.tags, ["checkout", "compat"]);
  assert.equal(row.priority, 5);
  assert.equal(row.initiator, "compat-test");
  assert.equal(row.complete, false);
  assert.equal((row.context as { order_id: string }).order_id, "ORD-1");
  assert.equal(tss(processed).workflow_step.attempts, 1);
  assert.equal(tss(processed).workflow_step.max_attempts, 3);

  const deps = tss(processed).dependency_results;
  assert.deepEqual(Object.keys(deps), ["validate_order"], "ancestors only");
  assert.equal(deps.validate_order!.status, "completed");
  assert.equal((deps.validate_order!.result as { order_id: string }).order_id, "ORD-1");
  assert.ok(isUuid(deps.validate_order!.step_uuid));
  assert.deepEqual(
    Object.keys(tss(run.durable[2]!).dependency_results).sort(),
    ["process_payment", "update_inventory", "validate_order"],
    "transitive ancestors",
  );

  const definition = tss(processed).step_definition;
  assert.equal(definition.handler.callable, "domain_events.process_payment");
  assert.deepEqual(definition.dependencies, ["validate_order"]);
  assert.equal(definition.publishes_events[0]!.publisher, "PaymentEventPublisher");
  assert.equal(
    (definition.publishes_events[0]!.schema as { type: string }).type,
    "object",
    "the declared schema as written",
  );

  const executed = result(processed);
  assert.equal(executed.step_uuid, processed.metadata.step_uuid);
  assert.equal(executed.status, "completed");
  assert.equal(executed.error, null);
  assert.deepEqual(executed.metadata.custom, { payment_provider: "example_gateway" });
  assert.ok(executed.metadata.execution_time_ms >= 0);
  assert.deepEqual(executed.orchestration_metadata, {
    headers: {},
    error_context: null,
    backoff_hint: null,
    custom: {},
  });

  const view = eventView(processed);
  assert.equal(view.taskName, "domain_event_publishing");
  assert.equal(view.handlerMetadata.payment_provider, "example_gateway");
  assert.equal(view.dependencyResult<{ amount: number }>("validate_order")?.amount, 42.5);
  assert.equal(view.task?.priority, 5);

  // tasker-core's listeners wake on pgmq_message_ready(.default): one notice per message.
  assert.equal(run.notices.length, run.durable.length);
  for (const notice of run.notices) {
    assert.equal(notice.namespace, "default");
    assert.equal(notice.event_type, "message_ready");
    assert.equal(notice.payload_omitted, true, "the listener reads the message by msg_id");
  }
  const ids = await db.query<{ msg_id: number }>(
    `SELECT msg_id FROM pgmq."q_${run.queue}" ORDER BY msg_id`,
  );
  assert.deepEqual(
    run.notices.map((n) => Number(n.msg_id)).sort((a, b) => a - b),
    ids.map((row) => Number(row.msg_id)),
    "one notice per message, naming its msg_id",
  );
});

dbTest("the example's events on a retryable failure read as tasker-core reads them", async (db) => {
  const run = await runExample(db, "retryable");
  const retrying = run.fast.find((e) => e.event_name === "payment.failed.retryable")!;
  await assertReadAsTasker([...run.durable, ...run.fast]);
  const executed = result(retrying);
  assert.equal(executed.success, false);
  assert.equal(executed.status, "failed");
  assert.equal(executed.metadata.error_code, "GATEWAY_TIMEOUT");
  assert.equal(executed.metadata.error_type, "PaymentGatewayError");
  assert.equal(executed.error?.retryable, true);
  const processed = run.durable.find((e) => e.event_name === "payment.processed")!;
  assert.equal(tss(processed).workflow_step.attempts, 2, "the row as of the second attempt");
});

dbTest("a permanent failure's events read as tasker-core reads them", async (db) => {
  const run = await runExample(db, "permanent");
  assert.deepEqual(run.durable.map((e) => e.event_name), ["payment.failed.permanent"]);
  await assertReadAsTasker([...run.durable, ...run.fast]);
  const failed = run.durable[0]!;
  assertRows(failed);
  const executed = result(failed);
  assert.equal(executed.success, false);
  assert.equal(executed.status, "failed");
  assert.deepEqual(executed.result, {});
  assert.deepEqual(executed.error, {
    message: "the card was declined (simulated)",
    error_type: "PaymentError",
    backtrace: null,
    retryable: false,
  });
  assert.equal(executed.metadata.error_code, "PAYMENT_DECLINED");
  assert.equal(executed.metadata.retryable, false);
  assert.deepEqual(executed.metadata.custom, { attempt: 1, payment_provider: "example_gateway" });
  const view = eventView(failed);
  assert.equal(view.errorCode, "PAYMENT_DECLINED");
  assert.equal(view.success, false);
});

dbTest("an ad-hoc event from a handler reads as tasker-core reads it", async (db) => {
  const events = await runAdHoc(db);
  assert.deepEqual(events.map((e) => e.event_name), ["order.noted"]);
  await assertReadAsTasker(events);
  const step = tss(events[0]!);
  assert.equal(step.step_definition.handler.callable, "compat.note");
  assert.deepEqual(step.workflow_step.inputs, { channel: "audit" });
  assert.equal(result(events[0]!).status, "in_progress");
  assert.equal(events[0]!.metadata.fired_by, "publishDomainEvent");
});

Deno.test({
  name: "the Rust reader rejects what tasker-core rejects",
  ignore: !cargo.ok,
  async fn() {
    const good = taskerExampleEvent();
    const variants: [string, (e: LooseJson) => void][] = [
      ["a Z on a NaiveDateTime", (e) => e.payload.task_sequence_step.task.task.created_at += "Z"],
      ["a non-UUID correlation id", (e) => e.metadata.correlation_id = "order-1001"],
      ["no task_sequence_step.task", (e) => delete e.payload.task_sequence_step.task],
      [
        "an empty orchestration_metadata",
        (e) => e.payload.execution_result.orchestration_metadata = {},
      ],
      ["a float priority", (e) => e.payload.task_sequence_step.task.task.priority = 2.5],
      ["an error without retryable", (e) => e.payload.execution_result.error = { message: "x" }],
    ];
    const events = [
      good,
      ...variants.map(([, change]) => {
        const copy = structuredClone(good);
        change(copy);
        return copy;
      }),
    ];
    for (const [index, event] of events.entries()) {
      assert.equal(
        wireSchemaFailures(event).length === 0,
        index === 0,
        `JSON Schema on ${index === 0 ? "the good event" : variants[index - 1]![0]}`,
      );
    }
    const verdict = await readAsTasker(events);
    assert.deepEqual(
      verdict.rejected.map((r) => r.index),
      variants.map((_, i) => i + 1),
      JSON.stringify(verdict.rejected),
    );
    const lenient = structuredClone(good);
    lenient.metadata.step_uuid = null;
    delete lenient.metadata.step_name;
    lenient.payload.payload = [1, 2];
    lenient.payload.execution_result = {};
    lenient.surprise = { unknown: true };
    assert.deepEqual((await readAsTasker([lenient])).rejected, []);
    assert.deepEqual(wireSchemaFailures(lenient), []);
  },
});
