// Throughput does not collapse on stale work: a batch of stale messages counts as work (the
// worker reads on at once instead of backing off to its idle poll), and an idle worker's cost
// per poll does not grow with the number of namespaces it serves.
import assert from "node:assert/strict";
import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { uuidv7 } from "../../src/events/uuid.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { ensureQueue } from "../../src/worker/queues.ts";
import { Tasker } from "../../src/tasker.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { parseTemplateIn } from "../worker/_engine.ts";

const single = (namespace: string) =>
  parseTemplateIn(
    `
name: single
namespace_name: x
version: 1.0.0
steps:
  - name: only
    handler: { callable: test.only }
`,
    namespace,
  );

dbTest("a task queued behind thousands of stale messages runs without idle waits", async (db) => {
  const template = single(uniqueName("stale"));
  const namespace = template.namespace_name;
  const queue = `worker_${namespace}_queue`;
  await ensureQueue(db, queue);
  // 3,000 messages for steps that do not exist (deleted tasks, finished steps).
  const stale = Array.from(
    { length: 3_000 },
    () => JSON.stringify({ task_uuid: uuidv7(), step_uuid: uuidv7() }),
  );
  await db.query("SELECT pgmq.send_batch($1::text, $2::jsonb[])", [queue, stale]);
  const handlers = new HandlerRegistry().register("test.only", () => success("ran"));
  // An idle poll of a minute: were stale batches idle, the task would wait minutes.
  await using tasker = await Tasker.open({
    templates: TemplateRegistry.fromTemplates([template]),
    database: db,
    handlers,
    startWorker: false,
    pollIntervalMs: 60_000,
    concurrency: 10,
  });
  const task = await tasker.submit({ namespace, name: "single", context: {} });
  await tasker.start();
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 45_000 });
  assert.equal(done.status, "complete");
  const [left] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pgmq."q_${queue}"`,
  );
  assert.ok(left!.n < 3_000, "stale messages were deleted as they were read");
});

/** `db`, counting the statements that read a step queue and those that probe for ready ones. */
function counting(db: Database) {
  const counts = { reads: 0, probes: 0 };
  const count = (sql: string) => {
    // pgmq.read, or the worker's read-and-claim statement (step_claims.ts), which inlines it.
    if (sql.includes("pgmq.read(") || /UPDATE pgmq\."q_/.test(sql)) counts.reads++;
    if (sql.includes("WHERE EXISTS (SELECT 1 FROM pgmq.")) counts.probes++;
  };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => (count(sql), q.query(sql, params)),
  });
  const wrapped: Database = {
    kind: db.kind,
    query: wrap(db).query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return { db: wrapped, counts };
}

dbTest(
  "an idle worker serving 40 namespaces makes one probe per poll, no queue reads",
  async (db) => {
    const prefix = uniqueName("idle").slice(0, 16);
    const templates = Array.from({ length: 40 }, (_, i) => single(`${prefix}_${i}`));
    const handlers = new HandlerRegistry().register("test.only", () => success("ran"));
    const { db: watched, counts } = counting(db);
    await using tasker = await Tasker.open({
      templates: TemplateRegistry.fromTemplates(templates),
      database: watched,
      handlers,
      pollIntervalMs: 20,
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(counts.reads, 0, "no queue is read while none has a message");
    assert.ok(counts.probes > 3, `the worker kept polling (${counts.probes} probes)`);
    // And work is still found: a task in the last namespace runs.
    const last = templates[39]!;
    const task = await tasker.submit({
      namespace: last.namespace_name,
      name: "single",
      context: {},
    });
    assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
    assert.ok(counts.reads >= 1);
  },
);
