// Finding tasks: filters (namespace, name, state, time range, correlation id, tags), Tasker's
// page shape, a correlation id resolving to its task, one task in full; and delayed tasks.
import assert from "node:assert/strict";
import { TaskRequestError } from "../../src/worker/task_request_wire.ts";
import { TaskNotFoundError } from "../../src/worker/task_status.ts";
import { resolveTaskRef, TaskQueryError } from "../../src/worker/task_queries.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "./_engine.ts";

dbTest(
  "listTasks filters by namespace, state, time, correlation id and tags, and pages",
  async (db) => {
    const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "lst");
    await using tasker = await openTasker(db, [template], { startWorker: false });
    const ns = template.namespace_name;
    const correlation = crypto.randomUUID();
    const submitted = [];
    for (let i = 0; i < 7; i++) {
      submitted.push(
        await tasker.submit({
          namespace: ns,
          name: template.name,
          context: { even_number: 2 * (i + 1) },
          tags: i % 2 === 0 ? ["even", "nightly"] : ["odd"],
          ...(i === 3 ? { correlation_id: correlation } : {}),
        }),
      );
    }
    // States and times set by hand: what is under test is the query.
    await db.query(
      `UPDATE tasker.tasks SET state = 'error', completed_at = now(),
            created_at = now() - interval '2 hours'
      WHERE task_uuid = ANY($1::uuid[])`,
      [[submitted[0]!.task_uuid, submitted[1]!.task_uuid]],
    );

    const all = await tasker.listTasks({ namespace: ns, per_page: 3 });
    assert.deepEqual(all.pagination, {
      page: 1,
      per_page: 3,
      total_count: 7,
      total_pages: 3,
      has_next: true,
      has_previous: false,
    });
    // Newest first.
    assert.deepEqual(
      all.tasks.map((t) => t.task_uuid),
      submitted.slice(4).reverse().map((t) => t.task_uuid),
    );
    const last = await tasker.listTasks({ namespace: ns, per_page: 3, page: 3 });
    assert.equal(last.tasks.length, 1);
    assert.equal(last.pagination.has_next, false);
    assert.equal(last.pagination.has_previous, true);
    const beyond = await tasker.listTasks({ namespace: ns, page: 9 });
    assert.equal(beyond.tasks.length, 0);
    assert.equal(beyond.pagination.total_count, 7);

    const errors = await tasker.listTasks({ namespace: ns, state: "error" });
    assert.deepEqual(errors.tasks.map((t) => t.status), ["error", "error"]);
    const recent = await tasker.listTasks({
      namespace: ns,
      since: new Date(Date.now() - 3_600_000),
    });
    assert.equal(recent.pagination.total_count, 5);
    const older = await tasker.listTasks({
      namespace: ns,
      until: new Date(Date.now() - 3_600_000),
    });
    assert.equal(older.pagination.total_count, 2);
    const recentErrors = await tasker.listTasks({
      namespace: ns,
      state: ["error"],
      since: new Date(Date.now() - 3_600_000),
    });
    assert.equal(recentErrors.pagination.total_count, 0);
    const byCorrelation = await tasker.listTasks({ correlation_id: correlation.toUpperCase() });
    assert.deepEqual(byCorrelation.tasks.map((t) => t.task_uuid), [submitted[3]!.task_uuid]);
    const tagged = await tasker.listTasks({ namespace: ns, tags: ["even", "nightly"] });
    assert.equal(tagged.pagination.total_count, 4);
    assert.ok(tagged.tasks.every((t) => t.tags.includes("even")));
    const named = await tasker.listTasks({ namespace: ns, name: "no_such_template" });
    assert.equal(named.pagination.total_count, 0);
    assert.equal(named.pagination.total_pages, 0);

    assert.equal(await resolveTaskRef(db, correlation), submitted[3]!.task_uuid);
    assert.equal(await resolveTaskRef(db, submitted[5]!.task_uuid), submitted[5]!.task_uuid);
    await assert.rejects(resolveTaskRef(db, crypto.randomUUID()), TaskNotFoundError);
    await assert.rejects(resolveTaskRef(db, "not-a-uuid"), TaskNotFoundError);
  },
);

