import assert from "node:assert/strict";
import { captureConsole } from "../_console.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { AdHocPublisher } from "../../src/worker/ad_hoc_events.ts";
import type { PreparedEvent } from "../../src/worker/event_router.ts";
import { demoStepContext } from "./_step_context.ts";

function publisher(route: (prepared: PreparedEvent) => void): AdHocPublisher {
  return new AdHocPublisher({ templates: new TemplateRegistry(), router: { route } });
}

const capture = captureConsole;

Deno.test("a closed ad-hoc publisher drops publishDomainEvent with one debug line", async () => {
  const routed: PreparedEvent[] = [];
  const adHoc = publisher((prepared) => void routed.push(prepared));
  adHoc.close();
  const ctx = demoStepContext(adHoc.publish);
  const lines = await capture("debug", () => ctx.publishDomainEvent("demo.greeted", { n: 1 }));
  assert.equal(lines.length, 1);
  assert.match(String(lines[0]![0]), /demo\.greeted .*no publisher attached/);
  assert.equal(routed.length, 0);
});

Deno.test("an open ad-hoc publisher routes each call as a durable event", async () => {
  const routed: PreparedEvent[] = [];
  const adHoc = publisher((prepared) => void routed.push(prepared));
  const ctx = demoStepContext(adHoc.publish);
  const debug = await capture("debug", () => ctx.publishDomainEvent("demo.greeted", { n: 2 }));
  assert.deepEqual(debug, []);
  assert.deepEqual(
    routed.map((r) => [r.event.event_name, r.event.payload.payload, r.event.metadata.step_name]),
    [["demo.greeted", { n: 2 }, "hello"]],
  );
  assert.equal(routed[0]!.delivery_mode, "durable");
  assert.equal(routed[0]!.event.metadata.fired_by, "publishDomainEvent");

  adHoc.close(); // the worker stopped: a handler still running publishes nothing more
  const dropped = await capture("debug", () => ctx.publishDomainEvent("demo.ignored", {}));
  assert.equal(dropped.length, 1);
  assert.equal(routed.length, 1);
});

Deno.test("a failing ad-hoc publish does not reach the handler", async () => {
  const adHoc = publisher(() => {
    throw new Error("writer buffer full");
  });
  const ctx = demoStepContext(adHoc.publish);
  const lines = await capture("error", () => ctx.publishDomainEvent("demo.greeted", {}));
  assert.equal(lines.length, 1);
  assert.match(String(lines[0]![0]), /writer buffer full/);
  assert.equal(adHoc.failed, 1);
});
