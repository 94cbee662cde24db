import assert from "node:assert/strict";
import { parseTemplate } from "../../src/template/mod.ts";
import { issueAt, issuesOf, oneStep } from "./_helpers.ts";

const FULL = `
name: checkout
namespace_name: shop
version: 2.1.0
description: Checkout flow
metadata: { team: payments, tags: [a, b] }
input_schema:
  type: object
  required: [order_id]
  properties: { order_id: { type: string } }
steps:
  - name: validate
    description: Validate the order
    handler:
      callable: shop.validate
      initialization: { strict: true }
  - name: charge
    handler: { callable: shop.charge }
    dependencies: [validate]
    timeout_seconds: 2.5
    retry:
      retryable: false
      max_attempts: 7
      backoff: fibonacci
      backoff_base_ms: 20
      max_backoff_ms: 500
    publishes_events:
      - name: payment.processed
        description: Charged
        condition: permanent_failure
        delivery_mode: broadcast
        publisher: PaymentEventPublisher
        schema: { type: object, required: [amount], properties: { amount: { type: number } } }
`;

Deno.test("parseTemplate reads every field", () => {
  const template = parseTemplate(FULL, { file: "shop.yaml" });
  assert.equal(template.name, "checkout");
  assert.equal(template.namespace_name, "shop");
  assert.equal(template.version, "2.1.0");
  assert.equal(template.description, "Checkout flow");
  assert.deepEqual(template.metadata, { team: "payments", tags: ["a", "b"] });
  assert.equal(template.source, "shop.yaml");
  assert.deepEqual(template.input_schema?.validate({ order_id: "o1" }), []);
  assert.equal(template.input_schema?.validate({})[0]?.pointer, "/order_id");

  const [validate, charge] = template.steps;
  assert.equal(validate?.description, "Validate the order");
  assert.deepEqual(validate?.handler, {
    callable: "shop.validate",
    method: "call",
    initialization: { strict: true },
  });
  assert.deepEqual(charge?.dependencies, ["validate"]);
  assert.equal(charge?.timeout_seconds, 2.5);
  assert.deepEqual(charge?.retry, {
    retryable: false,
    max_attempts: 7,
    backoff: "fibonacci",
    backoff_base_ms: 20,
    max_backoff_ms: 500,
  });
  const event = charge?.publishes_events[0];
  assert.equal(event?.name, "payment.processed");
  assert.equal(event?.description, "Charged");
  assert.equal(event?.condition, "permanent_failure");
  assert.equal(event?.delivery_mode, "broadcast");
  assert.equal(event?.publisher, "PaymentEventPublisher");
  assert.deepEqual(event?.schema?.validate({ amount: 5 }), []);
  assert.equal(event?.schema?.validate({ amount: "5" })[0]?.message, "must be number");
});

Deno.test("parseTemplate applies the defaults", () => {
  const template = parseTemplate(oneStep(`    publishes_events:\n      - name: demo.done\n`));
  assert.deepEqual(template.metadata, {});
  assert.equal(template.input_schema, undefined);
  assert.equal(template.source, undefined);
  const step = template.steps[0]!;
  assert.deepEqual(step.handler.initialization, {});
  assert.deepEqual(step.dependencies, []);
  assert.equal(step.timeout_seconds, undefined);
  assert.deepEqual(step.retry, {
    retryable: true,
    max_attempts: 3,
    backoff: "exponential",
    backoff_base_ms: 1000,
    max_backoff_ms: 30000,
  });
  const event = step.publishes_events[0]!;
  assert.equal(event.condition, "success");
  assert.equal(event.delivery_mode, "durable");
  assert.equal(event.publisher, undefined);
  assert.equal(event.schema, undefined);
});

Deno.test("a partial retry block keeps the other defaults", () => {
  const step = parseTemplate(oneStep("    retry: { backoff: none }\n")).steps[0]!;
  assert.equal(step.retry.backoff, "none");
  assert.equal(step.retry.max_attempts, 3);
  assert.equal(step.retry.retryable, true);
  assert.equal(step.retry.backoff_base_ms, 1000);
});

Deno.test("depends_on is read as dependencies and limit as max_attempts", () => {
  const template = parseTemplate(`
name: demo
namespace_name: demo
version: 1.0.0
steps:
  - name: a
    handler: { callable: demo.a }
  - name: b
    handler: { callable: demo.b }
    depends_on: [a]
    retry: { limit: 9 }
`);
  assert.deepEqual(template.steps[1]?.dependencies, ["a"]);
  assert.equal(template.steps[1]?.retry.max_attempts, 9);
});

Deno.test("the Ruby-symbol key style is read, except inside initialization and schemas", () => {
  const template = parseTemplate(`
:name: legacy
:namespace_name: legacy
:version: 1.0.0
:input_schema:
  type: object
  properties:
    ":odd": { type: string }
:steps:
  - :name: first
    :handler:
      :callable: legacy.first
      :initialization:
        :api_key_name: KEY
        nested: { :inner: 1 }
  - :name: second
    :handler: { :callable: legacy.second }
    :depends_on: [first]
    :retry:
      :retryable: true
      :limit: 4
    :publishes_events:
      - :name: legacy.done
        :delivery_mode: fast
        :schema: { type: object, properties: { ":id": { type: integer } } }
`);
  assert.equal(template.name, "legacy");
  assert.equal(template.steps[0]?.handler.callable, "legacy.first");
  assert.deepEqual(template.steps[0]?.handler.initialization, {
    ":api_key_name": "KEY",
    nested: { ":inner": 1 },
  });
  assert.deepEqual(template.steps[1]?.dependencies, ["first"]);
  assert.equal(template.steps[1]?.retry.max_attempts, 4);
  assert.equal(template.steps[1]?.publishes_events[0]?.delivery_mode, "fast");
  // Schema keys stay as written: the property is ":odd", so "odd" is not checked.
  assert.equal(template.input_schema?.validate({ ":odd": 1 })[0]?.pointer, "/:odd");
  assert.deepEqual(template.input_schema?.validate({ odd: 1 }), []);
  const schema = template.steps[1]?.publishes_events[0]?.schema;
  assert.equal(schema?.validate({ ":id": "x" })[0]?.message, "must be integer");
});

