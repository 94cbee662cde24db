import assert from "node:assert/strict";
import { parseTemplate } from "../../src/template/load.ts";
import {
  DuplicateHandlerError,
  HandlerRegistry,
  InvalidHandlerError,
  MissingHandlersError,
  UnknownHandlerError,
} from "../../src/worker/handler_registry.ts";
import { type StepHandlerFunction, success } from "../../src/worker/step_handler.ts";
import { demoStepContext } from "./_step_context.ts";

const ok: StepHandlerFunction = () => success(null);

function template(namespace: string, name: string, steps: [string, string][]) {
  const lines = steps.map(([step, callable]) =>
    `  - name: ${step}\n    handler: { callable: ${callable} }`
  );
  return parseTemplate(
    `name: ${name}\nnamespace_name: ${namespace}\nversion: 2.1.0\nsteps:\n${lines.join("\n")}\n`,
    { file: `${namespace}/${name}.yaml` },
  );
}

Deno.test("register, get, has and callables", () => {
  const object = { call: ok };
  const registry = new HandlerRegistry().register("demo.b", ok).register("demo.a", object);
  assert.equal(registry.get("demo.b"), ok);
  assert.equal(registry.get("demo.a"), object);
  assert.equal(registry.has("demo.a"), true);
  assert.equal(registry.has("demo.c"), false);
  assert.equal(registry.get("demo.c"), undefined);
  assert.deepEqual(registry.callables(), ["demo.a", "demo.b"]);
});

Deno.test("a duplicate callable is refused with a typed error naming it", () => {
  const registry = new HandlerRegistry().register("demo.a", ok);
  assert.throws(() => registry.register("demo.a", ok), (error: unknown) => {
    assert.ok(error instanceof DuplicateHandlerError);
    assert.equal(error.code, "E_DUPLICATE_HANDLER");
    assert.equal(error.callable, "demo.a");
    assert.match(error.message, /"demo\.a"/);
    return true;
  });
  assert.throws(
    () => new HandlerRegistry().registerAll({ "x.a": ok }).registerAll({ "x.b": ok, "x.a": ok }),
    DuplicateHandlerError,
  );
});

Deno.test("an empty callable or a non-callable handler is refused", () => {
  const registry = new HandlerRegistry();
  assert.throws(() => registry.register("", ok), InvalidHandlerError);
  assert.throws(() => registry.register("demo.a", {} as never), /call\(ctx\)/);
  assert.throws(() => registry.register("demo.a", { call: 5 } as never), InvalidHandlerError);
  assert.throws(() => registry.register("demo.a", null as never), InvalidHandlerError);
  assert.deepEqual(registry.callables(), []);
});

Deno.test("resolve gives a function; an object's call keeps its this", async () => {
  const greeter = {
    greeting: "hi",
    call(this: { greeting: string }) {
      return success(this.greeting);
    },
  };
  const registry = new HandlerRegistry().register("demo.fn", ok).register("demo.obj", greeter);
  assert.equal(registry.resolve("demo.fn"), ok);
  const ctx = demoStepContext();
  assert.deepEqual(await registry.resolve("demo.obj")(ctx), success("hi"));
});

Deno.test("resolving an unknown callable names it and lists close matches", () => {
  const registry = new HandlerRegistry().registerAll({
    "linear_workflow.linear_step_1": ok,
    "linear_workflow.linear_step_2": ok,
    "orders.charge_card": ok,
  });
  assert.throws(() => registry.resolve("linear_workflow.linear_step_3"), (error: unknown) => {
    assert.ok(error instanceof UnknownHandlerError);
    assert.equal(error.code, "E_UNKNOWN_HANDLER");
    assert.equal(error.callable, "linear_workflow.linear_step_3");
    assert.deepEqual(error.suggestions, [
      "linear_workflow.linear_step_1",
      "linear_workflow.linear_step_2",
    ]);
    assert.match(error.message, /"linear_workflow\.linear_step_3".*did you mean/);
    return true;
  });
  // The right step in another namespace is suggested too.
  assert.throws(
    () => registry.resolve("payments.charge_card"),
    (error: unknown) =>
      error instanceof UnknownHandlerError &&
      error.suggestions.includes("orders.charge_card"),
  );
  assert.throws(
    () => registry.resolve("zzz"),
    (error: unknown) => error instanceof UnknownHandlerError && error.suggestions.length === 0,
  );
});

Deno.test("validate lists every step without a handler, across templates", () => {
  const templates = [
    template("shop", "orders", [
      ["validate", "shop.validate"],
      ["charge", "shop.charge"],
      ["recharge", "shop.charge"],
    ]),
    template("mail", "notify", [["send", "mail.send"], ["log", "shared.log"]]),
  ];
  const registry = new HandlerRegistry().registerAll({ "shop.validate": ok, "shared.log": ok });
  const missing = registry.validate(templates);
  assert.deepEqual(
    missing.map(({ callable, namespace, template, version, step, source }) => ({
      callable,
      namespace,
      template,
      version,
      step,
      source,
    })),
    [
      {
        callable: "shop.charge",
        namespace: "shop",
        template: "orders",
        version: "2.1.0",
        step: "charge",
        source: "shop/orders.yaml",
      },
      {
        callable: "shop.charge",
        namespace: "shop",
        template: "orders",
        version: "2.1.0",
        step: "recharge",
        source: "shop/orders.yaml",
      },
      {
        callable: "mail.send",
        namespace: "mail",
        template: "notify",
        version: "2.1.0",
        step: "send",
        source: "mail/notify.yaml",
      },
    ],
  );
  registry.registerAll({ "shop.charge": ok, "mail.send": ok });
  assert.deepEqual(registry.validate(templates), []);
});

Deno.test("assertValid throws one error listing every missing handler", () => {
  const templates = [
    template("shop", "orders", [["validate", "shop.validate"], ["charge", "shop.charge"]]),
    template("mail", "notify", [["send", "mail.send"]]),
  ];
  const registry = new HandlerRegistry().register("shop.validat", ok);
  assert.throws(() => registry.assertValid(templates), (error: unknown) => {
    assert.ok(error instanceof MissingHandlersError);
    assert.equal(error.code, "E_MISSING_HANDLERS");
    assert.equal(error.missing.length, 3);
    assert.match(error.message, /^3 step\(s\) have no registered handler/);
    assert.match(
      error.message,
      /shop\/orders@2\.1\.0 \(shop\/orders\.yaml\) step validate: no handler for "shop\.validate" \(did you mean "shop\.validat"\?\)/,
    );
    assert.match(error.message, /step charge: no handler for "shop\.charge"/);
    assert.match(error.message, /mail\/notify@2\.1\.0 .*step send: no handler for "mail\.send"/);
    return true;
  });
  new HandlerRegistry().registerAll({ "shop.validate": ok, "shop.charge": ok, "mail.send": ok })
    .assertValid(templates);
});
