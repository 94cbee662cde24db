import assert from "node:assert/strict";
import type { DurableWriterStats } from "../../src/durable/writer/types.ts";
import {
  actorHealth,
  queuesComponent,
  workerComponent,
  worstStatus,
  writerComponent,
} from "../../src/observe/health.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { Tasker } from "../../src/tasker.ts";
import { registerExamples } from "../../templates/mod.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { cuttable, domainEvent, eventually } from "./_helpers.ts";

const LINEAR = "linear_workflow/mathematical_sequence.yaml";

dbTest("a running tasker on a reachable database is healthy and ready", async (db) => {
  await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
  const report = await tasker.health();
  assert.equal(report.status, "healthy", JSON.stringify(report, null, 2));
  assert.equal(report.ready, true);
  assert.equal(report.worker_id, tasker.workerId);
  assert.equal(report.components.database.status, "healthy");
  assert.equal(report.components.database.kind, db.kind);
  assert.match(report.components.database.pgmq_version ?? "", /^\d+\.\d+/);
  assert.equal(report.components.worker.state, "running");
  const [queue] = report.components.step_queues.queues;
  assert.equal(queue?.kind, "step");
  assert.equal(queue?.queue, `worker_${tasker.config().worker.namespaces[0]}_queue`);
  assert.ok(report.uptime_seconds >= 0);
  assert.deepEqual(await tasker.ready(), { ready: true, reason: null });
});

dbTest("an unreachable database makes the tasker unhealthy and not ready", async (db) => {
  const flaky = cuttable(db);
  await using tasker = await openTasker(flaky, [await exampleTemplate(LINEAR)], {
    pollIntervalMs: 200,
  });
  flaky.cut("fail");
  try {
    const report = await tasker.health();
    assert.equal(report.status, "unhealthy");
    assert.equal(report.ready, false);
    assert.equal(report.components.database.status, "unhealthy");
    assert.match(report.components.database.message ?? "", /connection refused/);
    const readiness = await tasker.ready();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reason ?? "", /database unreachable/);
  } finally {
    flaky.restore();
  }
  assert.equal((await tasker.health()).status, "healthy");
});

dbTest("a database that stops answering is unhealthy after the probe deadline", async (db) => {
  const flaky = cuttable(db);
  await using tasker = await openTasker(flaky, [await exampleTemplate(LINEAR)], {
    pollIntervalMs: 200,
  });
  flaky.cut("hang");
  try {
    const report = await tasker.health({ timeoutMs: 50 });
    assert.equal(report.status, "unhealthy");
    assert.match(report.components.database.message ?? "", /no answer within 50 ms/);
  } finally {
    flaky.restore();
  }
});

dbTest("an escalated subscriber degrades health and names the actor", async (db) => {
  await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
  tasker.bus.subscribe("#", () => {
    throw new Error("always fails");
  }, { name: "doomed_subscriber", supervisor: { intensity: 0 } });
  tasker.bus.subscribe("#", () => {}, { name: "fine_subscriber" });
  tasker.bus.publish(domainEvent("observe.probe"));
  await eventually(
    () => tasker.bus.system.escalations().length > 0 || undefined,
    "the escalation",
  );
  const report = await tasker.health();
  assert.equal(report.status, "degraded", JSON.stringify(report, null, 2));
  assert.equal(report.ready, true, "a degraded worker still takes work");
  assert.equal(report.components.actor_system.status, "degraded");
  assert.match(report.components.actor_system.message ?? "", /doomed_subscriber/);
  const doomed = report.actors.find((a) => a.name === "doomed_subscriber");
  assert.equal(doomed?.status, "degraded");
  assert.equal(doomed?.state, "escalated");
  assert.equal(report.actors.find((a) => a.name === "fine_subscriber")?.status, "healthy");
});

dbTest("a worker not yet started is degraded and not ready; a closed one unhealthy", async (db) => {
  const template = await exampleTemplate(LINEAR);
  const tasker = await Tasker.open({
    templates: TemplateRegistry.fromTemplates([template]),
    database: db,
    startWorker: false,
  });
  try {
    registerExamples(tasker.handlers, tasker.publishers);
    let report = await tasker.health();
    assert.equal(report.status, "degraded");
    assert.equal(report.components.worker.state, "created");
    assert.equal(report.ready, false);
    assert.match((await tasker.ready()).reason ?? "", /not been started/);

    await tasker.start();
    report = await tasker.health();
    assert.equal(report.status, "healthy");
    assert.equal(report.ready, true);
  } finally {
    await tasker.close();
  }
  const report = await tasker.health();
  assert.equal(report.components.worker.state, "stopped");
  assert.equal(report.status, "unhealthy");
  assert.equal(report.ready, false);
});

