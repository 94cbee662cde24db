// `tasker templates validate` on tasker-core's files: strict by default (a typo is an error
// with a suggestion), `--lenient` for files from newer Tasker versions (warnings on stderr).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tasker } from "../_cli.ts";

const fixtures = fileURLToPath(new URL("../fixtures/tasker_core_templates/", import.meta.url));

Deno.test("tasker templates validate passes tasker-core's templates, decision and batch ones too", async () => {
  const result = await tasker([
    "templates",
    "validate",
    `${fixtures}tests/fixtures/task_templates/rust`,
  ]);
  assert.equal(result.code, 0, result.text);
  assert.match(
    result.stdout,
    /^ok conditional_approval_rust\/approval_routing@1\.0\.0 \(6 steps\)/m,
  );
  assert.match(result.stdout, /^ok .*batch_processing_example\.yaml$/m);
});

Deno.test("tasker templates validate --lenient turns unknown keys into warnings", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tasker-lenient-" });
  try {
    const file = `${dir}/newer.yaml`;
    await Deno.writeTextFile(
      file,
      "name: newer\nnamespace_name: demo\nversion: 1.0.0\nsteps:\n  - name: a\n    handler: { callable: demo.a }\n    retry_policy_v2: {}\n",
    );
    const strict = await tasker(["templates", "validate", file]);
    assert.equal(strict.code, 1);
    assert.match(
      strict.text,
      /newer\.yaml:7: steps\[0\]\.retry_policy_v2: unknown key "retry_policy_v2"/,
    );
    const lenient = await tasker(["templates", "validate", "--lenient", file]);
    assert.equal(lenient.code, 0, lenient.text);
    assert.match(lenient.stdout, /^ok demo\/newer@1\.0\.0 \(1 steps\)/m);
    assert.match(
      lenient.stderr.join("\n"),
      /^tasker templates: warning: .*newer\.yaml:7: steps\[0\]\.retry_policy_v2: unknown key "retry_policy_v2"/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
