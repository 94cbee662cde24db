// A second `tasker worker` on the same host: the default port gives way to a free one (said on
// stderr), and a port asked for with --port that is taken is one line naming it and the fix.
import assert from "node:assert/strict";
import { childEnv, CLI_FLAGS, CLI_MAIN, EXAMPLE_TEMPLATES, tasker } from "./_cli.ts";

/** Holds `port` on 127.0.0.1, or nothing when someone else already does: either way it is taken. */
function holdPort(port: number): Deno.Listener | undefined {
  try {
    return Deno.listen({ hostname: "127.0.0.1", port });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return undefined;
    throw error;
  }
}

Deno.test("tasker worker --port N when N is taken: one line naming the port and the fix", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const result = await tasker(["worker", "--templates", EXAMPLE_TEMPLATES, "--port", String(port)]);
  assert.equal(result.code, 1, result.text);
  assert.equal(result.stderr.length, 1, result.text);
  assert.match(
    result.stderr[0]!,
    new RegExp(`^tasker worker: port ${port} on 127\\.0\\.0\\.1 is already in use .*--port`),
  );
});

Deno.test("tasker worker without --port, 8787 taken: serves on a free port and prints it", async () => {
  const held = holdPort(8787);
  try {
    const child = new Deno.Command("deno", {
      args: ["run", ...CLI_FLAGS, CLI_MAIN, "worker", "--templates", EXAMPLE_TEMPLATES],
      env: childEnv(),
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let url: string | undefined;
    while (url === undefined) {
      const chunk = await lines.read();
      if (chunk.done) break;
      text += chunk.value;
      url = /inspector on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    }
    child.kill("SIGTERM");
    while (!(await lines.read()).done) { /* drain */ }
    const status = await child.status;
    assert.ok(url, text);
    assert.match(text, /port 8787 on 127\.0\.0\.1 is already in use .*serving on a free port/);
    assert.notEqual(url, "http://127.0.0.1:8787");
    assert.equal(status.code, 0, text);
  } finally {
    held?.close();
  }
});
