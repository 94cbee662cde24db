// Checkpoint / yield: the helper's JSON, the store (history, lease extension, a claim that is no
// longer ours), and tasker-core's checkpoint_yield_test_ts fixture end to end on both databases:
// yields without attempts, a retry resuming from the last checkpoint, a permanent failure
// keeping it; the history visible in the task's status.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { parseTemplate } from "../../src/template/load.ts";
import { checkpointYield, saveCheckpoint } from "../../src/worker/checkpoints.ts";
import { success } from "../../src/worker/step_handler.ts";
import { registerCheckpoint } from "../fixtures/dynamic_handlers.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { fixtureTemplate, openWith } from "./_dynamic.ts";

Deno.test("checkpointYield: Tasker's JSON for number, string and object cursors", () => {
  assert.deepEqual(checkpointYield(25, 25, { running_total: 325 }), {
    success: true,
    result: {
      type: "checkpoint_yield",
      cursor: 25,
      items_processed: 25,
      accumulated_results: { running_total: 325 },
    },
    metadata: { checkpoint_yield: true, batch_worker: true },
  });
  assert.deepEqual(checkpointYield("page-7", 70).result, {
    type: "checkpoint_yield",
    cursor: "page-7",
    items_processed: 70,
  });
  assert.deepEqual(
    (checkpointYield({ shard: 2, offset: 10 }, 12).result as { cursor: unknown }).cursor,
    { shard: 2, offset: 10 },
  );
});

const fixture = async () =>
  await fixtureTemplate("typescript/checkpoint_yield_test_ts.yaml", "ckpt");

async function run(db: Database, context: Record<string, unknown>) {
  const t = await fixture();
  const tasker = await openWith(db, [t], (h) => registerCheckpoint(h, t));
  try {
    const task = await tasker.submit({
      namespace: t.namespace_name,
      name: "checkpoint_yield_test_ts",
      context,
    });
    return await tasker.waitFor(task.task_uuid, { timeoutMs: 40_000 });
  } finally {
    await tasker.close();
  }
}

const WORKER = "checkpoint_yield_batch_ts_001";

