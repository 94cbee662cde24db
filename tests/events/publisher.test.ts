import assert from "node:assert/strict";
import {
  applyPublisher,
  defaultPublisher,
  definePublisher,
  InvalidPublisherError,
  type PublisherApplication,
  PublisherError,
  runAfterPublish,
  runBeforePublish,
  runPublishError,
} from "../../src/events/publisher.ts";
import { buildDomainEvent } from "../../src/events/envelope.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { stepContext } from "./_context.ts";

function published(applied: PublisherApplication) {
  assert.equal(applied.skip, false, `expected a publish, got ${JSON.stringify(applied)}`);
  return applied as Extract<PublisherApplication, { skip: false }>;
}

function errorOf(applied: PublisherApplication): PublisherError {
  assert.equal(applied.skip, true);
  const error = (applied as { error?: PublisherError }).error;
  assert.ok(error instanceof PublisherError, "expected a PublisherError");
  return error;
}

const event: DomainEvent = buildDomainEvent({
  event_name: "payment.processed",
  payload: {},
  task_sequence_step: {},
  execution_result: {},
  metadata: {
    task_uuid: crypto.randomUUID(),
    step_uuid: crypto.randomUUID(),
    step_name: "charge",
    namespace: "payments",
    correlation_id: "0193a3c4-0000-7000-8000-000000000007",
    fired_by: "payments",
  },
});

Deno.test("a custom publisher's pure transforms shape the payload and metadata", () => {
  const payments = definePublisher({
    name: "payments",
    transformPayload: (ctx) => {
      const r = ctx.result.result as { id: string; cents: number };
      return { transaction_id: r.id, amount: r.cents / 100, order_id: ctx.task.context.order_id };
    },
    additionalMetadata: (ctx) => ({ attempt: ctx.step.attempts, publisher_type: "custom" }),
  });
  const applied = published(
    applyPublisher(payments, stepContext({ success: true, result: { id: "tx-1", cents: 1250 } })),
  );
  assert.deepEqual(applied.payload, { transaction_id: "tx-1", amount: 12.5, order_id: 7 });
  assert.deepEqual(applied.extraMetadata, { attempt: 1, publisher_type: "custom" });
  assert.equal(applied.firedBy, "payments");
});

Deno.test("shouldPublish false skips the event without an error", () => {
  let transformed = false;
  const picky = definePublisher({
    name: "picky",
    shouldPublish: (ctx) => (ctx.result.result as { id?: string }).id !== undefined,
    transformPayload: () => {
      transformed = true;
      return {};
    },
  });
  const applied = applyPublisher(picky, stepContext({ success: true, result: {} }));
  assert.deepEqual(applied, { skip: true });
  assert.equal(transformed, false, "no transform runs for a skipped event");
});

Deno.test("a throwing transform becomes a PublisherError and reaches onPublishError", () => {
  const seen: [string, unknown][] = [];
  const broken = definePublisher({
    name: "broken",
    transformPayload: () => {
      throw new RangeError("no amount");
    },
    onPublishError: (eventName, error) => seen.push([eventName, error]),
  });
  const error = errorOf(applyPublisher(broken, stepContext({ success: true, result: {} })));
  assert.equal(error.stage, "transformPayload");
  assert.equal(error.publisher, "broken");
  assert.equal(error.eventName, "payment.processed");
  assert.ok(error.cause instanceof RangeError);
  assert.match(error.message, /"broken" failed in transformPayload for event payment\.processed/);
  assert.match(error.message, /RangeError: no amount/);
  assert.deepEqual(seen, [["payment.processed", error]]);
});

Deno.test("throws in shouldPublish and additionalMetadata, and wrong return types, are errors", () => {
  const ctx = stepContext({ success: true, result: {} });
  const cases: [Parameters<typeof definePublisher>[0], string][] = [
    [{
      name: "a",
      shouldPublish: () => {
        throw new Error("x");
      },
    }, "shouldPublish"],
    [{ name: "b", shouldPublish: (() => undefined) as unknown as () => boolean }, "shouldPublish"],
    [{ name: "c", transformPayload: (() => [1]) as unknown as () => { n: 1 } }, "transformPayload"],
    [
      { name: "d", transformPayload: (() => null) as unknown as () => { n: 1 } },
      "transformPayload",
    ],
    [{
      name: "e",
      additionalMetadata: () => {
        throw "a string";
      },
    }, "additionalMetadata"],
    [
      { name: "f", additionalMetadata: (() => 5) as unknown as () => { n: 1 } },
      "additionalMetadata",
    ],
  ];
  for (const [definition, stage] of cases) {
    const error = errorOf(applyPublisher(definePublisher(definition), ctx));
    assert.equal(error.stage, stage, definition.name);
    assert.equal(error.code, "E_PUBLISHER");
  }
});

