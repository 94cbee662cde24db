// OpenTelemetry: traceparent helpers, the off switch (nothing imported, nothing attached), and,
// with in-memory providers, the spans of a traced step, the traceparent its events carry, a
// consumer continuing the trace, and the metrics.
import assert from "node:assert/strict";
import * as api from "npm:@opentelemetry/api@1.10.0";
import { buildDomainEvent } from "../../src/events/envelope.ts";
import type { Publisher } from "../../src/events/publisher.ts";
import type { DeliveryMode, DomainEvent } from "../../src/events/types.ts";
import {
  eventTraceparent,
  formatTraceparent,
  OtelInstrumentation,
  parseTraceparent,
} from "../../src/observe/otel.ts";
import type { RecordedOutcome } from "../../src/worker/step_outcomes.ts";
import type { ClaimedStep } from "../../src/worker/step_store.ts";
import type { OutcomeListener } from "../../src/worker/worker.ts";
import type { Tasker } from "../../src/tasker.ts";
import { bindTaskerEngine, type TaskerEngine } from "../../src/tasker_engine.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import { uniqueName, withPglite } from "../_db.ts";
import { AlsContextManager, RecordingMeter, RecordingTracer } from "./_otel_recorders.ts";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Deno.test("traceparent values are parsed and formatted by the W3C rules", () => {
  assert.deepEqual(parseTraceparent(VALID), {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    flags: 1,
  });
  assert.equal(parseTraceparent(`01-${VALID.slice(3)}-extra`)?.flags, 1, "future versions");
  for (
    const bad of [
      `${VALID}-extra`, // version 00 has exactly four fields
      `ff-${VALID.slice(3)}`,
      VALID.toUpperCase(),
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`,
      "00-4bf92f35-00f067aa0ba902b7-01",
      42,
      undefined,
    ]
  ) assert.equal(parseTraceparent(bad), undefined, String(bad));
  assert.equal(
    formatTraceparent({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" }),
    VALID,
  );
  assert.equal(
    formatTraceparent({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      flags: 0,
    }),
    VALID.slice(0, -2) + "00",
  );
  assert.throws(() => formatTraceparent({ traceId: "x", spanId: "00f067aa0ba902b7" }), TypeError);
});

Deno.test("an event's trace comes from its metadata, else from the PGMQ header", () => {
  const event = makeEvent("order.placed", { traceparent: VALID });
  assert.equal(eventTraceparent(event)?.spanId, "00f067aa0ba902b7");
  const bare = makeEvent("order.placed");
  const header = `00-${"a".repeat(32)}-${"b".repeat(16)}-01`;
  assert.equal(eventTraceparent(bare, { traceparent: header })?.traceId, "a".repeat(32));
  assert.equal(eventTraceparent(bare, { traceparent: "junk" }), undefined);
});

Deno.test("with telemetry off nothing is attached and consumers run untouched", async () => {
  const { tasker, listeners } = fakeTasker();
  const otel = await OtelInstrumentation.create({ enabled: false });
  assert.equal(otel.enabled, false);
  assert.equal(otel.stepTracer, undefined, "the worker gets no hook: no per-step work");
  otel.attach(tasker);
  assert.equal(listeners.size, 0, "no outcome listener when off");
  assert.equal(otel.traceConsumer(makeEvent("a.b"), () => 7), 7);
  await otel.close();
});

Deno.test({
  name: "with OTEL_DENO unset the OpenTelemetry package is never imported",
  ignore: Deno.permissions.querySync({ name: "run", command: "deno" }).state !== "granted",
  async fn() {
    // `--no-npm` makes any npm import fail: the off path must run, the on path must not.
    const otelUrl = new URL("../../src/observe/otel.ts", import.meta.url).href;
    const script = `
      import { instrument } from ${JSON.stringify(otelUrl)};
      const worker = { onOutcome() { throw new Error("attached while off"); } };
      const otel = await instrument({ worker });
      console.log(otel.enabled ? "on" : "off");
      await otel.close();`;
    const run = async (env: Record<string, string>) => {
      const output = await new Deno.Command("deno", {
        args: ["run", "--no-npm", "--no-config", "--allow-env=OTEL_DENO", "-"],
        env: { ...env, NO_COLOR: "1" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = output.stdin.getWriter();
      await writer.write(new TextEncoder().encode(script));
      await writer.close();
      const result = await output.output();
      return {
        code: result.code,
        stdout: new TextDecoder().decode(result.stdout).trim(),
        stderr: new TextDecoder().decode(result.stderr),
      };
    };
    const off = await run({ OTEL_DENO: "" }); // empty reads as unset
    assert.equal(off.stdout, "off", off.stderr);
    assert.equal(off.code, 0, off.stderr);
    const on = await run({ OTEL_DENO: "true" });
    assert.notEqual(on.code, 0, "turning it on does import the npm package");
    assert.match(on.stderr, /--no-npm/);
  },
});

Deno.test("a traced step: task, step and publish spans; events carry the step's context", async () => {
  const contexts = new AlsContextManager();
  api.context.setGlobalContextManager(contexts);
  try {
    const tracer = new RecordingTracer();
    const meter = new RecordingMeter();
    const otel = await OtelInstrumentation.create({
      enabled: true,
      tracerProvider: { getTracer: () => tracer as unknown as api.Tracer },
      meterProvider: { getMeter: () => meter as unknown as api.Meter },
    });
    assert.ok(otel.enabled && otel.stepTracer);
    const taskUuid = crypto.randomUUID();
    const claim = claimOf(taskUuid, "charge");
    const trace = otel.stepTracer.startStep(claim);
    const parent = parseTraceparent(trace.eventMetadata.traceparent);
    assert.ok(parent, "the step's events get a valid traceparent");
    assert.deepEqual(otel.stepTracer.metadataFor(claim.step.step_uuid), trace.eventMetadata);

    const activeInside = await trace.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return api.trace.getActiveSpan()?.spanContext().spanId;
    });
    assert.equal(activeInside, parent.spanId, "the handler runs inside the step span");

    const fired = makeEvent("payment.charged", { ...trace.eventMetadata });
    trace.end(
      outcomeOf("complete", "complete", [[fired, "broadcast"], [makeEvent("a.b"), "fast"]]),
    );
    trace.end(null); // only the first end counts
    assert.equal(otel.stepTracer.metadataFor(claim.step.step_uuid), undefined);

    const [task, step, publish, fast] = tracer.spans;
    assert.equal(tracer.spans.length, 4);
    assert.equal(task!.name, `task demo.pay`);
    assert.equal(task!.parentSpanId, undefined, "the task span is a root");
    assert.equal(task!.attributes["tasker.task.state"], "complete");
    assert.equal(step!.name, "step charge");
    assert.equal(step!.parentSpanId, task!.context.spanId);
    assert.equal(step!.context.spanId, parent.spanId);
    assert.equal(step!.context.traceId, parent.traceId);
    assert.equal(publish!.name, "publish payment.charged");
    assert.equal(publish!.kind, api.SpanKind.PRODUCER);
    assert.equal(publish!.parentSpanId, step!.context.spanId);
    assert.equal(publish!.attributes["messaging.destination.name"], "demo_domain_events");
    assert.equal(fast!.attributes["messaging.destination.name"], "bus");
    assert.ok(tracer.spans.every((s) => s.ended), "every span ended");
    assert.equal(meter.recorded("tasker.step.duration").length, 1);

    // A consumer continues the trace from the event's metadata.
    const handled = await otel.traceConsumer(fired, async () => {
      await Promise.resolve();
      return api.trace.getActiveSpan()?.spanContext().traceId;
    });
    const consumer = tracer.spans.at(-1)!;
    assert.equal(handled, parent.traceId);
    assert.equal(consumer.name, "process payment.charged");
    assert.equal(consumer.kind, api.SpanKind.CONSUMER);
    assert.equal(consumer.parentSpanId, parent.spanId);
    assert.ok(consumer.ended);
    assert.throws(() =>
      otel.traceConsumer(fired, () => {
        throw new Error("boom");
      }), /boom/);
    assert.equal(tracer.spans.at(-1)!.status?.code, api.SpanStatusCode.ERROR);

    // A failed attempt and a lost claim are errors; close() ends what is still open.
    const retry = otel.stepTracer.startStep(claimOf(taskUuid + "", "refund"));
    retry.end(outcomeOf("waiting_for_retry", "in_progress", []));
    assert.equal(tracer.spans.at(-1)!.status?.code, api.SpanStatusCode.ERROR);
    const lost = otel.stepTracer.startStep(claimOf(crypto.randomUUID(), "ship"));
    lost.end(null, new Error("db down"));
    assert.equal(tracer.spans.at(-1)!.attributes["tasker.step.state"], "abandoned");
    assert.equal(tracer.spans.at(-1)!.status?.message, "db down");
    const open = otel.stepTracer.startStep(claimOf(crypto.randomUUID(), "pack"));
    await otel.close();
    assert.ok(tracer.spans.every((s) => s.ended), "close() ends open task and step spans");
    open.end(null);
  } finally {
    api.context.disable();
  }
});

Deno.test("metrics: outcome counters and observed gauges, detached on close", async () => {
  const meter = new RecordingMeter();
  const otel = await OtelInstrumentation.create({
    enabled: true,
    tracerProvider: { getTracer: () => new RecordingTracer() as unknown as api.Tracer },
    meterProvider: { getMeter: () => meter as unknown as api.Meter },
  });
  const { tasker, listeners } = fakeTasker();
  otel.attach(tasker);
  assert.equal(listeners.size, 1);
  for (const listener of listeners) {
    listener(
      claimOf(crypto.randomUUID(), "charge"),
      outcomeOf("complete", "complete", [[makeEvent("payment.charged"), "durable"]]),
      { handler_ms: 12.5 },
    );
  }
  assert.deepEqual(meter.recorded("tasker.step.attempts"), [
    [1, { "tasker.namespace": "demo", "tasker.step.state": "complete" }],
  ]);
  assert.deepEqual(meter.recorded("tasker.step.handler_duration"), [
    [12.5, { "tasker.namespace": "demo", "tasker.step.state": "complete" }],
  ]);
  assert.deepEqual(meter.recorded("tasker.tasks.finished"), [
    [1, { "tasker.namespace": "demo", "tasker.task.state": "complete" }],
  ]);
  assert.deepEqual(meter.recorded("tasker.events.fired"), [
    [1, { "tasker.event.name": "payment.charged", "tasker.delivery_mode": "durable" }],
  ]);
  const observed = meter.collect();
  assert.equal(observed.get("tasker.writer.buffer_depth"), 3);
  assert.equal(observed.get("tasker.actor.mailbox_depth"), 2);
  assert.equal(observed.get("tasker.bus.dropped"), 5);
  await otel.close();
  assert.equal(listeners.size, 0, "close() removes the outcome listener");
  assert.equal(meter.callbacks.size, 0, "and the observable callback");
});

Deno.test("the step's trace travels through PGMQ and a durable consumer continues it", async () => {
  const contexts = new AlsContextManager();
  api.context.setGlobalContextManager(contexts);
  try {
    const tracer = new RecordingTracer();
    await using otel = await OtelInstrumentation.create({
      enabled: true,
      tracerProvider: { getTracer: () => tracer as unknown as api.Tracer },
      meterProvider: { getMeter: () => new RecordingMeter() as unknown as api.Meter },
    });
    const trace = otel.stepTracer!.startStep(claimOf(crypto.randomUUID(), "charge"));
    const stepSpanId = parseTraceparent(trace.eventMetadata.traceparent)!.spanId;
    await withPglite(async (db) => {
      const namespace = uniqueName("otel");
      // What the pipeline does with the hook: the attempt's metadata goes into the envelope.
      const event = makeEvent("payment.charged", { ...trace.eventMetadata }, namespace);
      await using writer = new DurableWriter({ db });
      await writer.publish(event);
      const [message] = await new DurableEventCapture(db).events(namespace);
      assert.equal(message!.headers.traceparent, trace.eventMetadata.traceparent);

      // A consumer that only sees the header (an external producer's message) continues too.
      const { traceparent: _, ...bare } = message!.event.metadata;
      const fromHeader = { ...message!.event, metadata: { ...bare } } as DomainEvent;
      otel.traceConsumer(fromHeader, () => {}, message!.headers);
      assert.equal(tracer.spans.at(-1)!.parentSpanId, stepSpanId);
    });
    trace.end(null);
  } finally {
    api.context.disable();
  }
});

// ---- fixtures -------------------------------------------------------------------------------

function makeEvent(
  name: string,
  extra: Record<string, string> = {},
  namespace = "demo",
): DomainEvent {
  return buildDomainEvent({
    event_name: name,
    payload: {},
    task_sequence_step: {},
    execution_result: { success: true },
    metadata: {
      ...extra,
      task_uuid: crypto.randomUUID(),
      step_uuid: crypto.randomUUID(),
      step_name: "charge",
      namespace,
      correlation_id: "c-1",
      fired_by: "test",
    },
  });
}

function claimOf(taskUuid: string, step: string): ClaimedStep {
  return {
    source: { queue: "q", msg_id: 1, message: { task_uuid: taskUuid, step_uuid: "s" } },
    task: {
      task_uuid: taskUuid,
      namespace: "demo",
      name: "pay",
      version: "1.0.0",
      context: {},
      correlation_id: "c-1",
    },
    task_state: "in_progress",
    step: {
      step_uuid: crypto.randomUUID(),
      name: step,
      attempts: 1,
      max_attempts: 3,
      retryable: true,
      handler_callable: `demo.${step}`,
    },
    completed_results: {},
  };
}

function outcomeOf(
  state: RecordedOutcome["state"],
  taskState: RecordedOutcome["task_state"],
  events: [DomainEvent, DeliveryMode][],
): RecordedOutcome {
  const publisher = { name: "default" } as unknown as Publisher;
  return {
    state,
    task_state: taskState,
    enqueued: [],
    events: events.map(([event, delivery_mode]) => ({ event, delivery_mode, publisher })),
  };
}

function fakeTasker(): { tasker: Tasker; listeners: Set<OutcomeListener> } {
  const listeners = new Set<OutcomeListener>();
  const tasker = {
    bus: {
      stats: () => ({ dropped: 5 }),
      system: { stats: () => ({ perActor: [{ name: "a", mailboxDepth: 2 }] }) },
    },
  };
  // The instrumentation reads the worker and writer from the Tasker's (private) engine.
  bindTaskerEngine(tasker, {
    worker: {
      onOutcome: (listener: OutcomeListener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      stats: () => ({ in_progress: 1 }),
    },
    writer: { stats: () => ({ buffer_depth: 3, latency_p99_ms: 4, written: 10, dropped: 0 }) },
  } as unknown as TaskerEngine);
  return { tasker: tasker as unknown as Tasker, listeners };
}
