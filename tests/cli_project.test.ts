// The CLI works from the user's project: `tasker init` scaffolds one that runs and tests at once,
// every path is relative to where the command was typed (also through `deno task tasker`), and
// the CLI runs straight from a URL.
import assert from "node:assert/strict";
import { librarySpecifiers } from "../src/cli/init.ts";
import { childEnv, EXAMPLE_TEMPLATES, REPO_ROOT, result, tasker, tempDir } from "./_cli.ts";

Deno.test("tasker init scaffolds a project that runs, tests and validates at once", async () => {
  await using dir = await tempDir("tasker-init-");
  const init = await tasker(["init", "project"], { cwd: dir.path });
  assert.equal(init.code, 0, init.text);
  assert.match(init.stdout, /created project\/templates\/greeting\.yaml/);
  const project = `${dir.path}/project`;

  // No flags: ./templates and ./handlers.ts are the defaults.
  const run = await tasker(["run", "hello/greeting", "--context", '{"name": "Ada"}', "--json"], {
    cwd: project,
  });
  assert.equal(run.code, 0, run.text);
  const report = JSON.parse(run.stdout);
  assert.equal(report.status, "complete");
  assert.deepEqual(report.steps.shout.result, { shouted: "HELLO, ADA!" });
  assert.deepEqual(report.events.map((e: { event_name: string }) => e.event_name).sort(), [
    "greeting.composed",
    "greeting.shouted",
  ]);

  // Its own tasks: the test (type-checked against the library) and validation.
  for (
    const [task, expected] of [["test", /3 passed/], ["validate", /ok hello\/greeting@1\.0\.0/]]
  ) {
    const output = result(
      await new Deno.Command("deno", {
        args: ["task", task as string],
        cwd: project,
        env: childEnv(),
        stdout: "piped",
        stderr: "piped",
      }).output(),
    );
    assert.equal(output.code, 0, `deno task ${task}:\n${output.stdout}\n${output.text}`);
    assert.match(output.stdout + output.text, expected as RegExp);
  }

  // A second init never overwrites.
  const again = await tasker(["init", "project"], { cwd: dir.path });
  assert.equal(again.code, 1);
  assert.match(again.stderr[0]!, /^tasker init: project\/deno\.json already exists/);
});

Deno.test("tasker: paths are relative to the current directory, also via deno task", async () => {
  await using dir = await tempDir("tasker-cwd-");
  const sub = `${dir.path}/sub`;
  await Deno.mkdir(`${sub}/templates`, { recursive: true });
  const template = await Deno.readTextFile(
    `${EXAMPLE_TEMPLATES}/linear_workflow/mathematical_sequence.yaml`,
  );
  await Deno.writeTextFile(`${sub}/templates/only.yaml`, template);

  // `templates validate templates` from sub validates sub/templates, not the bundled examples.
  const local = await tasker(["templates", "validate", "templates"], { cwd: sub });
  assert.equal(local.code, 0, local.text);
  assert.deepEqual(local.stdout.trim().split("\n").length, 1);
  assert.match(local.stdout, /templates\/only\.yaml/);

  // Through the repository's `deno task tasker`, which runs in the repository's directory.
  const viaTask = result(
    await new Deno.Command("deno", {
      args: ["task", "--config", `${REPO_ROOT}deno.json`, "tasker", "templates", "validate", "."],
      cwd: `${sub}/templates`,
      // As from a user's shell: without the INIT_CWD that the suite's own `deno task test` set
      // (`deno task` keeps an INIT_CWD it inherits).
      clearEnv: true,
      env: withoutInitCwd(childEnv()),
      stdout: "piped",
      stderr: "piped",
    }).output(),
  );
  assert.equal(viaTask.code, 0, viaTask.text);
  assert.equal(viaTask.stdout.trim().split("\n").length, 1, viaTask.stdout);
  assert.match(viaTask.stdout, /only\.yaml/);

  // --cwd does the same for any invocation; --handlers ./x.ts is found there.
  await Deno.writeTextFile(
    `${sub}/my_handlers.ts`,
    `export { registerExamples as registerHandlers } from ${
      JSON.stringify(`${REPO_ROOT}templates/mod.ts`)
    };\n`,
  );
  const run = await tasker([
    "--cwd",
    sub,
    "run",
    "linear_workflow/mathematical_sequence",
    "--handlers",
    "./my_handlers.ts",
    "--context",
    '{"even_number": 6}',
    "--json",
  ], { cwd: dir.path });
  assert.equal(run.code, 0, run.text);
  assert.equal(JSON.parse(run.stdout).steps.linear_step_4.result, 69);

  // A directory without ./templates and without --templates says it uses the bundled examples.
  const bare = await tasker(["submit", "linear_workflow/nope"], { cwd: dir.path });
  assert.match(bare.text, /no \.\/templates in .*; using the bundled example templates/);
});

