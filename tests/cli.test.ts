// The `tasker` command line, run as a separate `deno run` process: results on stdout, and every
// bad input as one clear line on stderr with a non-zero exit code.
import assert from "node:assert/strict";
import { uniqueName } from "./_db.ts";
import { EXAMPLE_TEMPLATES as templates, tasker as runCli, tempDir } from "./_cli.ts";

const tasker = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

Deno.test("tasker templates validate: ok for the examples, every problem for a bad file", async () => {
  const ok = await tasker(["templates", "validate", templates]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /^ok linear_workflow\/mathematical_sequence@1\.0\.0 \(4 steps\)/m);
  const dir = await Deno.makeTempDir({ prefix: "tasker-cli-" });
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      "name: bad\nnamespace_name: Bad-NS\nversion: 1.0.0\nsteps:\n  - name: a\n    handler: { callable: x.a }\n    dependencies: [nope]\n",
    );
    const bad = await tasker(["templates", "validate", file]);
    assert.equal(bad.code, 1);
    // Every problem, one per line, each with file:line and field path.
    assert.match(bad.text, /bad\.yaml:2: namespace_name: /);
    assert.match(bad.text, /bad\.yaml:7: steps\[0\]\.dependencies\[0\]: .*nope/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tasker: bad command lines exit 2 with one line", async () => {
  const json = await tasker(["run", "linear_workflow/mathematical_sequence", "--context", "{bad"]);
  assert.equal(json.code, 2);
  assert.match(json.stderr.join("\n"), /^tasker run: --context is not valid JSON/);
  const ref = await tasker(["run", "not-a-ref", "--context", "{}"]);
  assert.equal(ref.code, 2);
  assert.match(ref.stderr.join("\n"), /<namespace>\/<name>\[@version\]/);
  const unknown = await tasker(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr[0]!, /unknown command "frobnicate"/);
});

Deno.test("tasker: an unreachable database is one line naming host:port, never the password", async () => {
  const result = await tasker(["status", "01a20000-0000-7000-8000-000000000000"], {
    DATABASE_URL: "postgres://someone:hunter2@127.0.0.1:1/tasker",
  });
  assert.equal(result.code, 1);
  assert.equal(result.stderr.length, 1);
  assert.match(result.stderr[0]!, /^tasker status: .*127\.0\.0\.1:1/);
  assert.ok(!result.stderr[0]!.includes("hunter2"));
});

Deno.test("tasker run: an unknown template and a context failing input_schema exit 1", async () => {
  const missing = await tasker(["run", "linear_workflow/nope", "--context", "{}"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr.join("\n"), /^tasker run: no task template linear_workflow\/nope/);
  const invalid = await tasker([
    "run",
    "linear_workflow/mathematical_sequence",
    "--context",
    '{"even_number": 7}',
  ]);
  assert.equal(invalid.code, 1);
  assert.match(
    invalid.stderr.join("\n"),
    /fails its input_schema: \/even_number must be multiple of 2/,
  );
});

// On the embedded database in a data directory, and on the server named by DATABASE_URL when set
// (there with a namespace of its own, since other tests share the server).
const serverUrl = Deno.env.get("DATABASE_URL");
for (const target of ["pglite", ...(serverUrl ? ["postgres"] : [])]) {
  Deno.test(`tasker run --json, then events reads the durable queue without consuming it [${target}]`, async () => {
    await using dir = await tempDir("tasker-cli-data-");
    const namespace = target === "pglite" ? "domain_events" : uniqueName("cli_events");
    const templatesDir = `${dir.path}/templates`;
    await Deno.mkdir(templatesDir);
    const yaml = await Deno.readTextFile(
      `${templates}/domain_events/domain_event_publishing.yaml`,
    );
    await Deno.writeTextFile(
      `${templatesDir}/orders.yaml`,
      yaml.replace(/^namespace_name: .*$/m, `namespace_name: ${namespace}`),
    );
    const env: Record<string, string> = target === "pglite"
      ? { TASKER_DATA_DIR: `${dir.path}/data` }
      : { DATABASE_URL: serverUrl! };
    const run = await tasker([
      "run",
      `${namespace}/domain_event_publishing`,
      "--templates",
      templatesDir,
      "--handlers",
      `${templates}/mod.ts`,
      "--context",
      '{"order_id": "ORD-CLI", "customer_id": "C-1", "amount": 12.5}',
      "--json",
    ], env);
    assert.equal(run.code, 0, run.text);
    const report = JSON.parse(run.stdout);
    assert.equal(report.status, "complete");
    assert.equal(report.steps.process_payment.state, "complete");
    const durable = report.events.filter((e: { delivery_mode: string }) =>
      e.delivery_mode !== "fast"
    );
    assert.equal(durable.length, 3);
    for (let i = 0; i < 2; i++) {
      const events = await tasker(["events", namespace], env);
      assert.equal(events.code, 0);
      const ids = events.stdout.trim().split("\n").map((line) => JSON.parse(line).event_id);
      assert.deepEqual(
        ids.sort(),
        durable.map((e: { event_id: string }) => e.event_id).sort(),
        `read ${i + 1}: every durable event, still there`,
      );
    }
    // --limit is how many events are printed, not a page size.
    for (const limit of [1, 2]) {
      const some = await tasker(["events", namespace, "--limit", String(limit)], env);
      assert.equal(some.code, 0, some.text);
      assert.equal(some.stdout.trim().split("\n").length, limit);
    }
    const payments = await tasker(
      ["events", namespace, "--pattern", "payment.#", "--limit", "5"],
      env,
    );
    assert.deepEqual(
      payments.stdout.trim().split("\n").map((line) => JSON.parse(line).event_name),
      ["payment.processed"],
    );
  });
}
