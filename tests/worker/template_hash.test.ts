// A template's content hash names what it means, not where its file is or how it is laid out.
import assert from "node:assert/strict";
import { loadTemplateFile, parseTemplate } from "../../src/template/load.ts";
import { templateHash } from "../../src/worker/template_hash.ts";

const YAML = `name: pair
namespace_name: hashing
version: 1.0.0
steps:
  - name: first
    handler: { callable: test.step }
  - name: second
    handler: { callable: test.step }
    dependencies: [first]
`;

Deno.test("the same template loaded from two directories has one hash; an edit changes it", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const loaded = [];
    for (const dir of dirs) {
      await Deno.writeTextFile(`${dir}/pair.yaml`, YAML);
      loaded.push(await loadTemplateFile(`${dir}/pair.yaml`));
    }
    const [a, b] = await Promise.all(loaded.map(templateHash));
    assert.match(a!, /^[0-9a-f]{64}$/);
    assert.equal(a, b);
    // Key order and layout do not matter; content does.
    const reordered = parseTemplate(
      YAML.replace("name: pair\nnamespace_name: hashing", "namespace_name: hashing\nname: pair"),
    );
    assert.equal(await templateHash(reordered), a);
    const edited = parseTemplate(YAML.replace("dependencies: [first]", "dependencies: []"));
    assert.notEqual(await templateHash(edited), a);
  } finally {
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
});
