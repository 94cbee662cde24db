// Retention: finished tasks older than the age go with their steps and events, in batches;
// running tasks, recent ones and tasks with an event still owed to its queue stay.
import assert from "node:assert/strict";
import { TaskerError } from "../../src/errors.ts";
import { startRetention } from "../../src/worker/retention.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "./_engine.ts";

const DAY = 86_400_000;

dbTest("purge deletes old finished tasks with their steps and events, in batches", async (db) => {
  const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "ret");
  await using tasker = await openTasker(db, [template]);
  const ns = template.namespace_name;
  const context = { order_id: "o", customer_id: "c", amount: 3 };
  const tasks = [];
  for (let i = 0; i < 6; i++) {
    tasks.push(await tasker.submit({ namespace: ns, name: template.name, context }));
  }
  for (const t of tasks) await tasker.waitFor(t.task_uuid, { timeoutMs: 20_000 });
  await tasker.flush();
  const [old1, old2, old3, owed, recent, running] = tasks.map((t) => t.task_uuid);
  await db.query(
    "UPDATE tasker.tasks SET completed_at = now() - interval '40 days' WHERE task_uuid = ANY($1::uuid[])",
    [[old1, old2, old3, owed]],
  );
  // One old task still owes a durable event to its queue; one is old but running again.
  await db.query(
    `UPDATE tasker.step_events SET sent_at = NULL
      WHERE event_id = (SELECT event_id FROM tasker.step_events
                         WHERE task_uuid = $1 AND delivery_mode = 'durable' LIMIT 1)`,
    [owed],
  );
  await db.query(
    "UPDATE tasker.tasks SET state = 'in_progress', updated_at = now() - interval '40 days', completed_at = NULL WHERE task_uuid = $1",
    [running],
  );
  const count = async (table: string, uuid: string) =>
    (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasker.${table} WHERE task_uuid = $1`,
      [uuid],
    ))[0]!.n;
  const stepsOfOld = await count("steps", old1!);
  const eventsOfOld = await count("step_events", old1!);
  assert.ok(stepsOfOld > 0 && eventsOfOld > 0);

  await assert.rejects(tasker.purge({ olderThanMs: -1 }), TaskerError);
  await assert.rejects(tasker.purge({ olderThanMs: DAY, batchSize: 0 }), /batchSize/);
  const report = await tasker.purge({ olderThanMs: 30 * DAY, batchSize: 2, namespaces: [ns] });
  for (const gone of [old1, old2, old3]) {
    assert.equal(await count("tasks", gone!), 0);
    assert.equal(await count("steps", gone!), 0);
    assert.equal(await count("step_events", gone!), 0);
  }
  for (const kept of [owed, recent, running]) assert.equal(await count("tasks", kept!), 1);
  assert.equal(report.tasks, 3);
  assert.equal(report.batches, 2);
  assert.equal(report.steps, 3 * stepsOfOld);
  assert.equal(report.events, 3 * eventsOfOld);
  // The owed event is sent: its task goes at the next purge.
  await db.query("UPDATE tasker.step_events SET sent_at = now() WHERE task_uuid = $1", [owed]);
  assert.equal((await tasker.purge({ olderThanMs: 30 * DAY, namespaces: ["other_ns"] })).tasks, 0);
  assert.equal(await count("tasks", owed!), 1);
  await tasker.purge({ olderThanMs: 30 * DAY, namespaces: [ns] });
  assert.equal(await count("tasks", owed!), 0);
});

dbTest("startRetention purges at once and stops on close", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "rtp");
  await using tasker = await openTasker(db, [template]);
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: { even_number: 2 },
  });
  await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  await db.query(
    "UPDATE tasker.tasks SET completed_at = now() - interval '2 days' WHERE task_uuid = $1",
    [task.task_uuid],
  );
  const retention = startRetention(db, {
    olderThanMs: DAY,
    everyMs: 60_000,
    namespaces: [template.namespace_name],
  });
  const deadline = Date.now() + 10_000;
  while (
    (await tasker.listTasks({ namespace: template.namespace_name })).pagination.total_count > 0
  ) {
    assert.ok(Date.now() < deadline, "the periodic purge never ran");
    await new Promise((r) => setTimeout(r, 20));
  }
  await retention.close();
});
