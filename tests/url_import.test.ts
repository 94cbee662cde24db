// A Deno service imports `mod.ts` straight from a URL, with no deno.json and no import map.
// This serves the repository over HTTP on 127.0.0.1 and imports it from a separate process whose
// working directory has no configuration, with no permission but importing from that host.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));

const contentTypes: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

function serveRepository(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    const extension = path.slice(path.lastIndexOf("."));
    try {
      const body = await Deno.readFile(`${repoRoot}${path.slice(1)}`);
      return new Response(body, {
        headers: { "content-type": contentTypes[extension] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

const consumer = `
const mod = await import(Deno.args[0] + "/mod.ts");
const template = mod.parseTemplate(\`
name: remote_check
namespace_name: remote
version: 1.0.0
steps:
  - name: only_step
    handler:
      callable: remote.only_step
    publishes_events:
      - name: remote.checked
\`);
const event = mod.buildDomainEvent({
  event_name: template.steps[0].publishes_events[0].name,
  payload: { ok: true },
  task_sequence_step: {},
  execution_result: { success: true },
  metadata: {
    task_uuid: crypto.randomUUID(),
    step_uuid: crypto.randomUUID(),
    step_name: "only_step",
    namespace: template.namespace_name,
    correlation_id: crypto.randomUUID(),
    fired_by: "remote.only_step",
  },
});
console.log(JSON.stringify({ template: template.name, event: event.event_name, version: event.event_version }));
`;

Deno.test("mod.ts imports from a URL with no import map and no deno.json", async () => {
  const server = serveRepository();
  const workDir = await Deno.makeTempDir({ prefix: "tasker-url-import-" });
  try {
    await Deno.writeTextFile(`${workDir}/consumer.ts`, consumer);
    const base = `http://127.0.0.1:${server.addr.port}`;
    // "deno" from PATH, not Deno.execPath(): the test task grants --allow-run=deno by name.
    const output = await new Deno.Command("deno", {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=127.0.0.1:${server.addr.port}`,
        "consumer.ts",
        base,
      ],
      cwd: workDir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `the consumer failed:\n${stderr}`);
    const result = JSON.parse(new TextDecoder().decode(output.stdout).trim());
    assert.deepEqual(result, { template: "remote_check", event: "remote.checked", version: "1.0" });
  } finally {
    await server.shutdown();
    await Deno.remove(workDir, { recursive: true });
  }
});