Deno.test("a throwing onPublishError hook does not escape", () => {
  const loud = definePublisher({
    name: "loud",
    transformPayload: () => {
      throw new Error("bad");
    },
    onPublishError: () => {
      throw new Error("hook also bad");
    },
  });
  const applied = applyPublisher(loud, stepContext({ success: true }));
  assert.equal(errorOf(applied).stage, "transformPayload");
});

Deno.test("the default publisher passes an object result through and wraps other values", () => {
  const object = published(
    applyPublisher(defaultPublisher, stepContext({ success: true, result: { a: 1 } })),
  );
  assert.deepEqual(object.payload, { a: 1 });
  assert.deepEqual(object.extraMetadata, {});
  assert.equal(object.firedBy, "payments.charge", "fired_by is the handler callable");
  const scalar = published(
    applyPublisher(defaultPublisher, stepContext({ success: true, result: 42 })),
  );
  assert.deepEqual(scalar.payload, { result: 42 });
  const list = published(
    applyPublisher(defaultPublisher, stepContext({ success: true, result: [1] })),
  );
  assert.deepEqual(list.payload, { result: [1] });
  const none = published(applyPublisher(defaultPublisher, stepContext({ success: true })));
  assert.deepEqual(none.payload, {});
});

Deno.test("the default publisher describes a failure by its error", () => {
  const full = published(applyPublisher(
    defaultPublisher,
    stepContext({
      success: false,
      error: { message: "card declined", error_type: "payment", error_code: "DECLINED" },
    }, { name: "payment.failed", condition: "failure" }),
  ));
  assert.deepEqual(full.payload, {
    error_message: "card declined",
    error_type: "payment",
    error_code: "DECLINED",
  });
  const bare = published(
    applyPublisher(defaultPublisher, stepContext({ success: false, error: { message: "boom" } })),
  );
  assert.deepEqual(bare.payload, { error_message: "boom" });
});

Deno.test("definePublisher fills defaults, freezes, and rejects bad definitions", () => {
  const minimal = definePublisher({ name: "minimal" });
  assert.ok(Object.isFrozen(minimal));
  assert.throws(() => {
    (minimal as { name: string }).name = "other";
  }, TypeError);
  const ctx = stepContext({ success: true, result: { a: 1 } });
  assert.equal(minimal.shouldPublish(ctx), true);
  assert.deepEqual(minimal.transformPayload(ctx), { a: 1 });
  assert.deepEqual(minimal.additionalMetadata(ctx), {});
  assert.equal(published(applyPublisher(minimal, ctx)).firedBy, "minimal");
  assert.throws(() => definePublisher({ name: "" }), InvalidPublisherError);
  assert.throws(
    () => definePublisher({ name: "x", transformPayload: "no" as unknown as () => { a: 1 } }),
    (error: unknown) =>
      error instanceof InvalidPublisherError &&
      /transformPayload must be a function/.test(error.message),
  );
});

Deno.test("hooks observe: beforePublish false skips, throws never escape", () => {
  const routes: string[] = [];
  const errors: unknown[] = [];
  const observer = definePublisher({
    name: "observer",
    beforePublish: (e) => e.event_name !== "payment.processed",
    afterPublish: (_e, route) => {
      routes.push(route);
      throw new Error("after failed");
    },
    onPublishError: (_name, error) => errors.push(error),
  });
  assert.equal(runBeforePublish(observer, event), false);
  assert.equal(runBeforePublish(defaultPublisher, event), true);
  runAfterPublish(observer, event, "broadcast");
  assert.deepEqual(routes, ["broadcast"]);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof PublisherError && errors[0].stage === "afterPublish");

  const throwingBefore = definePublisher({
    name: "throwing_before",
    beforePublish: () => {
      throw new Error("before failed");
    },
    onPublishError: (_name, error) => errors.push(error),
  });
  assert.equal(runBeforePublish(throwingBefore, event), true, "a broken observer does not veto");
  assert.ok(errors[1] instanceof PublisherError && errors[1].stage === "beforePublish");

  const throwingOnError = definePublisher({
    name: "throwing_on_error",
    onPublishError: () => {
      throw new Error("hook failed");
    },
  });
  runPublishError(throwingOnError, "payment.processed", new Error("route failed"), event);
});
