// The builders of Tasker's wire shape (task_sequence_step, execution_result), the typed event
// view, and the lenient consumer envelope, without a database.
import assert from "node:assert/strict";
import { parseEnvelope } from "../../src/durable/consumer/envelope.ts";
import { buildDomainEvent } from "../../src/events/envelope.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { isUuid } from "../../src/events/uuid.ts";
import { eventView } from "../../src/events/view.ts";
import {
  buildExecutionResult,
  buildTaskSequenceStep,
  derivedUuid,
  identityHash,
  naiveTimestamp,
  wireStepDefinition,
} from "../../src/events/wire.ts";
import { wireSchemaFailures } from "../../src/events/wire_schema.ts";
import { parseTemplate } from "../../src/template/load.ts";

const task = {
  task_uuid: "0193a3c4-1111-7000-8000-000000000001",
  namespace: "payments",
  name: "checkout",
  version: "1.0.0",
  context: { order_id: "A-1", lines: [{ sku: "x" }] },
  correlation_id: "0193a3c4-0000-7000-8000-0000000000c1",
};
const step = {
  step_uuid: "0193a3c4-2222-7000-8000-000000000002",
  name: "charge",
  attempts: 2,
  max_attempts: 3,
  retryable: true,
  handler_callable: "payments.charge",
};

Deno.test("naive timestamps carry no offset; derived ids are stable UUIDs", () => {
  assert.equal(
    naiveTimestamp(new Date(Date.UTC(2026, 2, 22, 9, 15, 3, 201))),
    "2026-03-22T09:15:03.201",
  );
  const a = derivedUuid("named_task", "payments", "checkout", "1.0.0");
  assert.equal(a, derivedUuid("named_task", "payments", "checkout", "1.0.0"));
  assert.notEqual(a, derivedUuid("named_task", "payments", "checkout", "1.0.1"));
  assert.ok(isUuid(a));
  assert.equal(a[14], "8", "version 8 (custom)");
  assert.match(a[19]!, /[89ab]/, "RFC 9562 variant");
});

Deno.test("the identity hash ignores key order and changes with the context", () => {
  const reordered = { ...task, context: { lines: [{ sku: "x" }], order_id: "A-1" } };
  assert.equal(identityHash(task), identityHash(reordered));
  assert.notEqual(identityHash(task), identityHash({ ...task, context: { order_id: "A-2" } }));
  assert.match(identityHash(task), /^[0-9a-f]{16}$/);
});

Deno.test("a success: result as returned, handler metadata under custom, status completed", () => {
  const started = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0));
  const completed = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 184));
  const wire = buildExecutionResult({
    step_uuid: step.step_uuid,
    result: { success: true, result: [1, 2], metadata: { provider: "stripe" } },
    started_at: started,
    completed_at: completed,
    worker_id: "w-1",
  });
  assert.deepEqual(wire, {
    step_uuid: step.step_uuid,
    success: true,
    result: [1, 2],
    metadata: {
      execution_time_ms: 184,
      handler_version: null,
      retryable: false,
      completed_at: "2026-01-01T00:00:00.184Z",
      worker_id: "w-1",
      worker_hostname: null,
      started_at: "2026-01-01T00:00:00.000Z",
      custom: { provider: "stripe" },
      error_code: null,
      error_type: null,
      context: {},
    },
    status: "completed",
    error: null,
    orchestration_metadata: { headers: {}, error_context: null, backoff_hint: null, custom: {} },
  });
});

Deno.test("a failure: code and type in metadata, type and retryable in error, result {}", () => {
  const wire = buildExecutionResult({
    step_uuid: step.step_uuid,
    result: {
      success: false,
      error: {
        message: "declined",
        error_type: "PaymentError",
        error_code: "DECLINED",
        retryable: false,
      },
      metadata: { attempt: 2 },
    },
  });
  assert.equal(wire.status, "failed");
  assert.deepEqual(wire.result, {});
  assert.deepEqual(wire.error, {
    message: "declined",
    error_type: "PaymentError",
    backtrace: null,
    retryable: false,
  });
  assert.equal(wire.metadata.error_code, "DECLINED");
  assert.equal(wire.metadata.error_type, "PaymentError");
  assert.deepEqual(wire.metadata.custom, { attempt: 2 });
  assert.equal("error_code" in wire.error!, false, "Tasker's error has no error_code");
});

Deno.test("the step definition is the template's, with Tasker's defaults written out", () => {
  const template = parseTemplate(`name: checkout
namespace_name: payments
version: 1.0.0
steps:
  - name: validate
    handler: { callable: payments.validate }
  - name: charge
    description: Charge the card
    handler: { callable: payments.charge, initialization: { gateway: eu } }
    dependencies: [validate]
    timeout_seconds: 30
    publishes_events:
      - name: payment.charged
        description: The card was charged
        schema: { type: object }
`);
  const definition = wireStepDefinition(template.steps[1]!);
  assert.equal(definition.name, "charge");
  assert.equal(definition.description, "Charge the card");
  assert.deepEqual(definition.handler.initialization, { gateway: "eu" });
  assert.equal(definition.type, "standard");
  assert.deepEqual(definition.dependencies, ["validate"]);
  assert.equal(definition.timeout_seconds, 30);
  assert.equal(definition.retry.max_attempts, 3);
  assert.deepEqual(definition.publishes_events[0], {
    name: "payment.charged",
    description: "The card was charged",
    condition: "success",
    schema: { type: "object" },
    delivery_mode: "durable",
    publisher: null,
  });
  const tss = buildTaskSequenceStep({
    task,
    step,
    definition: template.steps[1]!,
    dependencies: {
      validate: {
        step_uuid: "0193a3c4-3333-7000-8000-000000000003",
        result: { ok: true },
        started_at: "2026-01-01T00:00:00.000000Z",
        completed_at: "2026-01-01T00:00:00.012000Z",
      },
    },
    now: new Date(Date.UTC(2026, 0, 1)),
  });
  assert.deepEqual(tss.workflow_step.inputs, { gateway: "eu" });
  assert.equal(tss.dependency_results.validate!.metadata.execution_time_ms, 12);
  assert.equal(tss.task.task.requested_at, "2026-01-01T00:00:00.000", "defaults to now, naive");
  assert.deepEqual(tss.task.task.tags, []);
});

