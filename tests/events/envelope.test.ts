import assert from "node:assert/strict";
import {
  buildDomainEvent,
  type BuildDomainEventInput,
  DomainEventSchema,
  InvalidEventError,
  isRfc3339,
  parseDomainEvent,
} from "../../src/events/envelope.ts";
import { InvalidUuidError, uuidv7, uuidv7Timestamp } from "../../src/events/uuid.ts";
import { InvalidNameError } from "../../src/names.ts";

function input(overrides: Partial<BuildDomainEventInput> = {}): BuildDomainEventInput {
  return {
    event_name: "payment.processed",
    payload: { amount: 42.5, currency: "EUR", items: [{ sku: "a", qty: 2 }] },
    task_sequence_step: { task: { name: "process_payment" }, step: { name: "charge" } },
    execution_result: { success: true, result: { transaction_id: "tx-1" } },
    metadata: {
      task_uuid: crypto.randomUUID(),
      step_uuid: uuidv7(),
      step_name: "charge",
      namespace: "payments",
      correlation_id: "0193a3c4-0000-7000-8000-000000000042",
      fired_by: "payments.charge",
    },
    ...overrides,
  };
}

Deno.test("build → JSON round trip → parse yields an identical event", () => {
  const event = buildDomainEvent(input({
    metadata: { ...input().metadata, region: "eu", traceparent: "00-abc-def-01" },
  }));
  const parsed = parseDomainEvent(JSON.parse(JSON.stringify(event)));
  assert.deepEqual(parsed, event);
  assert.equal(parsed.metadata.region, "eu");
  assert.deepEqual(Object.keys(parsed).sort(), [
    "event_id",
    "event_name",
    "event_version",
    "metadata",
    "payload",
  ]);
});

Deno.test("build fills in a fresh UUIDv7 id, version 1.0 and fired_at now", () => {
  const before = Date.now();
  const event = buildDomainEvent(input());
  const after = Date.now();
  assert.equal(event.event_version, "1.0");
  assert.ok(uuidv7Timestamp(event.event_id) >= before);
  assert.ok(isRfc3339(event.metadata.fired_at));
  const firedAt = Date.parse(event.metadata.fired_at);
  assert.ok(firedAt >= before && firedAt <= after);
  assert.deepEqual(event.payload.payload, input().payload);
  assert.equal(event.metadata.fired_by, "payments.charge");
});

Deno.test("build keeps a given event_id and fired_at (ids are fixed at commit)", () => {
  const id = uuidv7();
  const event = buildDomainEvent(input({ event_id: id, fired_at: "2025-11-28T12:00:00.000Z" }));
  assert.equal(event.event_id, id);
  assert.equal(event.metadata.fired_at, "2025-11-28T12:00:00.000Z");
  const fromDate = buildDomainEvent(input({ fired_at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)) }));
  assert.equal(fromDate.metadata.fired_at, "2025-01-02T03:04:05.000Z");
});

Deno.test("extra metadata cannot replace the envelope's own metadata keys", () => {
  const base = input();
  const event = buildDomainEvent({
    ...base,
    fired_at: "2025-11-28T12:00:00.000Z",
    metadata: { ...base.metadata, note: "kept" },
  });
  const forged = buildDomainEvent({
    ...base,
    fired_at: "2025-11-28T12:00:00.000Z",
    metadata: { fired_at: "1999-01-01T00:00:00Z", ...base.metadata, note: "kept" },
  });
  assert.equal(forged.metadata.fired_at, "2025-11-28T12:00:00.000Z");
  assert.equal(forged.metadata.task_uuid, event.metadata.task_uuid);
  assert.equal(forged.metadata.note, "kept");
});

Deno.test("build rejects invalid event names and event ids", () => {
  for (
    const name of ["payment", "Payment.processed", "payment..processed", "payment.", "a.b-c", ""]
  ) {
    assert.throws(
      () => buildDomainEvent(input({ event_name: name })),
      (error: unknown) => error instanceof InvalidNameError && error.value === name,
      name,
    );
  }
  assert.throws(() => buildDomainEvent(input({ event_id: "42" })), InvalidUuidError);
});

