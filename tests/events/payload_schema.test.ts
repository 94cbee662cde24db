import assert from "node:assert/strict";
import { checkEventPayload, validateEventPayload } from "../../src/events/payload_schema.ts";
import { compileJsonSchema, SchemaValidationError } from "../../src/json_schema.ts";

const declaration = {
  name: "payment.processed",
  schema: compileJsonSchema(
    {
      type: "object",
      required: ["amount", "currency"],
      properties: {
        amount: { type: "number", minimum: 0 },
        currency: { type: "string", enum: ["EUR", "USD"] },
        items: { type: "array", items: { type: "object", required: ["sku"] } },
      },
    },
    "steps[0].publishes_events[0].schema",
  ),
};

Deno.test("a valid payload passes", () => {
  validateEventPayload(declaration, { amount: 10, currency: "EUR", items: [{ sku: "a" }] });
  assert.deepEqual(checkEventPayload(declaration, { amount: 0, currency: "USD" }), []);
});

Deno.test("failures carry JSON pointers and the error names the event", () => {
  let caught: unknown;
  try {
    validateEventPayload(declaration, { amount: "ten", items: [{}] });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SchemaValidationError);
  const pointers = caught.failures.map((f) => f.pointer).sort();
  assert.deepEqual(pointers, ["/amount", "/currency", "/items/0/sku"]);
  assert.match(caught.message, /^payload of payment\.processed failed its schema: /);
  assert.match(caught.message, /\/amount must be number/);
});

Deno.test("checkEventPayload returns the failures instead of throwing", () => {
  const failures = checkEventPayload(declaration, { amount: -1, currency: "GBP" });
  assert.deepEqual(failures.map((f) => [f.pointer, f.keyword]).sort(), [
    ["/amount", "minimum"],
    ["/currency", "enum"],
  ]);
});

Deno.test("a declaration without a schema accepts any payload", () => {
  const bare = { name: "payment.processed" };
  validateEventPayload(bare, { anything: true });
  assert.deepEqual(checkEventPayload(bare, "not even an object"), []);
});
