// `deno publish --dry-run` passes and ships only the library: no tests, scripts, CI, examples.
import assert from "node:assert/strict";
import { childEnv, REPO_ROOT, result } from "./_cli.ts";

Deno.test("the published package holds the library's files only", async () => {
  const output = result(
    await new Deno.Command("deno", {
      args: ["publish", "--dry-run", "--allow-dirty"],
      cwd: REPO_ROOT,
      env: childEnv(),
      stdout: "piped",
      stderr: "piped",
    }).output(),
  );
  const text = output.stdout + output.text;
  assert.equal(output.code, 0, text);
  const files = [...text.matchAll(/file:\/\/\/\S+/g)].map((m) =>
    m[0].slice(`file://${REPO_ROOT}`.length)
  );
  for (const expected of ["mod.ts", "LICENSE", "CHANGELOG.md", "README.md", "src/cli/main.ts"]) {
    assert.ok(files.includes(expected), `${expected} is published`);
  }
  const unwanted = files.filter((f) =>
    /^(tests|scripts|templates|\.ci|\.tmp)\//.test(f) || f === "deno.lock" ||
    f === "src/cli/demo.ts"
  );
  assert.deepEqual(unwanted, []);
});
