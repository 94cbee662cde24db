// The README documents every environment variable the code reads, in its table.
import assert from "node:assert/strict";
import { REPO_ROOT } from "./_cli.ts";

const READS = [
  /readEnv\("([A-Z][A-Z0-9_]*)"\)/g,
  /Deno\.env\.get\("([A-Z][A-Z0-9_]*)"\)/g,
  // A variable named through a constant, e.g. ENVIRONMENT_VARIABLE = "TASKER_ENV".
  /_VARIABLE(?::\s*string)?\s*=\s*"([A-Z][A-Z0-9_]*)"/g,
];

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("README: the environment-variable table names every variable the code reads", async () => {
  const read = new Set<string>();
  for (const dir of ["src", "actors", "templates", "scripts", "tests/fixtures"]) {
    for await (const path of sources(`${REPO_ROOT}${dir}`)) {
      const text = await Deno.readTextFile(path);
      for (const pattern of READS) {
        for (const match of text.matchAll(pattern)) read.add(match[1]!);
      }
    }
  }
  for (const known of ["DATABASE_URL", "TASKER_DATA_DIR", "TASKER_HTTP_TOKEN", "OTEL_DENO"]) {
    assert.ok(read.has(known), `the scan finds ${known}`);
  }
  const readme = await Deno.readTextFile(`${REPO_ROOT}README.md`);
  const start = readme.indexOf("## Environment variables");
  assert.ok(start >= 0, "README has an Environment variables section");
  const table = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const missing = [...read].filter((name) => !table.includes(`\`${name}\``));
  assert.deepEqual(missing, [], `not in the README's table: ${missing.join(", ")}`);
});
