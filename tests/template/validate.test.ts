import assert from "node:assert/strict";
import { issueAt, issuesOf, oneStep } from "./_helpers.ts";

/** A template whose steps are given as YAML list items (indented by two spaces). */
function withSteps(steps: string): string {
  return `name: demo\nnamespace_name: demo\nversion: 1.0.0\nsteps:\n${steps}`;
}

Deno.test("an unknown dependency is reported with a suggestion", () => {
  const issues = issuesOf(withSteps(`
  - { name: fetch_data, handler: { callable: demo.a } }
  - { name: store, handler: { callable: demo.b }, dependencies: [fetch_date] }
`));
  const issue = issueAt(issues, "steps[1].dependencies[0]");
  assert.equal(issue.message, `unknown dependency "fetch_date"; did you mean "fetch_data"?`);
  assert.equal(issue.line, 7);
});

Deno.test("an unknown dependency with no close match lists the steps", () => {
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a } }
  - { name: b, handler: { callable: demo.b }, depends_on: [zzzz] }
`));
  assert.equal(
    issueAt(issues, "steps[1].depends_on[0]").message,
    `unknown dependency "zzzz"; steps in this template: a, b`,
  );
});

Deno.test("a dependency cycle is named", () => {
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a }, dependencies: [c] }
  - { name: b, handler: { callable: demo.b }, dependencies: [a] }
  - { name: c, handler: { callable: demo.c }, dependencies: [b] }
`));
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.message, "dependency cycle: a -> c -> b -> a");
  assert.equal(issues[0]?.path, "steps[1].dependencies[0]");
});

Deno.test("a step depending on itself is reported (not as a cycle)", () => {
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a }, dependencies: [a] }
`));
  assert.equal(issues.length, 1);
  assert.equal(issueAt(issues, "steps[0].dependencies[0]").message, `step "a" depends on itself`);
});

Deno.test("a dependency listed twice is reported", () => {
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a } }
  - { name: b, handler: { callable: demo.b }, dependencies: [a, a] }
`));
  assert.equal(
    issueAt(issues, "steps[1].dependencies[1]").message,
    `dependency "a" is listed twice`,
  );
});

Deno.test("dependencies and depends_on together are reported", () => {
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a } }
  - { name: b, handler: { callable: demo.b }, dependencies: [a], depends_on: [a] }
`));
  assert.equal(
    issueAt(issues, "steps[1].depends_on").message,
    "give either dependencies or depends_on, not both",
  );
});

Deno.test("duplicate step names are reported", () => {
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a } }
  - { name: a, handler: { callable: demo.b } }
`));
  const issue = issueAt(issues, "steps[1].name");
  assert.equal(issue.message, `duplicate step name "a" (first declared at steps[0])`);
  assert.equal(issue.line, 7);
});

Deno.test("duplicate event names within a step are reported", () => {
  const issues = issuesOf(oneStep(`    publishes_events:
      - { name: order.done }
      - { name: order.done, condition: failure }
`));
  assert.equal(
    issueAt(issues, "steps[0].publishes_events[1].name").message,
    `duplicate event name "order.done" in step "only" (first declared at publishes_events[0])`,
  );
});

Deno.test("the same event name in different steps is allowed", () => {
  // The only problem reported is the unrelated timeout, so the repeated name passed.
  const issues = issuesOf(withSteps(`
  - { name: a, handler: { callable: demo.a }, publishes_events: [{ name: x.done }] }
  - { name: b, handler: { callable: demo.b }, publishes_events: [{ name: x.done }], timeout_seconds: -1 }
`));
  assert.deepEqual(issues.map((issue) => issue.path), ["steps[1].timeout_seconds"]);
});

Deno.test("an invalid event name is reported", () => {
  const issues = issuesOf(oneStep(`    publishes_events:\n      - name: PaymentProcessed\n`));
  assert.equal(
    issueAt(issues, "steps[0].publishes_events[0].name").message,
    `invalid event name "PaymentProcessed": expected lowercase dot-separated segments of [a-z0-9_], at least two (namespace.action)`,
  );
});

