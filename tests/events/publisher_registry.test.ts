import assert from "node:assert/strict";
import { defaultPublisher, definePublisher } from "../../src/events/publisher.ts";
import { DuplicatePublisherError, PublisherRegistry } from "../../src/events/publisher_registry.ts";

function captureWarnings<T>(fn: () => T): { value: T; warnings: string[] } {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    return { value: fn(), warnings };
  } finally {
    console.warn = original;
  }
}

Deno.test("register rejects a duplicate name, naming it", () => {
  const registry = new PublisherRegistry([definePublisher({ name: "payments" })]);
  assert.throws(
    () => registry.register(definePublisher({ name: "payments" })),
    (error: unknown) =>
      error instanceof DuplicatePublisherError && error.publisher === "payments" &&
      error.message.includes('"payments"'),
  );
  assert.throws(
    () => registry.register(definePublisher({ name: "default" })),
    DuplicatePublisherError,
  );
});

Deno.test("get, has and names see registered publishers and the default one", () => {
  const payments = definePublisher({ name: "payments" });
  const registry = new PublisherRegistry().register(payments).register(
    definePublisher({ name: "audit" }),
  );
  assert.equal(registry.get("payments"), payments);
  assert.equal(registry.get("default"), defaultPublisher);
  assert.equal(registry.get("shipping"), undefined);
  assert.equal(registry.has("audit"), true);
  assert.equal(registry.has("shipping"), false);
  assert.deepEqual(registry.names(), ["audit", "default", "payments"]);
});

Deno.test("validateRequired returns every missing name, sorted and unique", () => {
  const registry = new PublisherRegistry([definePublisher({ name: "payments" })]);
  assert.deepEqual(
    registry.validateRequired(["shipping", "payments", "audit", "shipping", "default"]),
    [
      "audit",
      "shipping",
    ],
  );
  assert.deepEqual(registry.validateRequired(["payments"]), []);
  assert.deepEqual(registry.validateRequired(new Set<string>()), []);
});

Deno.test("resolve finds registered publishers and uses the default when none is named", () => {
  const payments = definePublisher({ name: "payments" });
  const registry = new PublisherRegistry([payments]);
  assert.deepEqual(registry.resolve("payments"), { publisher: payments, fellBack: false });
  assert.deepEqual(registry.resolve(undefined), { publisher: defaultPublisher, fellBack: false });
  assert.deepEqual(registry.stats(), { unknownPublisherFallbacks: {} });
});

Deno.test("an unknown name falls back to the default, counted per name, warned once per name", () => {
  const registry = new PublisherRegistry();
  const { value, warnings } = captureWarnings(() => {
    const results = [
      registry.resolve("payments"),
      registry.resolve("payments"),
      registry.resolve("shipping"),
      registry.resolve("payments"),
    ];
    return results;
  });
  for (const resolution of value) {
    assert.equal(resolution.publisher, defaultPublisher);
    assert.equal(resolution.fellBack, true);
  }
  assert.deepEqual(registry.stats(), { unknownPublisherFallbacks: { payments: 3, shipping: 1 } });
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /"payments" is not registered/);
  assert.match(warnings[1]!, /"shipping" is not registered/);
});

Deno.test("stats is a snapshot, not a live view", () => {
  const registry = new PublisherRegistry();
  const { value: before } = captureWarnings(() => {
    registry.resolve("ghost");
    return registry.stats();
  });
  captureWarnings(() => registry.resolve("ghost"));
  assert.deepEqual(before.unknownPublisherFallbacks, { ghost: 1 });
  assert.deepEqual(registry.stats().unknownPublisherFallbacks, { ghost: 2 });
});
