// Bad command lines are refused with one line on stderr and exit code 2, before anything runs;
// every flag a command accepts is in `--help` and in the README's table.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { EXAMPLE_TEMPLATES, tasker, tempDir } from "./_cli.ts";

const REF = "linear_workflow/mathematical_sequence";

function assertRefused(result: { code: number; stderr: string[]; text: string }, pattern: RegExp) {
  assert.equal(result.code, 2, result.text);
  assert.equal(result.stderr.length, 1, result.text);
  assert.match(result.stderr[0]!, pattern);
}

Deno.test("tasker: extra positional arguments are refused, naming the first", async () => {
  const cases: [string[], RegExp][] = [
    [["run", REF, "extra"], /^tasker run: unexpected argument "extra"/],
    [["submit", REF, "extra"], /^tasker submit: unexpected argument "extra"/],
    [["status", "01a20000-0000-7000-8000-000000000000", "x"], /^tasker status: unexpected .*"x"/],
    [["events", "domain_events", "more"], /^tasker events: unexpected argument "more"/],
    [["worker", "now"], /^tasker worker: unexpected argument "now" \(expected no arguments\)/],
    [["templates", "validate", "a", "b"], /^tasker templates: unexpected argument "b"/],
    [["init", "a", "b"], /^tasker init: unexpected argument "b"/],
  ];
  const results = await Promise.all(cases.map(([args]) => tasker(args)));
  results.forEach((result, i) => assertRefused(result, cases[i]![1]));
});

Deno.test("tasker: numbers out of range are refused with their unit", async () => {
  const cases: [string[], RegExp][] = [
    [["worker", "--concurrency", "0"], /^tasker worker: --concurrency must be at least 1/],
    [["worker", "--port", "70000"], /^tasker worker: --port must be at most 65535, got 70000/],
    [["worker", "--lease", "0"], /^tasker worker: --lease must be at least 1 \(s\)/],
    [["events", "domain_events", "--limit", "0"], /^tasker events: --limit must be at least 1/],
    [["events", "domain_events", "--interval", "0"], /--interval must be at least 1 \(ms\)/],
    [["run", REF, "--timeout", "0"], /^tasker run: --timeout must be at least 1 \(ms\)/],
    [["run", REF, "--timeout", "5s"], /^tasker run: --timeout must be a whole number \(ms\)/],
  ];
  const results = await Promise.all(cases.map(([args]) => tasker(args)));
  results.forEach((result, i) => assertRefused(result, cases[i]![1]));
});

Deno.test("tasker worker: an unknown namespace is refused, listing the templates' namespaces", async () => {
  const result = await tasker(
    ["worker", "--templates", EXAMPLE_TEMPLATES, "--namespaces", "linear_workflow,nope"],
  );
  assertRefused(result, /^tasker worker: --namespaces: no template in .* has namespace nope/);
  assert.match(result.stderr[0]!, /namespaces: .*linear_workflow/);
});

Deno.test("tasker templates validate: a directory without templates is refused", async () => {
  await using dir = await tempDir("tasker-cli-empty-");
  await Deno.writeTextFile(`${dir.path}/README.txt`, "not a template");
  assertRefused(
    await tasker(["templates", "validate", dir.path]),
    /^tasker templates: no templates \(\*\.yaml, \*\.yml\) in /,
  );
});

Deno.test("tasker run: a handler that never settles ends with the timeout message, exit 1", async () => {
  await using dir = await tempDir("tasker-cli-hang-");
  await Deno.mkdir(`${dir.path}/templates`);
  await Deno.writeTextFile(
    `${dir.path}/templates/hang.yaml`,
    "name: hang\nnamespace_name: hangs\nversion: 1.0.0\nsteps:\n" +
      "  - name: forever\n    handler: { callable: hangs.forever }\n",
  );
  // Ignores its signal too: the worst case.
  await Deno.writeTextFile(
    `${dir.path}/handlers.ts`,
    "export function registerHandlers(handlers: { register(n: string, h: () => unknown): void }) {\n" +
      '  handlers.register("hangs.forever", () => new Promise(() => {}));\n}\n',
  );
  const result = await tasker(["run", "hangs/hang", "--timeout", "500"], { cwd: dir.path });
  assert.equal(result.code, 1, result.text);
  assert.match(result.text, /tasker run: task \S+ did not finish within 500 ms \(state /);
  assert.doesNotMatch(result.text, /Top-level await/);
});

/** The flags a command accepts, as its own "unknown option" error lists them. */
async function acceptedFlags(command: string[]): Promise<string[]> {
  const result = await tasker([...command, "--no-such-flag"]);
  assert.equal(result.code, 2, result.text);
  const known = /\(known: ([^)]*)\)/.exec(result.stderr[0] ?? "")?.[1];
  return known ? known.split(", ") : [];
}

Deno.test("tasker --help and the README's table name every flag of every command", async () => {
  const commands = [["init"], ["run", REF], ["submit", REF], ["status", "x"], ["worker"], [
    "events",
    "domain_events",
  ], ["templates", "validate", "x"]];
  const flags = (await Promise.all(commands.map(acceptedFlags))).flat();
  for (const expected of ["--context", "--timeout", "--concurrency", "--limit", "--no-http"]) {
    assert.ok(flags.includes(expected), `${expected} among ${flags.join(" ")}`);
  }
  const help = await tasker(["--help"]);
  assert.equal(help.code, 0);
  const readme = await Deno.readTextFile(fileURLToPath(new URL("../README.md", import.meta.url)));
  const section = readme.slice(
    readme.indexOf("## Command line"),
    readme.indexOf("## Observability"),
  );
  for (const flag of [...new Set(flags), "--cwd"]) {
    assert.match(help.stdout, new RegExp(`${flag}\\b`), `${flag} in --help`);
    assert.ok(section.includes(`\`${flag}`), `${flag} in the README's command-line section`);
  }
  // Per-command help prints the same.
  assert.equal((await tasker(["run", "--help"])).stdout, help.stdout);
});