Deno.test("an invalid namespace is reported", () => {
  const issues = issuesOf(oneStep().replace("namespace_name: demo", "namespace_name: my-shop"));
  const issue = issueAt(issues, "namespace_name");
  assert.equal(
    issue.message,
    `invalid namespace "my-shop": expected 1 to 29 characters of [a-z0-9_] (so {namespace}_domain_events_dlq fits PGMQ's 47)`,
  );
  assert.equal(issue.line, 2);
  const long = issuesOf(
    oneStep().replace("namespace_name: demo", `namespace_name: ${"a".repeat(30)}`),
  );
  assert.match(issueAt(long, "namespace_name").message, /^invalid namespace "a{30}"/);
});

Deno.test("an invalid JSON Schema is reported", () => {
  const issues = issuesOf(oneStep(`    publishes_events:
      - name: x.done
        schema: { type: objekt }
`));
  const issue = issueAt(issues, "steps[0].publishes_events[0].schema");
  assert.match(issue.message, /^invalid JSON Schema: schema is invalid: data\/type must be /);
  const input = issuesOf(oneStep().replace("steps:", "input_schema: { required: 5 }\nsteps:"));
  assert.match(issueAt(input, "input_schema").message, /^invalid JSON Schema: /);
  const notObject = issuesOf(oneStep().replace("steps:", "input_schema: [1]\nsteps:"));
  assert.equal(issueAt(notObject, "input_schema").message, "expected a mapping, got a list");
});

Deno.test("an unknown condition or delivery mode lists the allowed values", () => {
  const issues = issuesOf(oneStep(`    publishes_events:
      - { name: x.done, condition: on_success, delivery_mode: instant }
`));
  assert.equal(
    issueAt(issues, "steps[0].publishes_events[0].condition").message,
    `unknown condition "on_success"; expected one of success, failure, retryable_failure, permanent_failure, always`,
  );
  assert.equal(
    issueAt(issues, "steps[0].publishes_events[0].delivery_mode").message,
    `unknown delivery mode "instant"; expected one of durable, fast, broadcast`,
  );
});

Deno.test("an unknown backoff lists the allowed values", () => {
  const issues = issuesOf(oneStep("    retry: { backoff: quadratic }\n"));
  assert.equal(
    issueAt(issues, "steps[0].retry.backoff").message,
    `unknown backoff "quadratic"; expected one of exponential, linear, fibonacci, none`,
  );
});

Deno.test("max_attempts (or limit) outside 0..100 is reported", () => {
  for (
    const [value, message] of [
      ["-1", "must be between 0 and 100, got -1"],
      ["101", "must be between 0 and 100, got 101"],
      ["2.5", "must be a whole number, got 2.5"],
    ]
  ) {
    const issues = issuesOf(oneStep(`    retry: { max_attempts: ${value} }\n`));
    assert.equal(issueAt(issues, "steps[0].retry.max_attempts").message, message);
  }
  const limit = issuesOf(oneStep("    retry: { limit: 101 }\n"));
  assert.equal(
    issueAt(limit, "steps[0].retry.limit").message,
    "must be between 0 and 100, got 101",
  );
  for (const edge of ["0", "1", "100"]) {
    assert.deepEqual(
      issuesOf(oneStep(`    retry: { max_attempts: ${edge} }\n    timeout_seconds: -1\n`))
        .map((issue) => issue.path),
      ["steps[0].timeout_seconds"],
    );
  }
});

Deno.test("max_attempts and limit together are reported", () => {
  const issues = issuesOf(oneStep("    retry: { max_attempts: 2, limit: 2 }\n"));
  assert.equal(
    issueAt(issues, "steps[0].retry.limit").message,
    "give either max_attempts or limit, not both",
  );
});

