// Each tasker-core TaskTemplate key, read with its meaning: a test per key asserting what it
// does, not only that it parses.
import assert from "node:assert/strict";
import {
  assertRunnable,
  parseTemplate,
  type TaskTemplate,
  UnsupportedStepError,
} from "../../src/template/mod.ts";
import { baseRetryDelayMs } from "../../src/worker/backoff.ts";
import { checkResultSchema } from "../../src/worker/result_schema.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { captureConsole } from "../_console.ts";
import { issueAt, issuesOf, oneStep } from "./_helpers.ts";

const ENVIRONMENTS = `name: demo
namespace_name: demo
version: 1.0.0
steps:
  - name: fetch
    handler:
      callable: demo.fetch
      initialization: { url: https://prod.example, pool: 4 }
    timeout_seconds: 30
    retry: { retryable: false, max_attempts: 7, backoff: linear, backoff_base_ms: 10 }
  - name: store
    handler: { callable: demo.store }
    dependencies: [fetch]
environments:
  test:
    steps:
      - name: ALL
        timeout_seconds: 5
      - name: fetch
        handler: { initialization: { url: https://test.example } }
        retry: { max_attempts: 2 }
      - name: store
        timeout_seconds: ~
  production:
    steps: []
`;

Deno.test("environments: the chosen environment's overrides apply, in order, as tasker-core resolves them", () => {
  const base = parseTemplate(ENVIRONMENTS, { environment: "staging" });
  assert.equal(base.environment, undefined, "no entry for staging: nothing changes");
  assert.equal(base.steps[0]!.timeout_seconds, 30);

  const test = parseTemplate(ENVIRONMENTS, { environment: "test" });
  assert.equal(test.environment, "test");
  const [fetch, store] = test.steps;
  // Shallow merge: url replaced, pool kept.
  assert.deepEqual(fetch!.handler.initialization, { url: "https://test.example", pool: 4 });
  // ALL set 5 on every step; a null timeout in a later override changes nothing.
  assert.deepEqual(test.steps.map((step) => step.timeout_seconds), [5, 5]);
  // A retry override replaces the whole block: the step's linear / 10 ms / not retryable are gone.
  assert.deepEqual(fetch!.retry, {
    retryable: true,
    max_attempts: 2,
    backoff: "exponential",
    backoff_base_ms: 1000,
    max_backoff_ms: 30000,
  });
  // A name targets that step only.
  assert.equal(store!.retry.max_attempts, 3);
  assert.deepEqual(store!.handler.initialization, {});
  // The overrides are kept as read.
  assert.deepEqual(Object.keys(test.environments), ["test", "production"]);
  assert.equal(test.environments.test!.length, 3);
});

Deno.test("environments: TASKER_ENV names the environment when no option does", () => {
  const previous = Deno.env.get("TASKER_ENV");
  try {
    Deno.env.set("TASKER_ENV", "test");
    assert.equal(parseTemplate(ENVIRONMENTS).environment, "test");
    assert.equal(parseTemplate(ENVIRONMENTS).steps[0]!.timeout_seconds, 5);
    assert.equal(
      parseTemplate(ENVIRONMENTS, { environment: "production" }).steps[0]!.timeout_seconds,
      30,
    );
    Deno.env.delete("TASKER_ENV");
    const unresolved = parseTemplate(ENVIRONMENTS);
    assert.equal(unresolved.environment, undefined);
    assert.equal(unresolved.steps[0]!.timeout_seconds, 30);
  } finally {
    if (previous === undefined) Deno.env.delete("TASKER_ENV");
    else Deno.env.set("TASKER_ENV", previous);
  }
});

Deno.test("environments: an override naming no step is an error with a suggestion", () => {
  const issues = issuesOf(ENVIRONMENTS.replace("      - name: store\n", "      - name: stor\n"));
  assert.equal(
    issueAt(issues, "environments.test.steps[2].name").message,
    `override for unknown step "stor"; did you mean "store"?`,
  );
});

Deno.test("system_dependencies and system_dependency: defaults, values and nulls", () => {
  const plain = parseTemplate(oneStep());
  assert.deepEqual(plain.system_dependencies, { primary: "default", secondary: [] });
  assert.equal(plain.steps[0]!.system_dependency, undefined);
  const given = parseTemplate(
    oneStep("    system_dependency: stripe\n") +
      "system_dependencies: { primary: payments, secondary: [crm] }\n",
  );
  assert.deepEqual(given.system_dependencies, { primary: "payments", secondary: ["crm"] });
  assert.equal(given.steps[0]!.system_dependency, "stripe");
  assert.equal(
    parseTemplate(oneStep("    system_dependency:\n")).steps[0]!.system_dependency,
    undefined,
  );
});