Deno.test("parse lists every problem with its path", () => {
  const event = JSON.parse(JSON.stringify(buildDomainEvent(input())));
  event.event_name = "Payment";
  event.event_version = 2;
  delete event.payload.execution_result;
  event.metadata.fired_at = "2025-11-28T12:00:00";
  event.metadata.step_uuid = "step-1";
  event.metadata.correlation_id = "order-1001";
  event.metadata.namespace = "Has-Dashes";
  let caught: unknown;
  try {
    parseDomainEvent(event);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof InvalidEventError);
  const paths = caught.problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    "event_name",
    "event_version",
    "metadata.correlation_id",
    "metadata.fired_at",
    "metadata.namespace",
    "metadata.step_uuid",
    "payload.execution_result",
  ]);
  assert.match(caught.message, /metadata\.fired_at: expected an RFC 3339 date-time with an offset/);
  assert.match(caught.message, /metadata\.correlation_id: expected a UUID/);
  assert.ok(caught.message.includes(event.event_id), "the message names the event id");
  assert.equal(caught.code, "E_INVALID_EVENT");
});

Deno.test("parse is as lenient as tasker-core's readers", () => {
  const event = JSON.parse(JSON.stringify(buildDomainEvent(input())));
  event.event_version = "2.0";
  event.payload.payload = [1, 2];
  event.surprise = true;
  event.payload.extra = { any: "thing" };
  event.metadata.step_uuid = null;
  delete event.metadata.step_name;
  event.metadata.correlation_id = "0193A3C400007000800000000000002A"; // simple form, upper case
  const parsed = parseDomainEvent(event);
  assert.equal(parsed.event_version, "2.0");
  assert.deepEqual(parsed.payload.payload, [1, 2]);
  assert.equal((parsed as unknown as { surprise: boolean }).surprise, true, "unknown keys kept");
  assert.equal("step_uuid" in parsed.metadata, false, "a null step_uuid reads as absent");
  assert.equal("step_name" in parsed.metadata, false);
  event.metadata.step_name = null;
  event.payload.payload = "a string";
  assert.equal("step_name" in parseDomainEvent(event).metadata, false);
  event.payload.payload = null;
  assert.equal(parseDomainEvent(event).payload.payload, null);
});

Deno.test("parse rejects non-objects at the root", () => {
  for (const value of [null, "event", 42, []]) {
    assert.throws(
      () => parseDomainEvent(value),
      (error: unknown) =>
        error instanceof InvalidEventError && error.problems[0]?.path === "(root)",
    );
  }
});

Deno.test("parse accepts RFC 3339 offsets and fractions from other languages' producers", () => {
  const event = JSON.parse(JSON.stringify(buildDomainEvent(input())));
  for (
    const firedAt of [
      "2025-11-28T12:00:00Z",
      "2025-11-28T12:00:00.123456789+02:00",
      "2025-11-28 12:00:00.5-0130",
    ]
  ) {
    event.metadata.fired_at = firedAt;
    assert.equal(parseDomainEvent(event).metadata.fired_at, firedAt);
  }
  assert.equal(DomainEventSchema.safeParse(event).success, true);
});

Deno.test("isRfc3339 checks the format and the calendar", () => {
  assert.equal(isRfc3339(new Date().toISOString()), true);
  assert.equal(isRfc3339("2024-02-29T23:59:60Z"), true);
  assert.equal(isRfc3339("2025-02-29T00:00:00Z"), false);
  assert.equal(isRfc3339("2025-13-01T00:00:00Z"), false);
  assert.equal(isRfc3339("2025-11-28T24:00:00Z"), false);
  assert.equal(isRfc3339("2025-11-28T12:00:00"), false);
  assert.equal(isRfc3339("2025-11-28T12:00:00+25:00"), false);
  assert.equal(isRfc3339("2025-11-28"), false);
  assert.equal(isRfc3339(Date.now()), false);
});