Deno.test("a negative timeout_seconds is reported", () => {
  for (const value of ["-0.5", "-3"]) {
    const issues = issuesOf(oneStep(`    timeout_seconds: ${value}\n`));
    assert.equal(
      issueAt(issues, "steps[0].timeout_seconds").message,
      `must not be negative, got ${value}`,
    );
  }
});

Deno.test("unknown keys are reported with the closest known key", () => {
  const issues = issuesOf(`name: demo
namespace_name: demo
version: 1.0.0
descripton: typo
steps:
  - name: a
    handler: { callable: demo.a, intialization: {} }
    dependancies: []
    retry: { max_attemps: 2 }
    publishes_events:
      - { name: x.done, delivry_mode: fast }
      - { name: x.other, zzz: 1 }
`);
  const at = (path: string) => issueAt(issues, path);
  assert.equal(at("descripton").message, `unknown key "descripton" (did you mean "description"?)`);
  assert.equal(at("descripton").line, 4);
  assert.equal(
    at("steps[0].handler.intialization").message,
    `unknown key "intialization" (did you mean "initialization"?)`,
  );
  assert.equal(
    at("steps[0].dependancies").message,
    `unknown key "dependancies" (did you mean "dependencies"?)`,
  );
  assert.equal(at("steps[0].dependancies").line, 8);
  assert.equal(
    at("steps[0].retry.max_attemps").message,
    `unknown key "max_attemps" (did you mean "max_attempts"?)`,
  );
  assert.equal(
    at("steps[0].publishes_events[0].delivry_mode").message,
    `unknown key "delivry_mode" (did you mean "delivery_mode"?)`,
  );
  assert.equal(
    at("steps[0].publishes_events[1].zzz").message,
    `unknown key "zzz" (known keys: name, description, condition, delivery_mode, publisher, schema)`,
  );
});

Deno.test("required fields and types are reported", () => {
  const issues = issuesOf(
    `name: 12\nsteps:\n  - name: a\n    handler: { callable: "" }\n    dependencies: a\n`,
  );
  assert.equal(issueAt(issues, "name").message, "expected a string, got number 12");
  assert.equal(issueAt(issues, "namespace_name").message, "is required");
  assert.equal(issueAt(issues, "version").message, "is required");
  assert.equal(issueAt(issues, "steps[0].handler.callable").message, "must not be empty");
  assert.equal(
    issueAt(issues, "steps[0].dependencies").message,
    `expected a list, got string "a"`,
  );
});

Deno.test("an unquoted version read as a number gets a hint", () => {
  const issues = issuesOf(oneStep().replace("version: 1.0.0", "version: 1.0"));
  assert.equal(
    issueAt(issues, "version").message,
    `must be a string such as "1.0.0", got the number 1 (quote it in YAML)`,
  );
  const word = issuesOf(oneStep().replace("version: 1.0.0", "version: latest"));
  assert.equal(issueAt(word, "version").message, `expected a version like 1.0.0, got "latest"`);
});

Deno.test("a template without steps is reported", () => {
  const issues = issuesOf("name: demo\nnamespace_name: demo\nversion: 1.0.0\nsteps: []\n");
  assert.equal(issueAt(issues, "steps").message, "a template needs at least one step");
});

Deno.test("every problem is reported at once, in line order", () => {
  const issues = issuesOf(
    `name: demo
namespace_name: Demo
version: 1.0.0
steps:
  - name: a
    handler: { callable: demo.a }
    dependencies: [missing]
    retry: { max_attempts: 101 }
    publishes_events:
      - { name: bad, condition: nope }
  - name: a
    handler: { callable: demo.a }
`,
    "all.yaml",
  );
  assert.deepEqual(
    issues.map((issue) => `${issue.line} ${issue.path}`),
    [
      "2 namespace_name",
      "7 steps[0].dependencies[0]",
      "8 steps[0].retry.max_attempts",
      "10 steps[0].publishes_events[0].name",
      "10 steps[0].publishes_events[0].condition",
      "11 steps[1].name",
    ],
  );
  assert.ok(issues.every((issue) => issue.file === "all.yaml"));
});
