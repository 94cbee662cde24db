import assert from "node:assert/strict";
import {
  compareVersions,
  DuplicateTemplateError,
  parseTemplate,
  type TaskTemplate,
  TemplateNotFoundError,
  TemplateRegistry,
} from "../../src/template/mod.ts";

function template(namespace: string, name: string, version: string): TaskTemplate {
  return parseTemplate(
    `name: ${name}\nnamespace_name: ${namespace}\nversion: "${version}"\n` +
      `steps: [{ name: s, handler: { callable: ${namespace}.s } }]\n`,
    { file: `${namespace}/${name}/${version}.yaml` },
  );
}

Deno.test("compareVersions compares segments numerically", () => {
  assert.ok(compareVersions("1.10.0", "1.9.0") > 0);
  assert.ok(compareVersions("2.0.0", "10.0.0") < 0);
  assert.equal(compareVersions("1.0", "1.0.0"), 0);
  assert.ok(compareVersions("1.0.0-rc.1", "1.0.0") < 0);
  assert.ok(compareVersions("1.0.0-rc.2", "1.0.0-rc.10") < 0);
  assert.deepEqual(
    ["1.10.0", "1.2.0", "1.9.1", "0.9.0"].sort(compareVersions),
    ["0.9.0", "1.2.0", "1.9.1", "1.10.0"],
  );
});

Deno.test("get returns the latest version when none is given", () => {
  const registry = TemplateRegistry.fromTemplates([
    template("shop", "checkout", "1.9.0"),
    template("shop", "checkout", "1.10.0"),
    template("shop", "checkout", "1.2.0"),
  ]);
  assert.equal(registry.get("shop", "checkout")?.version, "1.10.0");
  assert.equal(registry.get("shop", "checkout", "1.9.0")?.version, "1.9.0");
  assert.equal(registry.get("shop", "checkout", "3.0.0"), undefined);
  assert.equal(registry.get("shop", "refund"), undefined);
  assert.equal(registry.require("shop", "checkout").version, "1.10.0");
});

Deno.test("require names what was asked and lists the available versions", () => {
  const registry = TemplateRegistry.fromTemplates([
    template("shop", "checkout", "1.0.0"),
    template("shop", "checkout", "1.1.0"),
  ]);
  const missingVersion = (() => {
    try {
      registry.require("shop", "checkout", "2.0.0");
    } catch (error) {
      return error;
    }
    return undefined;
  })();
  assert.ok(missingVersion instanceof TemplateNotFoundError);
  assert.equal(missingVersion.code, "E_TEMPLATE_NOT_FOUND");
  assert.equal(
    missingVersion.message,
    "no task template shop/checkout@2.0.0; available versions: 1.0.0, 1.1.0",
  );
  assert.deepEqual(missingVersion.available, ["1.0.0", "1.1.0"]);
  assert.throws(
    () => registry.require("shop", "refund"),
    {
      name: "TemplateNotFoundError",
      message: "no task template shop/refund; no versions of shop/refund are registered",
    },
  );
});

Deno.test("add rejects a duplicate namespace, name and version", () => {
  const registry = new TemplateRegistry();
  registry.add(template("shop", "checkout", "1.0.0"));
  registry.add(template("shop", "checkout", "1.0.1"));
  registry.add(template("blog", "checkout", "1.0.0"));
  assert.throws(() => registry.add(template("shop", "checkout", "1.0.0")), (error) => {
    assert.ok(error instanceof DuplicateTemplateError);
    assert.equal(error.code, "E_TEMPLATE_DUPLICATE");
    assert.equal(
      error.message,
      "template shop/checkout@1.0.0 is already registered " +
        "(shop/checkout/1.0.0.yaml and shop/checkout/1.0.0.yaml)",
    );
    return true;
  });
});

Deno.test("list and namespaces are sorted", () => {
  const registry = TemplateRegistry.fromTemplates([
    template("shop", "refund", "1.0.0"),
    template("blog", "publish", "2.0.0"),
    template("shop", "checkout", "1.10.0"),
    template("shop", "checkout", "1.9.0"),
  ]);
  assert.deepEqual(
    registry.list().map((t) => `${t.namespace_name}/${t.name}@${t.version}`),
    ["blog/publish@2.0.0", "shop/checkout@1.9.0", "shop/checkout@1.10.0", "shop/refund@1.0.0"],
  );
  assert.deepEqual(registry.namespaces(), ["blog", "shop"]);
});

Deno.test("fromDir loads the example templates", async () => {
  const registry = await TemplateRegistry.fromDir(
    new URL("../../templates/", import.meta.url).pathname,
  );
  const template = registry.require("domain_events", "domain_event_publishing");
  assert.equal(template.version, "1.0.0");
  assert.equal(registry.namespaces().length, 6);
});