dbTest(
  "checkpoint yield (tasker-core fixture): 100 items, a yield every 25, one attempt",
  async (db) => {
    const done = await run(db, { total_items: 100, items_per_checkpoint: 25 });
    assert.equal(done.status, "complete", JSON.stringify(done.steps));
    const worker = done.steps[WORKER]!;
    assert.equal(worker.attempts, 1, "yields are not attempts");
    assert.deepEqual(worker.result, {
      items_processed: 100,
      batch_metadata: { running_total: 5050 },
      checkpoints_used: 4,
      resumed_from: 0,
    });
    assert.deepEqual(done.steps.aggregate_results_ts!.result, {
      total_processed: 100,
      running_total: 5050,
      item_count: 100,
      checkpoints_used: 4,
      worker_count: 1,
      test_passed: true,
      scenario: "with_batches",
    });
    // The checkpoint history is in the status: three yields, the last one current.
    const checkpoint = worker.checkpoint!;
    assert.deepEqual(checkpoint.history.map((h) => h.cursor), [25, 50, 75]);
    assert.equal(checkpoint.cursor, 75);
    assert.equal(checkpoint.items_processed, 75);
    assert.deepEqual(checkpoint.accumulated_results, {
      running_total: 2850,
      checkpoints_used: 3,
      attempt: 1,
      resumed_from: 0,
    });
    assert.match(checkpoint.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    assert.equal(done.steps.analyze_items_ts!.checkpoint, undefined, "no yield, no checkpoint");
  },
);

dbTest("checkpoint yield: a retry resumes from the last checkpoint", async (db) => {
  const done = await run(db, {
    total_items: 100,
    items_per_checkpoint: 20,
    fail_after_items: 50,
    fail_on_attempt: 1,
  });
  assert.equal(done.status, "complete", JSON.stringify(done.steps));
  const worker = done.steps[WORKER]!;
  assert.equal(worker.attempts, 2);
  const result = worker.result as Record<string, unknown>;
  assert.equal(result.items_processed, 100);
  assert.deepEqual(result.batch_metadata, { running_total: 5050 });
  assert.equal(result.resumed_from, 40, "the retry resumed from the last checkpoint");
  // Yields at 20, 40 on attempt 1; the retry resumed from 40 and yielded at 60, 80.
  assert.deepEqual(worker.checkpoint!.history.map((h) => h.cursor), [20, 40, 60, 80]);
  assert.equal(
    (done.steps.aggregate_results_ts!.result as Record<string, unknown>).total_processed,
    100,
  );
});

dbTest(
  "checkpoint yield: a permanent failure ends the task in error, keeping the checkpoint",
  async (db) => {
    const done = await run(db, {
      total_items: 100,
      items_per_checkpoint: 25,
      fail_after_items: 30,
      permanent_failure: true,
    });
    assert.equal(done.status, "error");
    const worker = done.steps[WORKER]!;
    assert.equal(worker.state, "error");
    assert.ok(worker.attempts <= 3);
    assert.equal(worker.checkpoint!.cursor, 25);
    assert.equal(done.steps.aggregate_results_ts!.state, "pending");
  },
);

dbTest(
  "saveCheckpoint: history grows per yield, the lease is extended, a lost claim saves nothing",
  async (db) => {
    const namespace = uniqueName("save");
    const t = parseTemplate(`name: saver
namespace_name: ${namespace}
version: 1.0.0
steps:
  - { name: long, handler: { callable: s.long } }
`);
    await using tasker = await openWith(db, [t], (h) => h.register("s.long", () => success(null)), {
      startWorker: false,
    });
    const task = await tasker.submit({ namespace, name: "saver", context: {} });
    const [row] = await db.query<{ step_uuid: string; msg_id: number }>(
      `SELECT s.step_uuid::text AS step_uuid, q.msg_id::int AS msg_id
       FROM tasker.steps s, pgmq."q_worker_${namespace}_queue" q
      WHERE s.task_uuid = $1::uuid`,
      [task.task_uuid],
    );
    await db.query(
      `UPDATE tasker.steps SET state = 'in_progress', claimed_by = 'w1',
            claim_expires_at = now() + interval '1 second' WHERE step_uuid = $1::uuid`,
      [row!.step_uuid],
    );
    const held = {
      step_uuid: row!.step_uuid,
      source: {
        queue: `worker_${namespace}_queue`,
        msg_id: row!.msg_id,
        message: { task_uuid: task.task_uuid, step_uuid: row!.step_uuid },
      },
    };
    for (const cursor of [1000, 2000, 3000]) {
      const saved = await saveCheckpoint(db, held, "w1", 600, {
        cursor,
        items_processed: cursor,
        accumulated_results: { at: cursor },
      });
      assert.equal(saved?.cursor, cursor);
    }
    const [after] = await db.query<
      { checkpoint: { history: { cursor: number }[] }; left: number; vt_left: number }
    >(
      `SELECT s.checkpoint, extract(epoch FROM s.claim_expires_at - now())::float8 AS left,
            extract(epoch FROM q.vt - now())::float8 AS vt_left
       FROM tasker.steps s, pgmq."q_worker_${namespace}_queue" q WHERE s.step_uuid = $1::uuid`,
      [row!.step_uuid],
    );
    assert.deepEqual(after!.checkpoint.history.map((h) => h.cursor), [1000, 2000, 3000]);
    assert.ok(after!.left > 60, `lease extended (${after!.left} s left)`);
    assert.ok(after!.vt_left > 60, `message hidden with it (${after!.vt_left} s left)`);
    assert.equal(
      await saveCheckpoint(db, held, "someone-else", 600, {
        cursor: 4000,
        items_processed: 4000,
        accumulated_results: null,
      }),
      undefined,
    );
  },
);

dbTest(
  "a step interrupted after a yield resumes from its checkpoint on the next worker",
  async (db) => {
    const namespace = uniqueName("resume");
    const t = parseTemplate(`name: resumable
namespace_name: ${namespace}
version: 1.0.0
steps:
  - { name: long, handler: { callable: s.long } }
`);
    let second: () => void;
    const inSecondRun = new Promise<void>((resolve) => (second = resolve));
    const first = await openWith(db, [t], (h) =>
      h.register("s.long", async (ctx) => {
        if (!ctx.hasCheckpoint()) return checkpointYield(10, 10, { sum: 45 });
        // The run after the yield: stopped by the shutdown below, before it gets anywhere.
        second();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        throw ctx.signal.reason;
      }));
    const task = await first.submit({ namespace, name: "resumable", context: {} });
    await inSecondRun;
    await first.close({ deadlineMs: 10 });
    await using next = await openWith(db, [t], (h) =>
      h.register("s.long", (ctx) =>
        success({
          from: ctx.checkpointCursor,
          carried: ctx.accumulatedResults,
          attempt: ctx.step.attempts,
        })));
    const done = await next.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    // The interrupted attempt was handed back, so this is attempt 1 again, from the checkpoint.
    assert.deepEqual(done.steps.long!.result, { from: 10, carried: { sum: 45 }, attempt: 1 });
  },
);
