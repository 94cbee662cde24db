// Limits checked where they are set: timeouts a timer can hold, bounded backoff, deep YAML and
// long dependency chains handled without recursion (typed errors, linear work).
import assert from "node:assert/strict";
import {
  MAX_NESTING,
  MAX_TIMEOUT_SECONDS,
  parseTemplate,
  type TaskTemplate,
  TemplateValidationError,
} from "../../src/template/mod.ts";
import { validateTemplate } from "../../src/template/validate.ts";
import { baseRetryDelayMs, MAX_RETRY_DELAY_MS, retryDelayMs } from "../../src/worker/backoff.ts";
import { stepGraph } from "../../src/worker/graph.ts";
import { issueAt, issuesOf, oneStep } from "./_helpers.ts";

Deno.test("timeout_seconds above what a timer holds (2^31-1 ms) is a load error", () => {
  assert.equal(MAX_TIMEOUT_SECONDS, 2147483);
  const issues = issuesOf(oneStep(`    timeout_seconds: ${MAX_TIMEOUT_SECONDS + 1}\n`));
  assert.equal(
    issueAt(issues, "steps[0].timeout_seconds").message,
    "must be at most 2147483 seconds (the longest delay a timer holds is 2^31-1 ms), got 2147484",
  );
  const template = parseTemplate(oneStep(`    timeout_seconds: ${MAX_TIMEOUT_SECONDS}\n`));
  assert.ok(template.steps[0]!.timeout_seconds! * 1000 <= 2 ** 31 - 1);
  // Also in an environment override, and YAML's .inf.
  const override = issuesOf(
    oneStep() + `environments: { test: { steps: [{ name: only, timeout_seconds: 9999999 }] } }\n`,
  );
  assert.ok(override.some((issue) => issue.path === "environments.test.steps[0].timeout_seconds"));
  assert.equal(
    issueAt(issuesOf(oneStep("    timeout_seconds: .inf\n")), "steps[0].timeout_seconds").message,
    "must be a finite number, got Infinity",
  );
});

Deno.test("out-of-range retry settings are load errors", () => {
  const cases: [string, string, string][] = [
    ["backoff_base_ms: 3600001", "steps[0].retry.backoff_base_ms", "must be at most 3600000 ms"],
    ["max_backoff_ms: 1e15", "steps[0].retry.max_backoff_ms", "must be at most 3600000 ms"],
    ["backoff_base_ms: -1", "steps[0].retry.backoff_base_ms", "must not be negative"],
    ["initial_delay: 86400", "steps[0].retry.initial_delay", "must be at most 3600 seconds"],
    ["max_attempts: 1000", "steps[0].retry.max_attempts", "must be between 0 and 100"],
  ];
  for (const [setting, path, message] of cases) {
    const issues = issuesOf(oneStep(`    retry: { ${setting} }\n`));
    assert.ok(
      issueAt(issues, path).message.startsWith(message),
      `${setting}: ${issues[0]?.message}`,
    );
  }
});

Deno.test("backoff never exceeds max_backoff_ms nor the absolute cap, even for policies built in code", () => {
  const policy = (backoff: "exponential" | "linear" | "fibonacci", base: number, max: number) => ({
    retryable: true,
    max_attempts: 100,
    backoff,
    backoff_base_ms: base,
    max_backoff_ms: max,
  });
  for (const backoff of ["exponential", "linear", "fibonacci"] as const) {
    for (const attempts of [1, 10, 99, 1e9]) {
      assert.ok(baseRetryDelayMs(policy(backoff, 1000, 30_000), attempts) <= 30_000);
      const huge = baseRetryDelayMs(policy(backoff, 1e12, 1e15), attempts);
      assert.ok(huge <= MAX_RETRY_DELAY_MS, `${backoff} ${attempts}: ${huge}`);
      assert.ok(
        retryDelayMs(policy(backoff, 1e12, Infinity), attempts, () => 0.999) <= MAX_RETRY_DELAY_MS,
      );
      assert.equal(
        baseRetryDelayMs(policy(backoff, NaN, NaN), attempts) <= MAX_RETRY_DELAY_MS,
        true,
      );
    }
  }
  // One hour ahead at most: never the year 159541.
  assert.equal(MAX_RETRY_DELAY_MS, 3_600_000);
});

