// The package's entries as a user meets them: the root stays small enough to read, internals live
// in subpath entries, every entry imports without permissions, and the entries document together
// (every type a signature names is exported by some entry).
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
  exports: Record<string, string>;
};
/** The library entries; `./cli` is a program, not a library entry. */
const libraryEntries = Object.entries(denoJson.exports).filter(([name]) => name !== "./cli");

/** The names an entry exports, from `deno doc --json` (types included). */
async function documentedNames(entry: string): Promise<Set<string>> {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["doc", "--json", entry],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const doc = JSON.parse(new TextDecoder().decode(stdout)) as {
    nodes: Record<string, { symbols?: { name: string }[] }>;
  };
  const names = new Set<string>();
  for (const node of Object.values(doc.nodes)) {
    for (const symbol of node.symbols ?? []) names.add(symbol.name);
  }
  return names;
}

Deno.test("the root entry lists what an application needs, not the internals", async () => {
  const names = await documentedNames("mod.ts");
  // 281 before the subpath split; a user reads this list in `deno doc`.
  assert.ok(names.size <= 120, `mod.ts exports ${names.size} names`);
  for (const needed of ["Tasker", "TaskerOptions", "parseTemplate", "success", "failure"]) {
    assert.ok(names.has(needed), `mod.ts lacks ${needed}`);
  }
  for (
    const needed of ["EventBus", "Subscriber", "DurableConsumer", "DomainEvent", "TaskerError"]
  ) {
    assert.ok(names.has(needed), `mod.ts lacks ${needed}`);
  }
  for (const internal of ["escapeLabelValue", "MIGRATION_LOCK_KEY", "openDatabase", "ActorSpec"]) {
    assert.ok(!names.has(internal), `mod.ts exports the internal ${internal}`);
  }
  for (const wireType of ["WireTask", "WireWorkflowStep", "StepTrace", "WorkerSettings"]) {
    assert.ok(!names.has(wireType), `mod.ts exports ${wireType}`);
  }
});

Deno.test("every library entry imports without permissions", {
  permissions: { read: false, env: false, net: false, run: false, write: false },
}, async () => {
  for (const [name, path] of libraryEntries) {
    const module = await import(new URL(path, root).href);
    assert.ok(Object.keys(module).length > 0, `${name} exports nothing at run time`);
  }
});

Deno.test("the entries document together: doc lint passes over all of them", async () => {
  const { code, stderr } = await new Deno.Command("deno", {
    args: ["doc", "--lint", ...libraryEntries.map(([, path]) => path)],
    cwd: root.pathname,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});

Deno.test("no entry re-exports the root entry wholesale", async () => {
  for (const [name, path] of libraryEntries) {
    if (name === ".") continue;
    const text = await Deno.readTextFile(new URL(path, root));
    assert.doesNotMatch(text, /export (type )?\* from "(\.\.\/)+mod\.ts"/, name);
  }
});
