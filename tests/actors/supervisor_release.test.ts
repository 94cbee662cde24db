import assert from "node:assert/strict";
import { ActorSystem } from "../../src/actors/system.ts";
import { EventBus } from "../../src/bus/event_bus.ts";

const idle = () => ({ receive() {} });

Deno.test("system: a closed group is let go once its last actor is removed", async () => {
  await using system = new ActorSystem();
  const start = system.supervisorCount;
  for (let i = 0; i < 100; i++) {
    // what a bus does per subscriber: a group of one, closed, then its actor removed
    const group = system.spawnSupervisor(`group:${i}`);
    const ref = group.spawn<string>({ name: `member_${i}`, factory: idle });
    ref.tell("x");
    await group.close({ deadlineMs: 100 });
    await ref.stop();
  }
  assert.equal(system.supervisorCount, start);
  assert.equal(system.stats().processed, 100);
});

Deno.test("system: a group closed while empty is let go", async () => {
  await using system = new ActorSystem();
  const start = system.supervisorCount;
  const group = system.spawnSupervisor("never-used");
  assert.equal(system.supervisorCount, start + 1);
  await group.close({ deadlineMs: 0 });
  assert.equal(system.supervisorCount, start);
});

Deno.test("system: subscribing and unsubscribing on a shared system leaves no supervisor behind", async () => {
  await using system = new ActorSystem();
  await using bus = new EventBus({ system });
  const start = system.supervisorCount;
  for (let i = 0; i < 100; i++) {
    const subscription = bus.subscribe("order.*", () => {}, { name: "churn" });
    await subscription.unsubscribe({ deadlineMs: 100 });
  }
  assert.equal(system.supervisorCount, start);
  assert.equal(system.get("churn"), undefined);
});

Deno.test("system: a subscribe refused for a taken name leaves no supervisor behind", async () => {
  await using system = new ActorSystem();
  await using bus = new EventBus({ system });
  bus.subscribe("order.*", () => {}, { name: "taken" });
  const start = system.supervisorCount;
  for (let i = 0; i < 10; i++) {
    assert.throws(() => bus.subscribe("order.*", () => {}, { name: "taken" }), /taken/);
  }
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  assert.equal(system.supervisorCount, start);
});