Deno.test("domain_events: the task-level catalogue is read and its schemas compiled", () => {
  const template = parseTemplate(
    oneStep() + `domain_events:
  - name: order.placed
    description: An order came in
    schema: { type: object, required: [order_id] }
  - { name: order.cancelled, description: ~, schema: ~ }
`,
  );
  const [placed, cancelled] = template.domain_events;
  assert.equal(placed!.description, "An order came in");
  assert.equal(placed!.schema!.validate({})[0]!.pointer, "/order_id");
  assert.deepEqual(cancelled, { name: "order.cancelled" });
  const issues = issuesOf(oneStep() + "domain_events:\n  - { name: x.y, schema: { type: 12 } }\n");
  assert.match(issueAt(issues, "domain_events[0].schema").message, /^invalid JSON Schema/);
});

Deno.test("lifecycle: staleness thresholds are typed and range-checked", () => {
  const template = parseTemplate(
    oneStep() + `lifecycle:
  max_waiting_for_dependencies_minutes: 2
  max_duration_minutes: 30
  auto_fail_on_timeout: true
`,
  );
  assert.equal(template.lifecycle?.max_waiting_for_dependencies_minutes, 2);
  assert.equal(template.lifecycle?.max_duration_minutes, 30);
  assert.equal(template.lifecycle?.staleness_action, "dlq");
  assert.equal(template.lifecycle?.auto_fail_on_timeout, true);
  const issues = issuesOf(
    oneStep() + "lifecycle: { max_duration_minutes: 0, staleness_action: retry }\n",
  );
  assert.equal(
    issueAt(issues, "lifecycle.max_duration_minutes").message,
    "must be between 1 and 43200, got 0",
  );
  assert.equal(
    issueAt(issues, "lifecycle.staleness_action").message,
    `unknown staleness action "retry"; expected one of dlq, error, none`,
  );
  // A lifecycle block on a step is a Ruby-era hint tasker-core ignores: accepted, not applied.
  const step = parseTemplate(oneStep("    lifecycle: { max_retries: 3 }\n")).steps[0]!;
  assert.equal("lifecycle" in step, false);
});

Deno.test("handler.method: names the entry point the registry resolves", async () => {
  const template = parseTemplate(
    oneStep().replace(
      "      callable: demo.only\n",
      "      callable: demo.only\n      method: refund\n      resolver: explicit_mapping\n",
    ),
  );
  const { handler } = template.steps[0]!;
  assert.equal(handler.method, "refund");
  assert.equal(handler.resolver, "explicit_mapping");
  assert.equal(parseTemplate(oneStep()).steps[0]!.handler.method, "call");
  class Payments {
    call() {
      return success("charged");
    }
    refund() {
      return success(`refunded by ${this.constructor.name}`);
    }
  }
  const registry = new HandlerRegistry().register("demo.only", new Payments());
  // deno-lint-ignore no-explicit-any
  const ctx = {} as any;
  assert.deepEqual(
    await registry.resolve("demo.only", handler.method)(ctx),
    success("refunded by Payments"),
  );
  assert.deepEqual(await registry.resolve("demo.only")(ctx), success("charged"));
  assert.throws(
    () => registry.resolve("demo.only", "void"),
    /the template's handler\.method is "void", but the registered handler has no such method/,
  );
});

Deno.test("handler.resolver: only explicit mapping exists here, so another resolver is an error", () => {
  const issues = issuesOf(
    oneStep().replace(
      "      callable: demo.only\n",
      "      callable: demo.only\n      resolver: class_constant\n",
    ),
  );
  assert.match(
    issueAt(issues, "steps[0].handler.resolver").message,
    /^unknown resolver "class_constant"; deno-tasker resolves callables by explicit mapping only/,
  );
});

Deno.test("result_schema: compiled at load; a result failing it is a non-retryable failure naming each pointer", () => {
  const step = parseTemplate(oneStep(`    result_schema:
      type: object
      required: [total]
      properties: { total: { type: number }, items: { type: array } }
`)).steps[0]!;
  const ok = success({ total: 3 });
  assert.equal(checkResultSchema(step, ok), ok);
  const bad = checkResultSchema(step, success({ items: "none" }));
  assert.equal(bad.success, false);
  if (bad.success) return;
  assert.equal(bad.error.error_type, "InvalidStepResult");
  assert.equal(bad.error.retryable, false);
  assert.match(bad.error.message, /\/items must be array/);
  assert.match(bad.error.message, /\/total must have required property 'total'/);
  // Failures pass through unchanged; a step without a result_schema accepts anything.
  const failed = failure("down");
  assert.equal(checkResultSchema(step, failed), failed);
  const free = parseTemplate(oneStep()).steps[0]!;
  const anything = success("anything");
  assert.equal(checkResultSchema(free, anything), anything);
});

