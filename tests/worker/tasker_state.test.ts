// Tasker's fine-grained task states, derived at read time from the stored task state and the
// steps' states: every rule of the table (unit), and the states a running engine shows in
// `status`, `task` and `listTasks` on both databases.
import assert from "node:assert/strict";
import {
  taskerState,
  type TaskerTaskState,
  type TaskStateFacts,
} from "../../src/worker/task_status.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest } from "../_db.ts";
import { deferred, inlineTemplate, operationsTasker, until } from "./_operations.ts";

const facts = (
  state: string,
  steps: Record<string, number>,
  more: Partial<TaskStateFacts> = {},
): TaskStateFacts => ({ state, steps, started: true, delayed: false, ...more });

Deno.test("taskerState: each of Tasker's twelve states from the stored state and the steps", () => {
  const cases: [TaskStateFacts, TaskerTaskState][] = [
    [facts("pending", { enqueued: 1 }), "pending"],
    [
      facts("in_progress", { enqueued: 1, pending: 2 }, { started: false, delayed: true }),
      "pending",
    ],
    [facts("in_progress", { enqueued: 1, pending: 2 }, { started: false }), "initializing"],
    [facts("in_progress", {}, { started: false }), "initializing"],
    [facts("in_progress", { complete: 1, enqueued: 2 }), "enqueuing_steps"],
    [facts("in_progress", { complete: 1, in_progress: 1, enqueued: 1 }), "steps_in_process"],
    [facts("in_progress", { in_progress: 1, waiting_for_retry: 1 }), "steps_in_process"],
    [facts("in_progress", { enqueued_for_orchestration: 1, in_progress: 1 }), "evaluating_results"],
    [facts("in_progress", { enqueued_as_error_for_orchestration: 1 }), "evaluating_results"],
    [facts("in_progress", { complete: 3 }), "evaluating_results"],
    [
      facts("in_progress", { complete: 1, resolved_manually: 1, pending: 1 }),
      "waiting_for_dependencies",
    ],
    [facts("in_progress", { complete: 1, waiting_for_retry: 1, pending: 1 }), "waiting_for_retry"],
    [facts("error", { waiting_for_retry: 1, error: 1 }), "waiting_for_retry"],
    [facts("error", { complete: 1, error: 1, pending: 2 }), "blocked_by_failures"],
    [facts("in_progress", { error: 1, pending: 1 }), "blocked_by_failures"],
    [facts("blocked_by_failures", { error: 1 }), "blocked_by_failures"],
    [facts("error", { error: 1, in_progress: 1 }), "steps_in_process"],
    [facts("error", { complete: 1, pending: 1 }), "error"],
    [facts("complete", {}), "complete"],
    [facts("cancelled", { cancelled: 2 }), "cancelled"],
    [facts("resolved_manually", { cancelled: 1 }), "resolved_manually"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(taskerState(input), expected, JSON.stringify(input));
  }
  const shown = new Set(cases.map(([, state]) => state));
  assert.equal(shown.size, 12, "every one of Tasker's task states is reachable");
});

const TEMPLATE = `name: states
namespace_name: ops
version: 1.0.0
steps:
  - name: first
    handler: { callable: s.first }
    retry: { max_attempts: 2, backoff: linear, backoff_base_ms: 60000 }
  - name: second
    dependencies: [first]
    handler: { callable: s.second }
`;

dbTest("status, task and listTasks show the derived state beside the stored one", async (db) => {
  const t = inlineTemplate(TEMPLATE, "tst");
  const ns = t.namespace_name;
  const gate = deferred();
  let mode = "wait";
  await using tasker = await operationsTasker(db, t, {
    "s.first": async () => {
      if (mode === "retry") return failure("try later", { retryable: true });
      if (mode === "fail") return failure("broken", { retryable: false });
      await gate.promise;
      return success(1);
    },
    "s.second": () => success(2),
  }, { startWorker: false });
  const submit = (extra: Record<string, unknown> = {}) =>
    tasker.submit({ namespace: ns, name: "states", context: {}, ...extra });
  const shown = async (taskUuid: string) => {
    const status = await tasker.status(taskUuid);
    const detail = await tasker.task(taskUuid);
    const listed = (await tasker.listTasks({ namespace: ns, per_page: 100 })).tasks
      .find((task) => task.task_uuid === taskUuid)!;
    assert.equal(detail.tasker_state, status.tasker_state, "task() agrees with status()");
    assert.equal(listed.tasker_state, status.tasker_state, "listTasks agrees with status()");
    return { stored: status.status, tasker: status.tasker_state };
  };

  // Nothing has run yet: initializing; delayed: pending.
  const fresh = await submit();
  assert.deepEqual(await shown(fresh.task_uuid), { stored: "in_progress", tasker: "initializing" });
  const delayed = await submit({ delay_ms: 3_600_000 });
  assert.deepEqual(await shown(delayed.task_uuid), { stored: "in_progress", tasker: "pending" });
  // The first step settled by hand, the second queued: enqueuing_steps.
  await tasker.completeStep(fresh.task_uuid, "first", 1, { by: "test" });
  assert.deepEqual(await shown(fresh.task_uuid), {
    stored: "in_progress",
    tasker: "enqueuing_steps",
  });
  await tasker.cancel(delayed.task_uuid, { by: "test" });
  assert.deepEqual(await shown(delayed.task_uuid), { stored: "cancelled", tasker: "cancelled" });

  await tasker.start();
  assert.deepEqual(
    await shown((await tasker.waitFor(fresh.task_uuid, { timeoutMs: 20_000 })).task_uuid),
    { stored: "complete", tasker: "complete" },
  );
  // A handler running: steps_in_process.
  const running = await submit();
  await until(tasker, running.task_uuid, (s) => s.steps.first?.state === "in_progress", "run");
  assert.deepEqual(await shown(running.task_uuid), {
    stored: "in_progress",
    tasker: "steps_in_process",
  });
  mode = "retry";
  gate.resolve();
  await tasker.waitFor(running.task_uuid, { timeoutMs: 20_000 });
  // A retryable failure waiting a minute for its retry: waiting_for_retry.
  const retrying = await submit();
  await until(
    tasker,
    retrying.task_uuid,
    (s) => s.steps.first?.state === "waiting_for_retry",
    "retry",
  );
  assert.deepEqual(await shown(retrying.task_uuid), {
    stored: "in_progress",
    tasker: "waiting_for_retry",
  });
  // A permanent failure holding its successor back: blocked_by_failures; resolved: resolved_manually.
  mode = "fail";
  const failing = await submit();
  await tasker.waitFor(failing.task_uuid, { timeoutMs: 20_000 });
  assert.deepEqual(await shown(failing.task_uuid), {
    stored: "error",
    tasker: "blocked_by_failures",
  });
  await tasker.resolveTask(failing.task_uuid, { by: "test" });
  assert.deepEqual(await shown(failing.task_uuid), {
    stored: "resolved_manually",
    tasker: "resolved_manually",
  });
  // Rows Tasker's orchestrator would still evaluate: evaluating_results.
  await db.query(
    "UPDATE tasker.steps SET state = 'enqueued_for_orchestration' WHERE task_uuid = $1::uuid",
    [retrying.task_uuid],
  );
  assert.deepEqual(await shown(retrying.task_uuid), {
    stored: "in_progress",
    tasker: "evaluating_results",
  });
});
