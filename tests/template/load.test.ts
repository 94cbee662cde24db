import assert from "node:assert/strict";
import {
  allCallables,
  allPublisherNames,
  loadTemplateDir,
  loadTemplateFile,
  TemplateLoadError,
  TemplateValidationError,
} from "../../src/template/mod.ts";
import { oneStep } from "./_helpers.ts";

const TEMPLATES = new URL("../../templates/", import.meta.url).pathname;

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tasker_templates_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadTemplateFile reads a file and records its source", async () => {
  const path = `${TEMPLATES}linear_workflow/mathematical_sequence.yaml`;
  const template = await loadTemplateFile(path);
  assert.equal(template.source, path);
  assert.equal(template.namespace_name, "linear_workflow");
});

Deno.test("loadTemplateFile names the missing path", async () => {
  const error = await loadTemplateFile("/nonexistent/dir/missing.yaml").catch((e) => e);
  assert.ok(error instanceof TemplateLoadError);
  assert.equal(error.code, "E_TEMPLATE_LOAD");
  assert.equal(error.path, "/nonexistent/dir/missing.yaml");
  assert.equal(error.message, "template file not found: /nonexistent/dir/missing.yaml");
});

Deno.test("loadTemplateFile reports validation issues with the file name", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/bad.yaml`;
    await Deno.writeTextFile(path, oneStep("    timeout_seconds: -1\n"));
    const error = await loadTemplateFile(path).catch((e) => e);
    assert.ok(error instanceof TemplateValidationError);
    assert.deepEqual(error.issues, [{
      file: path,
      line: 8,
      path: "steps[0].timeout_seconds",
      message: "must not be negative, got -1",
    }]);
  });
});

Deno.test("loadTemplateDir walks subdirectories in sorted order, .yaml and .yml", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/b/nested`, { recursive: true });
    await Deno.mkdir(`${dir}/a`);
    await Deno.writeTextFile(
      `${dir}/b/nested/two.yml`,
      oneStep().replace("name: demo", "name: two"),
    );
    await Deno.writeTextFile(`${dir}/a/one.yaml`, oneStep().replace("name: demo", "name: one"));
    await Deno.writeTextFile(`${dir}/c.yaml`, oneStep().replace("name: demo", "name: three"));
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a template");
    const templates = await loadTemplateDir(dir);
    assert.deepEqual(templates.map((t) => t.name), ["one", "two", "three"]);
    assert.deepEqual(templates.map((t) => t.source), [
      `${dir}/a/one.yaml`,
      `${dir}/b/nested/two.yml`,
      `${dir}/c.yaml`,
    ]);
  });
});

Deno.test("loadTemplateDir aggregates the problems of every file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/1_good.yaml`, oneStep());
    await Deno.writeTextFile(`${dir}/2_bad.yaml`, oneStep("    retry: { max_attempts: 101 }\n"));
    await Deno.writeTextFile(`${dir}/3_worse.yaml`, "name: [unclosed\n");
    await Deno.writeTextFile(
      `${dir}/4_copy.yaml`,
      oneStep().replace("namespace_name: demo", "namespace_name: Nope"),
    );
    await Deno.writeTextFile(`${dir}/5_dup.yaml`, oneStep());
    const error = await loadTemplateDir(dir).catch((e) => e);
    assert.ok(error instanceof TemplateValidationError);
    assert.deepEqual(
      error.issues.map((issue) => [issue.file?.slice(dir.length + 1), issue.path]),
      [
        ["2_bad.yaml", "steps[0].retry.max_attempts"],
        ["3_worse.yaml", "(root)"],
        ["4_copy.yaml", "namespace_name"],
        ["5_dup.yaml", "(root)"],
      ],
    );
    assert.equal(
      error.issues[3]?.message,
      `template demo/demo@1.0.0 is also defined in ${dir}/1_good.yaml`,
    );
    const lines = error.message.split("\n");
    assert.equal(lines[0], "invalid task template (4 problems):");
    assert.equal(
      lines[1],
      `${dir}/2_bad.yaml:8: steps[0].retry.max_attempts: must be between 0 and 100, got 101`,
    );
  });
});

Deno.test("loadTemplateDir names a missing directory", async () => {
  const error = await loadTemplateDir("/nonexistent/templates").catch((e) => e);
  assert.ok(error instanceof TemplateLoadError);
  assert.equal(error.message, "template directory not found: /nonexistent/templates");
});

Deno.test("every example template in templates/ loads", async () => {
  const templates = await loadTemplateDir(TEMPLATES);
  assert.deepEqual(
    templates.map((t) => `${t.namespace_name}/${t.name}@${t.version}`),
    [
      "diamond_workflow/parallel_computation@1.0.0",
      "domain_events/domain_event_publishing@1.0.0",
      "linear_workflow/mathematical_sequence@1.0.0",
      "mixed_dag_workflow/complex_dag@1.0.0",
      "order_fulfillment/business_workflow@1.0.0",
      "tree_workflow/hierarchical_tree@1.0.0",
    ],
  );
  for (const template of templates) {
    assert.ok(template.description, `${template.name} has a description`);
    assert.ok(template.input_schema, `${template.name} has an input_schema`);
    assert.ok(
      template.source?.endsWith(`/${template.namespace_name}/${template.name}.yaml`),
      `${template.source} is named after its namespace and name`,
    );
    for (const step of template.steps) {
      assert.equal(step.handler.callable, `${template.namespace_name}.${step.name}`);
      assert.ok(step.retry.backoff_base_ms <= 200, `${step.name} retries quickly`);
    }
  }
  assert.deepEqual(allPublisherNames(templates), [
    "InventoryEventPublisher",
    "NotificationEventPublisher",
    "PaymentEventPublisher",
  ]);
  const callables = allCallables(templates);
  assert.equal(callables.length, new Set(callables).size);
  assert.ok(callables.includes("linear_workflow.linear_step_1"));
});

Deno.test("loadTemplateDir follows symlinked files and skips dangling links", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/one.yaml`, oneStep().replace("name: demo", "name: real"));
    await Deno.mkdir(`${dir}/links`);
    await Deno.symlink(`${dir}/real/one.yaml`, `${dir}/links/linked.yaml`);
    await Deno.symlink(`${dir}/nowhere.yaml`, `${dir}/links/dangling.yaml`);
    const templates = await loadTemplateDir(`${dir}/links`);
    assert.deepEqual(templates.map((t) => [t.name, t.source]), [
      ["real", `${dir}/links/linked.yaml`],
    ]);
  });
});