Deno.test("anchors and YAML 1.1 merge keys share settings between steps", () => {
  const template = parseTemplate(`
name: demo
namespace_name: demo
version: 1.0.0
steps:
  - name: a
    handler: { callable: demo.a }
    retry: &fast_retry { max_attempts: 5, backoff: linear, backoff_base_ms: 10 }
  - name: b
    handler: { callable: demo.b }
    retry:
      <<: *fast_retry
      max_attempts: 2
`);
  assert.equal(template.steps[0]?.retry.max_attempts, 5);
  assert.deepEqual(
    { ...template.steps[1]?.retry },
    {
      retryable: true,
      max_attempts: 2,
      backoff: "linear",
      backoff_base_ms: 10,
      max_backoff_ms: 30000,
    },
  );
});

Deno.test("a Ruby-style keyword inside a JSON Schema is reported, not ignored", () => {
  const issues = issuesOf(`
name: demo
namespace_name: demo
version: 1.0.0
input_schema:
  :type: object
steps:
  - { name: a, handler: { callable: demo.a } }
`);
  const issue = issueAt(issues, "input_schema.:type");
  assert.equal(issue.line, 6);
  assert.equal(issue.message, `JSON Schema keys are read as written; write "type", not ":type"`);
});

Deno.test("a key given in both styles is reported", () => {
  const issues = issuesOf(
    `name: demo\n:name: demo2\nnamespace_name: demo\nversion: 1.0.0\nsteps: []\n`,
  );
  assert.equal(issueAt(issues, "name").message, `both "name" and ":name" are given`);
});

Deno.test("issues carry the line of the offending field", () => {
  const issues = issuesOf(
    `name: demo
namespace_name: demo
version: 1.0.0
steps:
  - name: a
    handler: { callable: demo.a }
  - name: b
    handler:
      callable: demo.b
    retry:
      backoff: exponential
      max_attempts: 500
`,
    "lines.yaml",
  );
  const issue = issueAt(issues, "steps[1].retry.max_attempts");
  assert.equal(issue.file, "lines.yaml");
  assert.equal(issue.line, 12);
});

Deno.test("a missing field points at the line of the object that lacks it", () => {
  const issues = issuesOf(`name: demo
namespace_name: demo
version: 1.0.0
steps:
  - name: a
    handler: { callable: demo.a }
  - name: b
`);
  const issue = issueAt(issues, "steps[1].handler");
  assert.equal(issue.message, "is required");
  assert.equal(issue.line, 7);
});

Deno.test("YAML syntax errors are reported with their line", () => {
  const issues = issuesOf("name: demo\nsteps:\n  - name: [a,\n", "broken.yaml");
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.path, "(root)");
  assert.equal(issues[0]?.file, "broken.yaml");
  assert.match(issues[0]!.message, /^YAML syntax error: /);
  assert.equal(typeof issues[0]?.line, "number");
});

Deno.test("a document that is not a mapping is rejected", () => {
  assert.equal(
    issueAt(issuesOf(""), "(root)").message,
    "expected a mapping with name, namespace_name, version and steps, got null",
  );
  assert.equal(
    issueAt(issuesOf("- a\n- b\n"), "(root)").message,
    "expected a mapping with name, namespace_name, version and steps, got a list",
  );
});

Deno.test("the error message lists every issue as file:line: path: message", () => {
  const text = `name: demo
namespace_name: Demo
version: 1.0.0
steps:
  - name: a
    handler: { callable: demo.a }
    timeout_seconds: -1
`;
  let message = "";
  try {
    parseTemplate(text, { file: "t.yaml" });
  } catch (error) {
    message = (error as Error).message;
  }
  const lines = message.split("\n");
  assert.equal(lines[0], "invalid task template (2 problems):");
  assert.match(lines[1]!, /^t\.yaml:2: namespace_name: invalid namespace "Demo": /);
  assert.equal(
    lines[2],
    "t.yaml:7: steps[0].timeout_seconds: must not be negative, got -1",
  );
});

Deno.test({
  name: "parseTemplate works with zero permissions",
  permissions: "none",
  fn() {
    const template = parseTemplate(oneStep(
      "    publishes_events:\n      - name: demo.done\n        schema: { type: object }\n",
    ));
    assert.equal(template.steps[0]?.publishes_events[0]?.name, "demo.done");
    assert.deepEqual(template.steps[0]?.publishes_events[0]?.schema?.validate({}), []);
    // Validation errors are produced without any permission too.
    assert.equal(issueAt(issuesOf("name: x\n"), "steps").message, "is required");
  },
});

Deno.test("issues leave out the file and line when they are unknown", () => {
  assert.deepEqual(
    issuesOf("name: demo\nnamespace_name: demo\nsteps: [{name: a, handler: {callable: demo.a}}]\n"),
    [
      { path: "version", message: "is required" },
    ],
  );
});