Deno.test("worstStatus picks the worst", () => {
  assert.equal(worstStatus([]), "healthy");
  assert.equal(worstStatus(["healthy", "degraded", "healthy"]), "degraded");
  assert.equal(worstStatus(["degraded", "unhealthy", "healthy"]), "unhealthy");
});

Deno.test("worker rule: created degraded, running healthy, stopping and stopped unhealthy", () => {
  assert.equal(workerComponent("created", 0).status, "degraded");
  assert.equal(workerComponent("running", 3).status, "healthy");
  assert.equal(workerComponent("stopping", 1).status, "unhealthy");
  assert.equal(workerComponent("stopped", 0).status, "unhealthy");
  const foreign = workerComponent("running", 0, [
    "no template a/b@1.0.0 (content 3f2a) is loaded here",
  ]);
  assert.equal(foreign.status, "degraded");
  assert.match(foreign.message!, /no template a\/b@1\.0\.0/);
});

function writerStats(overrides: Partial<DurableWriterStats>): DurableWriterStats {
  return {
    enqueued: 0,
    written: 0,
    batches: 0,
    mean_batch_size: 0,
    max_batch_size: 0,
    failed_writes: 0,
    retries: 0,
    dropped: 0,
    already_sent: 0,
    rejected: 0,
    unwritten: 0,
    buffer_depth: 0,
    in_flight: 0,
    latency_p50_ms: 0,
    latency_p99_ms: 0,
    last_error: null,
    ...overrides,
  };
}

Deno.test("writer rule: failing writes with events waiting, or a nearly full buffer, degrade", () => {
  const failing = writerStats({ failed_writes: 3, buffer_depth: 10, last_error: "conn reset" });
  const degraded = writerComponent(failing, 1, 1000);
  assert.equal(degraded.status, "degraded");
  assert.match(degraded.message ?? "", /10 events waiting: conn reset/);
  // The same failures seen at the previous check, or failures with nothing waiting: healthy.
  assert.equal(writerComponent(failing, 3, 1000).status, "healthy");
  assert.equal(writerComponent({ ...failing, buffer_depth: 0 }, 0, 1000).status, "healthy");
  const full = writerComponent(writerStats({ buffer_depth: 800 }), 0, 1000);
  assert.equal(full.status, "degraded");
  assert.match(full.message ?? "", /800 of at most 1000/);
  assert.equal(writerComponent(writerStats({ buffer_depth: 799 }), 0, 1000).status, "healthy");
});

Deno.test("queue rule: only ready steps waiting past the limit degrade", () => {
  const step = {
    queue: "worker_a_queue",
    kind: "step" as const,
    length: 5,
    visible: 2,
    oldest_visible_age_seconds: 301,
    oldest_message_age_seconds: 400,
  };
  const late = queuesComponent([step], 300);
  assert.equal(late.status, "degraded");
  assert.match(late.message ?? "", /worker_a_queue \(301 s\)/);
  assert.equal(
    queuesComponent([{ ...step, oldest_visible_age_seconds: 299 }], 300).status,
    "healthy",
  );
  assert.equal(queuesComponent([{ ...step, visible: 0 }], 300).status, "healthy");
  assert.equal(
    queuesComponent([{ ...step, kind: "events", queue: "a_domain_events" }], 300).status,
    "healthy",
    "event queues are drained by consumers elsewhere: reported, not judged",
  );
});

Deno.test("actor rule: escalated or saturated actors degrade", () => {
  const actor = {
    name: "a",
    state: "running" as const,
    mailbox_depth: 0,
    mailbox_capacity: 10,
    saturation: 0,
    processed: 0,
    failed: 0,
    restarts: 0,
    dropped: { full: 0, evicted: 0, deadline: 0, stopped: 0 },
  };
  assert.equal(actorHealth(actor, 0.9).status, "healthy");
  assert.equal(actorHealth({ ...actor, state: "escalated" }, 0.9).status, "degraded");
  const saturated = actorHealth({ ...actor, mailbox_depth: 9, saturation: 0.9 }, 0.9);
  assert.equal(saturated.status, "degraded");
  assert.match(saturated.message ?? "", /90% full/);
});
