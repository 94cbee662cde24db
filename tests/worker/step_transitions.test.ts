// With recordStepTransitions, the engine's own step transitions (released, claimed, recorded,
// retried) are in the task's transition history under the worker's name; without it they are
// not (operators' changes and task changes are recorded either way).
import assert from "node:assert/strict";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "./_engine.ts";

const yaml = `
name: two
namespace_name: x
version: 1.0.0
steps:
  - name: first
    handler: { callable: t.first }
    retry: { retryable: true, max_attempts: 2, backoff: none }
  - name: second
    handler: { callable: t.second }
    dependencies: [first]
`;

function handlers() {
  let calls = 0;
  return new HandlerRegistry()
    .register("t.first", () => (++calls === 1 ? failure("once", { retryable: true }) : success({})))
    .register("t.second", () => success({}));
}

const stepMoves = (
  history: { step_name?: string; from_state: string | null; to_state: string }[],
) =>
  history.filter((t) => t.step_name).map((t) => `${t.step_name}: ${t.from_state} → ${t.to_state}`);

dbTest(
  "the engine's step transitions are recorded when asked, under the worker's name",
  async (db) => {
    const template = parseTemplateIn(yaml, uniqueName("st"));
    await using tasker = await openTasker(db, [template], {
      handlers: handlers(),
      recordStepTransitions: true,
    });
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: "two",
      context: {},
    });
    assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
    const history = await tasker.transitions(task.task_uuid);
    assert.deepEqual(stepMoves(history), [
      "first: enqueued → in_progress",
      "first: in_progress → waiting_for_retry",
      "first: waiting_for_retry → in_progress",
      "first: in_progress → complete",
      "second: pending → enqueued",
      "second: enqueued → in_progress",
      "second: in_progress → complete",
    ]);
    const actors = new Set(history.filter((t) => t.step_name).map((t) => t.actor));
    assert.deepEqual([...actors], [`worker:${tasker.workerId}`]);
  },
);

dbTest("by default the engine's step transitions are not recorded", async (db) => {
  const template = parseTemplateIn(yaml, uniqueName("sn"));
  await using tasker = await openTasker(db, [template], { handlers: handlers() });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: "two",
    context: {},
  });
  assert.equal((await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
  assert.deepEqual(stepMoves(await tasker.transitions(task.task_uuid)), []);
});