Deno.test({
  name: "tasker runs from a URL: init writes imports of that URL, validate reads local files",
  async fn() {
    await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, serveRepo);
    const base = `http://127.0.0.1:${server.addr.port}/`;
    await using dir = await tempDir("tasker-url-");
    const main = `${base}src/cli/main.ts`;
    const env = { DENO_NO_UPDATE_CHECK: "1" };
    const init = await tasker(["init"], { cwd: dir.path, main, env });
    assert.equal(init.code, 0, init.text);
    const config = JSON.parse(await Deno.readTextFile(`${dir.path}/deno.json`));
    assert.equal(config.imports["@deno-tasker/tasker"], `${base}mod.ts`);
    assert.match(config.tasks.run, new RegExp(`${main.replaceAll(".", "\\.")} run hello/greeting`));
    const validate = await tasker(["templates", "validate", "templates"], {
      cwd: dir.path,
      main,
      env,
    });
    assert.equal(validate.code, 0, validate.text);
    assert.match(validate.stdout, /^ok hello\/greeting@1\.0\.0 \(2 steps\)/);
    // From a URL there are no bundled examples to fall back on: the fix is named.
    await Deno.remove(`${dir.path}/templates`, { recursive: true });
    const none = await tasker(["submit", "hello/greeting"], { cwd: dir.path, main, env });
    assert.equal(none.code, 2, none.text);
    assert.match(none.stderr[0]!, /no \.\/templates directory in .*: pass --templates DIR/);
  },
});

async function serveRepo(request: Request): Promise<Response> {
  const path = decodeURIComponent(new URL(request.url).pathname);
  if (path.includes("..")) return new Response("bad path", { status: 400 });
  try {
    const body = await Deno.readFile(`${REPO_ROOT}${path.slice(1)}`);
    const type = path.endsWith(".json") ? "application/json" : "application/typescript";
    return new Response(body, { headers: { "content-type": type } });
  } catch {
    return new Response("not found", { status: 404 });
  }
}

Deno.test("tasker init imports the library from where the CLI came from: JSR, a URL, files", () => {
  const jsr = librarySpecifiers("https://jsr.io/@deno-tasker/tasker/0.3.1/src/cli/init.ts");
  assert.deepEqual(jsr, {
    mod: "jsr:@deno-tasker/tasker@^0.3.1",
    testing: "jsr:@deno-tasker/tasker@^0.3.1/testing",
    cli: "jsr:@deno-tasker/tasker@^0.3.1/cli",
  });
  const url = librarySpecifiers("https://example.com/deno-tasker/v1/src/cli/init.ts");
  assert.equal(url.mod, "https://example.com/deno-tasker/v1/mod.ts");
  assert.equal(url.testing, "https://example.com/deno-tasker/v1/src/testing/mod.ts");
  assert.equal(url.cli, "https://example.com/deno-tasker/v1/src/cli/main.ts");
});

/** This process's environment with `overrides`, less `INIT_CWD`. */
function withoutInitCwd(overrides: Record<string, string>): Record<string, string> {
  const env = { ...Deno.env.toObject(), ...overrides };
  delete env.INIT_CWD;
  return env;
}