Deno.test("loaded_from: kept as written, while source is the real path", () => {
  const template = parseTemplate(oneStep() + "loaded_from: /elsewhere/t.yaml\n", {
    file: "here.yaml",
  });
  assert.equal(template.loaded_from, "/elsewhere/t.yaml");
  assert.equal(template.source, "here.yaml");
});

Deno.test("retry.initial_delay and retry.max_delay (seconds) set the backoff", () => {
  const { retry } = parseTemplate(
    oneStep("    retry: { backoff: exponential, initial_delay: 2, max_delay: 5 }\n"),
  ).steps[0]!;
  assert.equal(retry.backoff_base_ms, 2000);
  assert.equal(retry.max_backoff_ms, 5000);
  assert.deepEqual([1, 2, 3, 4].map((n) => baseRetryDelayMs(retry, n)), [2000, 4000, 5000, 5000]);
  const issues = issuesOf(oneStep("    retry: { initial_delay: 2, backoff_base_ms: 100 }\n"));
  assert.equal(
    issueAt(issues, "steps[0].retry.initial_delay").message,
    "give either backoff_base_ms or initial_delay, not both",
  );
});

Deno.test("nulls where tasker-core allows them mean 'not given'", () => {
  const template = parseTemplate(`name: demo
namespace_name: demo
version: 1.0.0
description: ~
metadata: ~
input_schema: ~
lifecycle: ~
steps:
  - name: only
    description:
    handler: { callable: demo.only, method: ~, resolver: ~ }
    timeout_seconds: ~
    batch_config: ~
    result_schema: ~
    retry: { backoff_base_ms: ~, max_backoff_ms: ~ }
    publishes_events:
      - { name: demo.done, description: ~, schema: ~, publisher: ~ }
`);
  assert.equal(template.description, undefined);
  assert.deepEqual(template.metadata, {});
  assert.equal(template.input_schema, undefined);
  assert.equal(template.lifecycle, undefined);
  const step = template.steps[0]!;
  assert.equal(step.timeout_seconds, undefined);
  assert.equal(step.handler.method, "call");
  assert.equal(step.retry.backoff_base_ms, 1000);
  assert.equal(step.retry.max_backoff_ms, 30000);
  assert.deepEqual(step.publishes_events[0], {
    name: "demo.done",
    condition: "success",
    delivery_mode: "durable",
  });
});

Deno.test("max_attempts: 0 and limit: 0 mean one execution and no retry", () => {
  for (const key of ["max_attempts", "limit"]) {
    const { retry } = parseTemplate(oneStep(`    retry: { ${key}: 0 }\n`)).steps[0]!;
    assert.equal(retry.max_attempts, 1, key);
  }
});

Deno.test("metadata: typed where tasker-core types it, other keys kept", () => {
  const template = parseTemplate(
    oneStep() +
      "metadata: { author: ada, tags: [a], created_at: 2025-01-03T00:00:00Z, notes: n }\n",
  );
  assert.deepEqual(template.metadata, {
    author: "ada",
    tags: ["a"],
    created_at: "2025-01-03T00:00:00Z",
    notes: "n",
  });
  const issues = issuesOf(oneStep() + "metadata: { created_at: yesterday, tags: [1] }\n");
  assert.match(issueAt(issues, "metadata.created_at").message, /^expected an RFC 3339 date-time/);
  assert.ok(issues.some((issue) => issue.path === "metadata.tags[0]"));
});

const TYPED = (type: string, extra = "") =>
  `name: typed
namespace_name: demo
version: 1.0.0
steps:
  - name: start
    handler: { callable: demo.start }
  - name: choose
    type: ${type}
    handler: { callable: demo.choose }
    dependencies: [start]
${extra}`;

const BATCH_CONFIG = `    batch_config:
      batch_size: 10
      parallelism: 2
      cursor_field: id
      worker_template: choose
      failure_strategy: fail_fast
`;

Deno.test("step type: every tasker-core value loads and runs", () => {
  for (const type of ["decision", "deferred_convergence", "batchable", "batch_worker"]) {
    const template = parseTemplate(
      TYPED(type, type === "batch_worker" ? BATCH_CONFIG : ""),
    );
    assert.equal(template.steps[1]!.type, type);
    assertRunnable(template);
  }
  assertRunnable(parseTemplate(TYPED("standard")));
  assert.equal(parseTemplate(oneStep()).steps[0]!.type, "standard");
  assert.equal(
    parseTemplate(TYPED("standard").replace("    type: standard", "    step_type: decision"))
      .steps[1]!.type,
    "decision",
  );
});