function event(): DomainEvent {
  return buildDomainEvent({
    event_name: "payment.charged",
    payload: { id: "ch_1" },
    task_sequence_step: buildTaskSequenceStep({ task, step }),
    execution_result: buildExecutionResult({
      step_uuid: step.step_uuid,
      result: { success: true, result: { id: "ch_1" }, metadata: { provider: "stripe" } },
    }),
    metadata: {
      task_uuid: task.task_uuid,
      step_uuid: step.step_uuid,
      step_name: step.name,
      namespace: task.namespace,
      correlation_id: task.correlation_id,
      fired_by: "payments.charge",
    },
  });
}

Deno.test("the builders' output fits the wire format's JSON Schema", () => {
  assert.deepEqual(wireSchemaFailures(event()), []);
  const bad = structuredClone(event()) as unknown as {
    payload: { task_sequence_step: { task: { task: { created_at: string } } } };
  };
  bad.payload.task_sequence_step.task.task.created_at = new Date().toISOString();
  assert.deepEqual(
    wireSchemaFailures(bad).map((f) => f.pointer),
    ["/payload/task_sequence_step/task/task/created_at"],
    "a trailing Z on a row timestamp is what Rust rejects",
  );
});

Deno.test("eventView reads the nesting flat and typed", () => {
  const built = event();
  const view = eventView(built);
  assert.equal(view.taskName, "checkout");
  assert.equal(view.taskVersion, "1.0.0");
  assert.equal(view.task?.correlation_id, task.correlation_id);
  assert.deepEqual(view.taskContext, task.context);
  assert.equal(view.workflowStep?.attempts, 2);
  assert.equal(view.stepDefinition?.handler.callable, "payments.charge");
  assert.equal(view.success, true);
  assert.deepEqual(view.result, { id: "ch_1" });
  assert.deepEqual(view.handlerMetadata, { provider: "stripe" });
  assert.deepEqual(view.payload, { id: "ch_1" });
  assert.ok(view.taskSequenceStep);
  assert.equal(view.firedAt.toISOString(), built.metadata.fired_at);
  assert.equal(view.stepUuid, step.step_uuid);
});

Deno.test("eventView of a foreign event lacking parts reads them as undefined", () => {
  const foreign = {
    event_id: "0193a3c4-4444-7000-8000-000000000004",
    event_name: "order.placed",
    event_version: "1.0",
    payload: { task_sequence_step: {}, execution_result: {}, payload: [1] },
    metadata: {
      task_uuid: task.task_uuid,
      namespace: "orders",
      correlation_id: task.correlation_id,
      fired_at: "2026-01-01T00:00:00Z",
      fired_by: "x",
    },
  } as unknown as DomainEvent;
  const view = eventView(foreign);
  assert.equal(view.stepUuid, undefined);
  assert.equal(view.task, undefined);
  assert.equal(view.taskSequenceStep, undefined);
  assert.deepEqual(view.dependencyResults, {});
  assert.equal(view.success, false);
  assert.equal(view.errorCode, undefined);
  assert.deepEqual(view.payload, [1]);
  assert.equal(view.dependencyResult("anything"), undefined);
});

Deno.test("the consumer's envelope check accepts a null or missing step", () => {
  const message = JSON.parse(JSON.stringify(event()));
  message.metadata.step_uuid = null;
  delete message.metadata.step_name;
  message.payload.payload = "any JSON";
  const parsed = parseEnvelope(message);
  assert.equal(parsed.ok, true);
  if (!parsed.ok) return;
  assert.equal("step_uuid" in parsed.event.metadata, false, "null reads as absent");
  message.metadata.step_name = 7;
  assert.deepEqual(parseEnvelope(message), {
    ok: false,
    error: "metadata.step_name is a number, expected a string",
  });
});

Deno.test("workflow_step.checkpoint is the step's saved CheckpointRecord, null without one", () => {
  const checkpoint = {
    cursor: 50,
    items_processed: 50,
    timestamp: "2026-01-01T00:00:01.000Z",
    accumulated_results: { running_total: 1275 },
    history: [
      { cursor: 25, timestamp: "2026-01-01T00:00:00.500Z" },
      { cursor: 50, timestamp: "2026-01-01T00:00:01.000Z" },
    ],
  };
  const saved = buildTaskSequenceStep({ task, step: { ...step, checkpoint } });
  assert.deepEqual(saved.workflow_step.checkpoint, checkpoint);
  assert.equal(buildTaskSequenceStep({ task, step }).workflow_step.checkpoint, null);
  const built = buildDomainEvent({
    event_name: "payment.charged",
    payload: {},
    task_sequence_step: saved,
    execution_result: buildExecutionResult({
      step_uuid: step.step_uuid,
      result: { success: true },
    }),
    metadata: {
      task_uuid: task.task_uuid,
      step_uuid: step.step_uuid,
      step_name: step.name,
      namespace: task.namespace,
      correlation_id: task.correlation_id,
      fired_by: "payments.charge",
    },
  });
  assert.deepEqual(wireSchemaFailures(built), []);
});
