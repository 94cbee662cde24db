// tasker-core's own template files (tests/fixtures/tasker_core_templates/, see its README): every
// task template loads, strictly; every file that is not a task template fails for its reason.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  loadTemplateFile,
  type TaskTemplate,
  type TemplateIssue,
  TemplateValidationError,
} from "../../src/template/mod.ts";

const root = fileURLToPath(new URL("../fixtures/tasker_core_templates/", import.meta.url));

/** Every fixture, as a path relative to the fixture root, sorted. */
async function fixtureFiles(): Promise<string[]> {
  const files: string[] = [];
  const dirs = [""];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    for await (const entry of Deno.readDir(`${root}${dir}`)) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory) dirs.push(path);
      else if (/\.ya?ml$/.test(entry.name)) files.push(path);
    }
  }
  return files.sort();
}

/** What each non-template file must fail with: the field and message of its telling issue. */
const NOT_TEMPLATES: Record<string, { path: string; message: string }> = {
  "config/system_events.yaml": { path: "name", message: "is required" },
  "crates/tasker-grammar/tests/fixtures/workflows/customer_onboarding.yaml": {
    path: "namespace_name",
    message: "is required",
  },
  "crates/tasker-grammar/tests/fixtures/workflows/ecommerce_order_processing.yaml": {
    path: "namespace_name",
    message: "is required",
  },
  "crates/tasker-grammar/tests/fixtures/workflows/payment_reconciliation.yaml": {
    path: "namespace_name",
    message: "is required",
  },
  // The legacy pre-TaskTemplate format: no steps (tasker-core registers it with zero steps,
  // then refuses every task of it).
  "crates/tasker-rb/spec/handlers/examples/error_scenarios/config/error_testing_handler.yaml": {
    path: "steps",
    message: "is required",
  },
};

async function issuesOf(file: string, lenient: boolean): Promise<TemplateIssue[]> {
  const error = await loadTemplateFile(`${root}${file}`, { lenient, environment: "test" })
    .then(() => undefined, (e) => e);
  assert.ok(error instanceof TemplateValidationError, `${file} should not load`);
  return [...error.issues];
}

Deno.test("every tasker-core task template loads, strictly, and the 5 other files do not", async () => {
  const files = await fixtureFiles();
  assert.equal(files.length, 161);
  const loaded: TaskTemplate[] = [];
  const failed: string[] = [];
  for (const file of files) {
    if (file in NOT_TEMPLATES) continue;
    try {
      loaded.push(await loadTemplateFile(`${root}${file}`, { environment: "test" }));
    } catch (error) {
      failed.push(`${file}: ${error instanceof Error ? error.message : error}`);
    }
  }
  assert.deepEqual(failed, []);
  assert.equal(loaded.length, 156);
  assert.ok(loaded.every((template) => template.warnings.length === 0));
  for (const [file, reason] of Object.entries(NOT_TEMPLATES)) {
    for (const lenient of [false, true]) {
      const issues = await issuesOf(file, lenient);
      assert.ok(
        issues.some((issue) => issue.path === reason.path && issue.message === reason.message),
        `${file} (lenient: ${lenient}) fails for another reason: ${JSON.stringify(issues)}`,
      );
    }
  }
});

Deno.test("the non-templates' foreign keys are unknown-key errors, and only warnings when lenient", async () => {
  const legacy =
    "crates/tasker-rb/spec/handlers/examples/error_scenarios/config/error_testing_handler.yaml";
  const strict = await issuesOf(legacy, false);
  assert.deepEqual(
    strict.filter((issue) => issue.message.startsWith("unknown key")).map((issue) => issue.path),
    ["task_handler_class", "schema", "step_templates"],
  );
  const lenient = await issuesOf(legacy, true);
  assert.deepEqual(lenient.map((issue) => issue.path), ["steps"]);
});

Deno.test("the Ruby-symbol-key files load with their values", async () => {
  const template = await loadTemplateFile(
    `${root}crates/tasker-rb/spec/handlers/examples/order_fulfillment/config/order_fulfillment_handler.yaml`,
    { environment: "development" },
  );
  assert.equal(template.namespace_name, "fulfillment");
  assert.equal(template.name, "process_order");
  assert.equal(template.steps.length, 4);
  // `:limit:` is Ruby's max_attempts; an empty `:timeout_seconds:` is null, so no deadline.
  assert.deepEqual(template.steps.map((step) => step.retry.max_attempts), [1, 3, 2, 5]);
  assert.ok(template.steps.every((step) => step.timeout_seconds === undefined));
  assert.match(template.loaded_from ?? "", /order_fulfillment_handler\.yaml$/);
  assert.deepEqual(template.environments, { test: [], development: [], production: [] });
});

Deno.test("tasker-core's step types and batch settings are read", async () => {
  const template = await loadTemplateFile(
    `${root}tests/fixtures/task_templates/rust/batch_processing_example.yaml`,
  );
  const types = Object.fromEntries(template.steps.map((step) => [step.name, step.type]));
  assert.deepEqual(Object.values(types).sort(), [
    "batch_worker",
    "batchable",
    "deferred_convergence",
  ]);
  const worker = template.steps.find((step) => step.type === "batch_worker")!;
  assert.deepEqual(worker.batch_config, {
    batch_size: 1000,
    parallelism: 10,
    cursor_field: "id",
    worker_template: worker.name,
    failure_strategy: "fail_fast",
  });
});
