import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { CaptureError, FastEventCapture } from "../../src/testing/fast_capture.ts";
import { makeEvent } from "../bus/_helpers.ts";

Deno.test("FastEventCapture records matching events and answers questions about them", async () => {
  await using bus = new EventBus();
  await using capture = new FastEventCapture(bus, { pattern: ["payment.#", "order.*"] });
  bus.publish(makeEvent("payment.processed"));
  bus.publish(makeEvent("user.created"));
  bus.publish(makeEvent("order.created"));
  bus.publish(makeEvent("payment.card.failed"));
  const events = await capture.waitFor(3, { timeoutMs: 1000 });
  assert.equal(events.length, 3);
  assert.equal(capture.count, 3);
  assert.deepEqual(capture.eventNames(), [
    "payment.processed",
    "order.created",
    "payment.card.failed",
  ]);
  assert.deepEqual(capture.matching("#.failed").map((e) => e.event_name), ["payment.card.failed"]);
  assert.equal(capture.assertCaptured("order.created").event_name, "order.created");
  assert.throws(
    () => capture.assertCaptured("user.created"),
    (error: unknown) =>
      error instanceof CaptureError &&
      error.message.includes('"user.created"') &&
      error.message.includes("captured 3: [payment.processed, order.created, payment.card.failed]"),
  );
  capture.events.pop(); // a copy: the capture is unaffected
  assert.equal(capture.count, 3);
  capture.clear();
  assert.equal(capture.count, 0);
  assert.equal(capture.dropped, 0);
});

Deno.test("waitFor rejects with a clear error on timeout and clears its timer", async () => {
  await using bus = new EventBus();
  await using capture = new FastEventCapture(bus, { pattern: "order.*" });
  bus.publish(makeEvent("order.created"));
  await assert.rejects(
    capture.waitFor(2, { timeoutMs: 10 }),
    (error: unknown) =>
      error instanceof CaptureError &&
      /timed out after 10 ms waiting for 2 event/.test(error.message) &&
      error.message.includes("captured 1: [order.created]"),
  );
});

Deno.test("a pending waitFor resolves when events arrive later, and close rejects waiters", async () => {
  await using bus = new EventBus();
  const capture = new FastEventCapture(bus);
  const waiting = capture.waitFor(2, { timeoutMs: 2000 });
  bus.publish(makeEvent("a.b"));
  bus.publish(makeEvent("c.d"));
  assert.deepEqual((await waiting).map((e) => e.event_name), ["a.b", "c.d"]);
  const never = capture.waitFor(5, { timeoutMs: 2000 });
  await capture.close();
  await assert.rejects(never, /capture closed while waiting; captured 2/);
  await capture.close();
  await assert.rejects(capture.waitFor(9), /capture closed/);
  assert.equal(bus.publish(makeEvent("a.b")).matched, 0);
});