dbTest("listTasks refuses bad filters and pages, naming the field", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "lsb");
  await using tasker = await openTasker(db, [template], { startWorker: false });
  const cases: [Parameters<typeof tasker.listTasks>[0], string, RegExp][] = [
    [{ state: "exploded" }, "state", /unknown task state "exploded" \(known: pending, /],
    [{ page: 0 }, "page", /page must be a whole number from 1, got 0/],
    [{ per_page: 101 }, "per_page", /from 1 to 100, got 101/],
    [{ per_page: 0 }, "per_page", /got 0/],
    [{ since: new Date("nope") }, "since", /since must be a valid time/],
    [{ correlation_id: "abc" }, "correlation_id", /correlation_id must be a UUID, got "abc"/],
  ];
  for (const [query, field, message] of cases) {
    await assert.rejects(
      tasker.listTasks(query),
      (e: unknown) => e instanceof TaskQueryError && e.field === field && message.test(e.message),
      field,
    );
  }
});

dbTest("task() shows steps with timing and every event with its payload", async (db) => {
  const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "det");
  await using tasker = await openTasker(db, [template]);
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: { order_id: "o-1", customer_id: "c-1", amount: 12.5 },
  });
  await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  await tasker.flush();
  const detail = await tasker.task(task.task_uuid);
  assert.equal(detail.status, "complete");
  assert.deepEqual(detail.context, { order_id: "o-1", customer_id: "c-1", amount: 12.5 });
  assert.deepEqual(detail.steps.map((s) => s.name), template.steps.map((s) => s.name));
  for (const step of detail.steps) {
    assert.equal(step.state, "complete");
    assert.ok(step.started_at !== null && step.completed_at !== null, step.name);
    assert.ok(Date.parse(step.started_at) <= Date.parse(step.completed_at));
  }
  const status = await tasker.status(task.task_uuid);
  assert.deepEqual(detail.events.map((e) => e.event_id), status.events.map((e) => e.event_id));
  const modes = new Set(detail.events.map((e) => e.delivery_mode));
  assert.ok(modes.has("durable") && modes.has("fast") && modes.has("broadcast"), [...modes].join());
  for (const event of detail.events) {
    assert.equal(typeof event.payload, "object", event.event_name);
    assert.notEqual(event.payload, null, event.event_name);
    if (event.delivery_mode !== "fast") assert.ok(event.sent_at !== null, event.event_name);
    if (event.delivery_mode !== "fast") assert.match(event.queue ?? "", /_domain_events$/);
  }
  await assert.rejects(tasker.task(crypto.randomUUID()), TaskNotFoundError);
});

dbTest("a delayed task's first steps wait until run_at; status says when", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "dly");
  await using tasker = await openTasker(db, [template]);
  const ns = template.namespace_name;
  const later = await tasker.submit({
    namespace: ns,
    name: template.name,
    context: { even_number: 6 },
    delay_ms: 3_600_000,
  });
  const soon = await tasker.submit({
    namespace: ns,
    name: template.name,
    context: { even_number: 6 },
    delay_ms: 300,
  });
  const now = await tasker.submit({
    namespace: ns,
    name: template.name,
    context: { even_number: 6 },
  });
  const done = await tasker.waitFor(soon.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.equal((await tasker.waitFor(now.task_uuid, { timeoutMs: 20_000 })).status, "complete");
  const held = await tasker.task(later.task_uuid);
  assert.equal(held.status, "in_progress");
  assert.ok(held.steps.every((s) => s.attempts === 0), "no step of the delayed task ran");
  const runAt = Date.parse(held.run_at!);
  assert.ok(runAt > Date.now() + 3_500_000 && runAt < Date.now() + 3_700_000, held.run_at!);
  assert.equal((await tasker.task(now.task_uuid)).run_at, null);
  // The root step's message is invisible until run_at.
  const [message] = await db.query<{ vt: Date | string }>(
    `SELECT vt FROM pgmq.q_worker_${ns}_queue WHERE message->>'task_uuid' = $1`,
    [later.task_uuid],
  );
  assert.ok(Math.abs(new Date(message!.vt).getTime() - runAt) < 1_000);

  const at = new Date(Date.now() + 60_000).toISOString();
  const fixed = await tasker.submit({
    namespace: ns,
    name: template.name,
    context: { even_number: 2 },
    run_at: at,
  });
  assert.equal((await tasker.task(fixed.task_uuid)).run_at, at);
  for (
    const bad of [
      { run_at: "tomorrow" },
      { delay_ms: -1 },
      { delay_ms: 1.5 },
      { run_at: at, delay_ms: 5 },
      { run_at: new Date(Date.now() + 400 * 86_400_000) },
    ]
  ) {
    await assert.rejects(
      tasker.submit({ namespace: ns, name: template.name, context: { even_number: 2 }, ...bad }),
      TaskRequestError,
      JSON.stringify(bad),
    );
  }
});
