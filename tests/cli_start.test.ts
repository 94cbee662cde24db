// `deno task start` says what it waits for while the embedded database boots, then runs every
// example to the state it is meant to reach.
import assert from "node:assert/strict";
import { childEnv, REPO_ROOT, result } from "./_cli.ts";

Deno.test("start: names the database it is starting before the wait, then exits 0", async () => {
  const output = result(
    await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1",
        `${REPO_ROOT}src/cli/start.ts`,
      ],
      env: childEnv({ OTEL_DENO: "" }),
      stdout: "piped",
      stderr: "piped",
    }).output(),
  );
  assert.equal(output.code, 0, output.stdout + output.text);
  const lines = output.stdout.split("\n");
  const waiting = lines.findIndex((l) => /^starting the embedded database \(PGlite/.test(l));
  const ready = lines.findIndex((l) => l.startsWith("database: "));
  assert.ok(waiting >= 0 && ready > waiting, output.stdout);
  assert.match(output.stdout, /^results:$/m);
});
