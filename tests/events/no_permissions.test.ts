// The event model is on the fast path, which must run with zero Deno permissions.
import assert from "node:assert/strict";
import {
  applyPublisher,
  buildDomainEvent,
  definePublisher,
  parseDomainEvent,
  PublisherRegistry,
  shouldPublish,
  stepRetryability,
  uuidv7,
  validateEventPayload,
} from "../../src/events/mod.ts";
import { compileJsonSchema, SchemaValidationError } from "../../src/json_schema.ts";
import { stepContext } from "./_context.ts";

Deno.test({
  name: "an event is built, validated and parsed with no permissions at all",
  permissions: "none",
  fn() {
    assert.equal(Deno.permissions.querySync({ name: "read" }).state, "prompt");
    assert.equal(Deno.permissions.querySync({ name: "env" }).state, "prompt");
    const schema = compileJsonSchema(
      { type: "object", required: ["amount"], properties: { amount: { type: "number" } } },
      "payment.processed",
    );
    const declaration = {
      name: "payment.processed",
      condition: "success" as const,
      delivery_mode: "broadcast" as const,
      publisher: "payments",
      schema,
    };
    const registry = new PublisherRegistry([
      definePublisher({
        name: "payments",
        transformPayload: (ctx) => ({
          amount: (ctx.result.result as { cents: number }).cents / 100,
        }),
      }),
    ]);
    const ctx = stepContext({ success: true, result: { cents: 990 } }, declaration);
    const retryable = stepRetryability(ctx.step);
    assert.equal(shouldPublish(declaration.condition, { succeeded: true, retryable }), true);
    const applied = applyPublisher(registry.resolve(declaration.publisher).publisher, ctx);
    assert.equal(applied.skip, false);
    if (applied.skip) return;
    validateEventPayload(declaration, applied.payload);
    assert.throws(() => validateEventPayload(declaration, { amount: "x" }), SchemaValidationError);
    const event = buildDomainEvent({
      event_name: declaration.name,
      event_id: uuidv7(),
      payload: applied.payload,
      task_sequence_step: { step_name: ctx.step.name },
      execution_result: { success: true, result: { cents: 990 } },
      metadata: {
        task_uuid: ctx.task.task_uuid,
        step_uuid: ctx.step.step_uuid,
        step_name: ctx.step.name,
        namespace: ctx.task.namespace,
        correlation_id: ctx.task.correlation_id,
        fired_by: applied.firedBy,
        ...applied.extraMetadata,
      },
    });
    assert.deepEqual(parseDomainEvent(JSON.parse(JSON.stringify(event))), event);
    assert.deepEqual(event.payload.payload, { amount: 9.9 });
  },
});