Deno.test("step type rules: unknown values, both aliases, a parentless decision", () => {
  assert.equal(
    issueAt(issuesOf(TYPED("fork")), "steps[1].type").message,
    'unknown step type "fork"; expected one of standard, decision, deferred_convergence, batchable, batch_worker',
  );
  assert.equal(
    issueAt(issuesOf(TYPED("decision", "    step_type: decision\n")), "steps[1].step_type").message,
    "give either type or step_type, not both",
  );
  assert.equal(
    issueAt(issuesOf(TYPED("decision").replace("    dependencies: [start]\n", "")), "steps[1].type")
      .message,
    "a decision step needs at least one dependency",
  );
});

Deno.test("batch_config: all five keys, ranges, and a worker_template naming a batch_worker step", () => {
  const config = (worker: string, size = 100) =>
    `    batch_config: { batch_size: ${size}, parallelism: 2, cursor_field: id, worker_template: ${worker}, failure_strategy: fail_fast }\n`;
  const template = parseTemplate(
    TYPED("batchable", config("choose")).replace(
      "    type: batchable",
      "    type: batch_worker",
    ),
  );
  assert.deepEqual(template.steps[1]!.batch_config, {
    batch_size: 100,
    parallelism: 2,
    cursor_field: "id",
    worker_template: "choose",
    failure_strategy: "fail_fast",
  });
  assert.equal(
    issueAt(issuesOf(TYPED("batchable", config("chose"))), "steps[1].batch_config.worker_template")
      .message,
    `unknown worker_template "chose"; did you mean "choose"?`,
  );
  assert.equal(
    issueAt(issuesOf(TYPED("batchable", config("start"))), "steps[1].batch_config.worker_template")
      .message,
    `worker_template "start" must name a step of type batch_worker`,
  );
  assert.equal(
    issueAt(issuesOf(TYPED("batchable", config("choose", 0))), "steps[1].batch_config.batch_size")
      .message,
    "must be between 1 and 100000, got 0",
  );
  const missing = issuesOf(TYPED("batchable", "    batch_config: { batch_size: 10 }\n"));
  for (const key of ["parallelism", "cursor_field", "worker_template", "failure_strategy"]) {
    assert.equal(issueAt(missing, `steps[1].batch_config.${key}`).message, "is required");
  }
});

Deno.test("composition: accepted as written, and refused at submit", () => {
  const template = parseTemplate(oneStep("    composition: { outcome: { type: object } }\n"));
  assert.deepEqual(template.steps[0]!.composition, { outcome: { type: "object" } });
  assert.throws(
    () => assertRunnable(template),
    (error: unknown) =>
      error instanceof UnsupportedStepError &&
      /step composition is not supported yet/.test(error.message),
  );
});

Deno.test("unknown keys: errors with a suggestion, or warnings when lenient", () => {
  const text = oneStep("    retyr: { max_attempts: 2 }\n    handler_method: x\n") +
    "enviroments: {}\n";
  const issues = issuesOf(text);
  assert.deepEqual(issues.map((issue) => [issue.path, issue.message]), [
    ["steps[0].retyr", `unknown key "retyr" (did you mean "retry"?)`],
    [
      "steps[0].handler_method",
      `unknown key "handler_method" (known keys: ${
        [
          "name",
          "description",
          "handler",
          "type",
          "step_type",
          "system_dependency",
          "dependencies",
          "depends_on",
          "retry",
          "timeout_seconds",
          "publishes_events",
          "batch_config",
          "result_schema",
          "composition",
          "lifecycle",
        ].join(", ")
      })`,
    ],
    ["enviroments", `unknown key "enviroments" (did you mean "environments"?)`],
  ]);
  const lenient: TaskTemplate = parseTemplate(text, { lenient: true, file: "t.yaml" });
  assert.deepEqual(lenient.warnings.map((w) => [w.file, w.line, w.path]), [
    ["t.yaml", 8, "steps[0].retyr"],
    ["t.yaml", 9, "steps[0].handler_method"],
    ["t.yaml", 10, "enviroments"],
  ]);
  // The unknown key is ignored, as tasker-core ignores it: the default retry applies.
  assert.equal(lenient.steps[0]!.retry.max_attempts, 3);
  assert.deepEqual(parseTemplate(oneStep()).warnings, []);
});

Deno.test("input_schema: null means no schema", () => {
  const template = parseTemplate(oneStep() + "input_schema:\n");
  assert.equal(template.input_schema, undefined);
});

Deno.test({
  name: "environments under zero permissions: the option needs none; TASKER_ENV denied means none",
  permissions: "none",
  fn: async () => {
    const noted = await captureConsole("error", () => {
      assert.equal(parseTemplate(ENVIRONMENTS, { environment: "test" }).environment, "test");
      assert.equal(parseTemplate(oneStep()).environment, undefined);
    });
    assert.deepEqual(noted, [], "the environment was not read");
    const denied = await captureConsole("error", () => {
      assert.equal(parseTemplate(ENVIRONMENTS).environment, undefined);
    });
    assert.match(String(denied[0]?.[0]), /no permission to read env TASKER_ENV/);
  },
});
