import assert from "node:assert/strict";
import {
  createLoggingSubscriber,
  formatEventLogLine,
  LoggingSubscriber,
} from "../../actors/logging.ts";
import { EventBus } from "../../src/bus/event_bus.ts";
import { subscribe } from "../../src/bus/subscriber.ts";
import { makeEvent, until } from "../bus/_helpers.ts";

Deno.test("the logging subscriber writes one structured JSON line per event", async () => {
  const lines: string[] = [];
  await using bus = new EventBus();
  subscribe(bus, createLoggingSubscriber({ patterns: ["payment.#"], sink: (l) => lines.push(l) }));
  const event = makeEvent("payment.processed", { seq: 42 });
  bus.publish(event);
  bus.publish(makeEvent("order.created"));
  bus.publish(makeEvent("payment.card.failed", { seq: 43 }));
  await until(() => lines.length === 2, "two lines");
  assert.equal(lines[0]!.includes("\n"), false);
  assert.deepEqual(JSON.parse(lines[0]!), {
    event_name: "payment.processed",
    event_id: event.event_id,
    task_uuid: event.metadata.task_uuid,
    step_name: "charge_card",
    namespace: "payments",
    correlation_id: "corr-1",
    fired_at: "2025-01-02T03:04:05.678Z",
  });
  assert.equal(JSON.parse(lines[1]!).event_name, "payment.card.failed");
  assert.equal(lines[0], formatEventLogLine(event));
  // The business payload is not logged.
  assert.equal(lines[0]!.includes("amount"), false);
});

Deno.test("LoggingSubscriber defaults to every event and console.log", async () => {
  const logging = new LoggingSubscriber();
  assert.deepEqual(logging.patterns, ["*"]);
  const original = console.log;
  const printed: unknown[] = [];
  console.log = (...args: unknown[]) => void printed.push(args[0]);
  try {
    await using bus = new EventBus();
    subscribe(bus, LoggingSubscriber);
    bus.publish(makeEvent("any.thing"));
    await until(() => printed.length === 1, "one printed line");
  } finally {
    console.log = original;
  }
  assert.equal(JSON.parse(printed[0] as string).event_name, "any.thing");
});