function deepMapping(levels: number): string {
  return Array.from({ length: levels }, (_, i) => `${"  ".repeat(i + 4)}k${i}:`).join("\n") +
    " 1\n";
}

Deno.test("YAML nested 5,000 levels deep is a typed error, in block and flow style", () => {
  const texts = [
    oneStep("      initialization:\n" + deepMapping(5000)),
    oneStep(`    result_schema: ${"[".repeat(5000)}${"]".repeat(5000)}\n`),
    `${"- ".repeat(5000)}x\n`,
  ];
  for (const text of texts) {
    let error: unknown;
    try {
      parseTemplate(text);
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof TemplateValidationError, `got ${error}`);
    assert.match(error.issues[0]!.message, /^YAML nesting is too deep/);
  }
});

Deno.test("nesting up to the limit loads; aliases cannot smuggle deeper data in", () => {
  // Root, steps, the step, handler and initialization are 5 levels; deepMapping(n) adds n - 1.
  const fits = parseTemplate(oneStep("      initialization:\n" + deepMapping(MAX_NESTING - 4)));
  assert.ok(fits.steps[0]!.handler.initialization.k0 !== undefined);
  assert.match(
    issuesOf(oneStep("      initialization:\n" + deepMapping(MAX_NESTING - 3)))[0]!.message,
    /^YAML nesting is too deep/,
  );
  const half = MAX_NESTING - 10;
  const anchored = `name: demo
namespace_name: demo
version: 1.0.0
anchors:
  deep: &deep ${"[".repeat(half)}${"]".repeat(half)}
steps:
  - name: only
    handler:
      callable: demo.only
      initialization:
        a: ${"[".repeat(half)}*deep${"]".repeat(half)}
`;
  assert.match(issuesOf(anchored)[0]!.message, /too deep.*after expanding aliases/);
});

function chain(length: number): Record<string, unknown> {
  return {
    name: "chain",
    namespace_name: "demo",
    version: "1.0.0",
    steps: Array.from({ length }, (_, i) => ({
      name: `s${i}`,
      handler: { callable: "demo.step" },
      ...(i === 0 ? {} : { dependencies: [`s${i - 1}`] }),
    })),
  };
}

function loadChain(length: number): TaskTemplate {
  const result = validateTemplate(chain(length), () => undefined, { environment: "none" });
  if ("issues" in result) throw new TemplateValidationError(result.issues);
  return result.template;
}

Deno.test("a 16,000-step chain loads, and its graph answers without recursion", () => {
  const template = loadChain(16_000);
  const graph = stepGraph(template);
  assert.equal(graph.ancestors.get("s15999")!.size, 15_999);
  assert.equal(graph.ancestors.get("s0")!.size, 0);
  assert.deepEqual(graph.successors.get("s7"), ["s8"]);
  assert.equal(graph.ancestors.get("missing"), undefined);
  assert.equal(graph.ancestors.size, 16_000);
});

Deno.test("a 5,000-step chain from YAML loads; a cycle through it is named, without recursion", () => {
  const steps = Array.from(
    { length: 5000 },
    (_, i) =>
      `  - { name: s${i}, handler: { callable: demo.s }, dependencies: [s${(i + 4999) % 5000}] }`,
  ).join("\n");
  const issues = issuesOf(`name: c\nnamespace_name: demo\nversion: 1.0.0\nsteps:\n${steps}\n`);
  assert.equal(issues.length, 1);
  assert.match(issues[0]!.message, /^dependency cycle: s0 -> s4999 -> s4998 -> .* -> s1 -> s0$/);
  const acyclic = steps.replace("dependencies: [s4999]", "dependencies: []");
  const template = parseTemplate(
    `name: c\nnamespace_name: demo\nversion: 1.0.0\nsteps:\n${acyclic}\n`,
  );
  assert.equal(stepGraph(template).ancestors.get("s4999")!.size, 4999);
});
