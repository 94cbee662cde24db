// Round trip both ways: deno-tasker's own templates are tasker-core templates (tasker-core's
// loader would register them as written), and the JSON deno-tasker writes in tasker-core's
// stored form loads back into the same template, for our templates and for tasker-core's.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  loadTemplateDir,
  parseTemplate,
  taskerTemplateJson,
  type TaskTemplate,
} from "../../src/template/mod.ts";
import { rawYaml, taskerRejects } from "./_tasker_shape.ts";

const ours = fileURLToPath(new URL("../../templates/", import.meta.url));
const theirs = fileURLToPath(new URL("../fixtures/tasker_core_templates/", import.meta.url));

async function yamlFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const dirs = [dir.replace(/\/$/, "")];
  while (dirs.length > 0) {
    const at = dirs.pop()!;
    for await (const entry of Deno.readDir(at)) {
      if (entry.isDirectory) dirs.push(`${at}/${entry.name}`);
      else if (/\.ya?ml$/.test(entry.name)) files.push(`${at}/${entry.name}`);
    }
  }
  return files.sort();
}

/** The JSON form, read back as a template, written again: it must come out the same. */
function assertFixedPoint(template: TaskTemplate): void {
  const json = taskerTemplateJson(template);
  assert.deepEqual(
    taskerRejects(json),
    [],
    `${template.source}: tasker-core would reject the JSON`,
  );
  const again = parseTemplate(JSON.stringify(json), { environment: template.environment ?? "" });
  assert.deepEqual(taskerTemplateJson(again), json, `${template.source}: JSON round trip differs`);
}

Deno.test("the shape check agrees with tasker-core on its own files", async () => {
  const files = await yamlFiles(theirs);
  const rejected = files.filter((file) =>
    taskerRejects(rawYaml(Deno.readTextFileSync(file))).length > 0
  )
    .map((file) => file.slice(theirs.length));
  // tasker-core's loader rejects the Ruby-symbol files and 4 of the non-templates; the legacy
  // file has zero steps, which serde accepts.
  assert.deepEqual(rejected, [
    "config/system_events.yaml",
    "crates/tasker-grammar/tests/fixtures/workflows/customer_onboarding.yaml",
    "crates/tasker-grammar/tests/fixtures/workflows/ecommerce_order_processing.yaml",
    "crates/tasker-grammar/tests/fixtures/workflows/payment_reconciliation.yaml",
    "crates/tasker-rb/spec/handlers/examples/diamond_workflow/config/diamond_workflow_handler.yaml",
    "crates/tasker-rb/spec/handlers/examples/linear_workflow/config/linear_workflow_handler.yaml",
    "crates/tasker-rb/spec/handlers/examples/mixed_dag_workflow/config/mixed_dag_workflow_handler.yaml",
    "crates/tasker-rb/spec/handlers/examples/order_fulfillment/config/order_fulfillment_handler.yaml",
    "crates/tasker-rb/spec/handlers/examples/tree_workflow/config/tree_workflow_handler.yaml",
  ]);
});

Deno.test("every template in templates/ is a tasker-core template as written", async () => {
  const files = await yamlFiles(ours);
  assert.ok(files.length >= 6);
  for (const file of files) {
    assert.deepEqual(taskerRejects(rawYaml(await Deno.readTextFile(file))), [], file);
  }
});

Deno.test("the shape check notices what tasker-core requires of event declarations", () => {
  const doc = rawYaml(`name: a
namespace_name: demo
version: 1.0.0
steps:
  - name: s
    handler: { callable: demo.s }
    publishes_events: [{ name: demo.done }]
`);
  assert.deepEqual(taskerRejects(doc), [
    "steps[0].publishes_events[0]: missing field `description`",
    "steps[0].publishes_events[0]: missing field `schema`",
  ]);
});

Deno.test("our templates and tasker-core's survive the JSON round trip", async () => {
  for (const template of await loadTemplateDir(ours)) assertFixedPoint(template);
  const loaded = [];
  for (const file of await yamlFiles(theirs)) {
    try {
      loaded.push(parseTemplate(await Deno.readTextFile(file), { file, environment: "test" }));
    } catch {
      // The five files that are not task templates (tasker_core.test.ts covers them).
    }
  }
  assert.equal(loaded.length, 156);
  for (const template of loaded) assertFixedPoint(template);
});
