// A yielding step's domain events carry its checkpoint as `workflow_step.checkpoint` (Tasker's
// CheckpointRecord, history and all) — the last one saved, also when a retry resumed from an
// earlier attempt's checkpoint — and null for a step that never yielded.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { eventView } from "../../src/events/view.ts";
import { DurableEventCapture } from "../../src/testing/durable_capture.ts";
import { checkpointYield } from "../../src/worker/checkpoints.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest } from "../_db.ts";
import { inlineTemplate, operationsTasker } from "./_operations.ts";

const TEMPLATE = `name: counted
namespace_name: ops
version: 1.0.0
steps:
  - name: count
    handler: { callable: c.count }
    retry: { max_attempts: 2, backoff: none }
    publishes_events:
      - { name: count.done, condition: success, delivery_mode: durable }
  - name: after
    dependencies: [count]
    handler: { callable: c.after }
    publishes_events:
      - { name: after.done, condition: success, delivery_mode: durable }
`;

/** Each event's `workflow_step.checkpoint` in the namespace's queue, by step name. */
async function checkpoints(db: Database, namespace: string): Promise<Record<string, unknown>> {
  const queued = await new DurableEventCapture(db).events(namespace);
  return Object.fromEntries(queued.map(({ event }) => [
    event.metadata.step_name,
    eventView(event).workflowStep?.checkpoint,
  ]));
}

for (const failOnce of [false, true]) {
  dbTest(
    `a yielding step's events carry its last checkpoint${failOnce ? " after a resumed retry" : ""}`,
    async (db) => {
      const t = inlineTemplate(TEMPLATE, "ckev");
      let failed = !failOnce;
      await using tasker = await operationsTasker(db, t, {
        "c.count": (ctx) => {
          const next = ctx.hasCheckpoint() ? Number(ctx.checkpointCursor) : 0;
          if (next === 10 && !failed) {
            failed = true;
            return failure("flaky", { retryable: true });
          }
          return next < 20
            ? checkpointYield(next + 10, next + 10, { at: next + 10 })
            : success(next);
        },
        "c.after": () => success("ok"),
      });
      const task = await tasker.submit({
        namespace: t.namespace_name,
        name: "counted",
        context: {},
      });
      const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
      assert.equal(done.status, "complete");
      assert.equal(done.steps.count!.attempts, failOnce ? 2 : 1);
      const stored = done.steps.count!.checkpoint!;
      assert.deepEqual(stored.history.map((h) => h.cursor), [10, 20]);
      await tasker.flush();
      const fired = await checkpoints(db, t.namespace_name);
      assert.deepEqual(fired.count, stored, "the event carries the checkpoint status shows");
      assert.equal(fired.after, null, "a step that never yielded: null");
    },
  );
}
