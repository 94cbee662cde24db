import assert from "node:assert/strict";
import { loadExample, runStep, runWorkflow } from "./_helpers.ts";

const SIX_TO_THE_64 = "63340286662973277706162286946811886609896461828096";

Deno.test("linear_workflow: 6 -> 36 -> 46 -> 138 -> 69", async () => {
  const template = await loadExample("linear_workflow/mathematical_sequence.yaml");
  assert.deepEqual(await runWorkflow(template, { even_number: 6 }), {
    linear_step_1: 36,
    linear_step_2: 46,
    linear_step_3: 138,
    linear_step_4: 69,
  });
  const hundred = await runWorkflow(template, { even_number: 100 });
  assert.equal(hundred.linear_step_4, 15015);
});

Deno.test("diamond_workflow: the branches join to (61 + 72) / 2 = 66.5 for 6", async () => {
  const template = await loadExample("diamond_workflow/parallel_computation.yaml");
  assert.deepEqual(await runWorkflow(template, { even_number: 6 }), {
    diamond_start: 36,
    diamond_branch_b: 61,
    diamond_branch_c: 72,
    diamond_end: 66.5,
  });
});

Deno.test("tree_workflow: the convergence is exactly 6^64 as a decimal string", async () => {
  const template = await loadExample("tree_workflow/hierarchical_tree.yaml");
  const results = await runWorkflow(template, { even_number: 6 });
  assert.equal(SIX_TO_THE_64, (6n ** 64n).toString());
  assert.deepEqual(results, {
    tree_root: 36,
    tree_branch_left: 1296,
    tree_branch_right: 1296,
    tree_leaf_d: 1679616,
    tree_leaf_e: 1679616,
    tree_leaf_f: 1679616,
    tree_leaf_g: 1679616,
    tree_final_convergence: SIX_TO_THE_64,
  });
});

Deno.test("tree_workflow: leaves past 2^53 become strings and still multiply exactly", async () => {
  const template = await loadExample("tree_workflow/hierarchical_tree.yaml");
  const results = await runWorkflow(template, { even_number: 100 });
  assert.equal(results.tree_branch_left, 100_000_000); // 100^4 stays a number
  assert.equal(results.tree_leaf_d, "10000000000000000"); // 100^8 > Number.MAX_SAFE_INTEGER
  assert.equal(results.tree_final_convergence, `1${"0".repeat(128)}`);
});

Deno.test("mixed_dag_workflow: every path is exact and finalize is 6^64", async () => {
  const template = await loadExample("mixed_dag_workflow/complex_dag.yaml");
  assert.deepEqual(await runWorkflow(template, { even_number: 6 }), {
    dag_init: 36,
    dag_process_left: 1296,
    dag_process_right: 1296,
    dag_validate: 2821109907456, // (1296 * 1296)^2 = 6^16, still a safe integer
    dag_transform: 1679616,
    dag_analyze: 1679616,
    dag_finalize: SIX_TO_THE_64, // (6^16 * 6^8 * 6^8)^2
  });
});

const FIRST_STEPS: [string, string][] = [
  ["linear_workflow/mathematical_sequence.yaml", "linear_step_1"],
  ["diamond_workflow/parallel_computation.yaml", "diamond_start"],
  ["tree_workflow/hierarchical_tree.yaml", "tree_root"],
  ["mixed_dag_workflow/complex_dag.yaml", "dag_init"],
];

Deno.test("every arithmetic first step refuses a bad even_number for good", async () => {
  const bad = [3, 0, -2, 102, 6.5, "6", null, undefined];
  for (const [file, stepName] of FIRST_STEPS) {
    const template = await loadExample(file);
    for (const value of bad) {
      const context = value === undefined ? {} : { even_number: value };
      const { result } = await runStep(template, stepName, context);
      const label = `${stepName} with ${JSON.stringify(value)}`;
      assert.equal(result.success, false, label);
      if (result.success) continue;
      assert.equal(result.error.error_type, "ValidationError", label);
      assert.equal(result.error.retryable, false, label);
      assert.match(result.error.message, /even_number/, label);
    }
    for (const good of [2, 100]) {
      assert.equal((await runStep(template, stepName, { even_number: good })).result.success, true);
    }
  }
});

Deno.test("a step whose ancestor result is missing fails permanently, naming it", async () => {
  const template = await loadExample("tree_workflow/hierarchical_tree.yaml");
  const { result } = await runStep(template, "tree_leaf_d", { even_number: 6 }, {});
  assert.equal(result.success, false);
  if (result.success) return;
  assert.equal(result.error.error_type, "InvalidDependencyResult");
  assert.equal(result.error.retryable, false);
  assert.match(result.error.message, /tree_branch_left/);
});
