// Staleness detection and the task DLQ on both databases, porting tasker-core's
// dlq_lifecycle_test (a task in waiting_for_dependencies / steps_in_process past a 2-minute
// threshold gets one DLQ entry and goes to error; stats count it; the entry is resolved), with
// time moved by back-dating the rows, as tasker-core's test does.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { StalenessDetector } from "../../src/worker/staleness.ts";
import { DlqResolutionError, dlqStats } from "../../src/worker/task_dlq.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest } from "../_db.ts";
import { inlineTemplate, operationsTasker, until } from "./_operations.ts";

const lifecycle = (action = "dlq") => `
name: dlq_staleness
namespace_name: placeholder
version: 1.0.0
lifecycle:
  max_waiting_for_dependencies_minutes: 2
  max_waiting_for_retry_minutes: 2
  max_steps_in_process_minutes: 2
  max_duration_minutes: 30
  staleness_action: ${action}
steps:
  - name: fetch
    handler: { callable: stale.fetch }
    retry: { max_attempts: 3 }
  - name: store
    handler: { callable: stale.store }
    dependencies: [fetch]
`;

/** Moves a task's steps `minutes` into the past (time in its phase). */
async function backdate(db: Database, taskUuid: string, minutes: number): Promise<void> {
  await db.query(
    `UPDATE tasker.steps SET updated_at = now() - make_interval(mins => $2)
      WHERE task_uuid = $1::uuid`,
    [taskUuid, minutes],
  );
}

// A failure asking for a retry in an hour parks the task in waiting_for_retry.
const parked = () => failure("try later", { retryAfterMs: 3_600_000 });

dbTest(
  "a task waiting for its retry past the threshold gets a DLQ entry and goes to error",
  async (db) => {
    const template = inlineTemplate(lifecycle(), "stale");
    await using tasker = await operationsTasker(db, template, {
      "stale.fetch": parked,
      "stale.store": () => success(1),
    });
    const task = await tasker.submit({
      namespace: template.namespace_name,
      name: template.name,
      context: {},
    });
    await until(
      tasker,
      task.task_uuid,
      (s) => s.steps.fetch?.state === "waiting_for_retry",
      "retry",
    );

    // 1 minute of 2: not stale.
    await backdate(db, task.task_uuid, 1);
    assert.deepEqual((await tasker.detectStaleTasks()).stale, []);

    await backdate(db, task.task_uuid, 3);
    const dry = await tasker.detectStaleTasks({ dryRun: true });
    assert.deepEqual(
      dry.stale.map((s) => s.action_taken),
      ["would_transition_to_dlq_and_error"],
    );
    assert.equal(
      (await tasker.status(task.task_uuid)).status,
      "in_progress",
      "a dry run changes nothing",
    );

    const pass = await tasker.detectStaleTasks();
    assert.equal(pass.skipped, false);
    assert.equal(pass.stale.length, 1);
    const [found] = pass.stale;
    assert.equal(found!.task_uuid, task.task_uuid);
    assert.equal(found!.state, "waiting_for_retry");
    assert.equal(found!.threshold_minutes, 2);
    assert.ok(found!.time_in_state_minutes >= 3);
    assert.equal(found!.action_taken, "transitioned_to_dlq_and_error");

    const status = await tasker.status(task.task_uuid);
    assert.equal(status.status, "error");
    assert.equal(status.steps.fetch!.state, "waiting_for_retry", "steps are left as they are");
    const [entry, ...more] = await tasker.dlqEntries({ task_uuid: task.task_uuid });
    assert.equal(more.length, 0);
    assert.equal(entry!.dlq_reason, "staleness_timeout");
    assert.equal(entry!.original_state, "waiting_for_retry");
    assert.equal(entry!.resolution_status, "pending");
    assert.equal(entry!.metadata.detection_method, "automatic_staleness");
    assert.equal(entry!.metadata.threshold_minutes, 2);
    assert.equal(entry!.task_snapshot.task_uuid, task.task_uuid);
    assert.deepEqual(
      (entry!.task_snapshot.steps as { name: string; state: string }[]).map((
        s,
      ) => [s.name, s.state]),
      [["fetch", "waiting_for_retry"], ["store", "pending"]],
    );
    const history = await tasker.transitions(task.task_uuid);
    const last = history.at(-1)!;
    assert.deepEqual([last.to_state, last.actor, last.reason], [
      "error",
      "staleness_detector",
      "staleness_timeout",
    ]);

    // A second pass finds nothing: the task is in error and has a pending entry.
    assert.deepEqual((await tasker.detectStaleTasks()).stale, []);
    const stats = (await dlqStats(db)).find((s) => s.dlq_reason === "staleness_timeout")!;
    assert.ok(stats.pending >= 1);

    const resolved = await tasker.resolveDlqEntry(entry!.dlq_entry_uuid, {
      resolution_status: "manually_resolved",
      by: "ops@example.com",
      notes: "upstream back; retried",
    });
    assert.equal(resolved.resolution_status, "manually_resolved");
    assert.equal(resolved.resolved_by, "ops@example.com");
    assert.ok(resolved.resolution_timestamp);
    await assert.rejects(
      tasker.resolveDlqEntry(entry!.dlq_entry_uuid, { resolution_status: "cancelled", by: "x" }),
      (e: unknown) =>
        e instanceof DlqResolutionError && /already manually_resolved/.test(e.message),
    );
    await assert.rejects(
      tasker.resolveDlqEntry(entry!.dlq_entry_uuid, {
        resolution_status: "pending" as "cancelled",
        by: "x",
      }),
      DlqResolutionError,
    );
    assert.deepEqual(
      await tasker.dlqEntries({ task_uuid: task.task_uuid, resolution_status: "pending" }),
      [],
    );
  },
);

dbTest(
  "waiting_for_dependencies and steps_in_process phases; staleness_action error and none",
  async (db) => {
    const dlq = inlineTemplate(lifecycle(), "phase");
    const onlyError = inlineTemplate(lifecycle("error"), "errst");
    const none = inlineTemplate(lifecycle("none"), "none");
    const unbounded = inlineTemplate(
      lifecycle().replace(/lifecycle:[\s\S]*?steps:/, "steps:"),
      "nolc",
    );
    await using tasker = await operationsTasker(db, [dlq, onlyError, none, unbounded], {
      "stale.fetch": parked,
      "stale.store": () => success(1),
    });
    const submit = async (t: typeof dlq) => {
      const task = await tasker.submit({ namespace: t.namespace_name, name: t.name, context: {} });
      await until(
        tasker,
        task.task_uuid,
        (s) => s.steps.fetch?.state === "waiting_for_retry",
        "park",
      );
      return task.task_uuid;
    };
    const deps = await submit(dlq);
    const inProcess = await submit(dlq);
    const errorOnly = await submit(onlyError);
    const ignored = await submit(none);
    const noLifecycle = await submit(unbounded);
    // As tasker-core's test does, put the tasks in the phases directly.
    await db.query("UPDATE tasker.steps SET state = 'pending' WHERE task_uuid = $1::uuid", [deps]);
    await db.query(
      "UPDATE tasker.steps SET state = 'enqueued' WHERE task_uuid = $1::uuid AND name = 'fetch'",
      [inProcess],
    );
    for (const id of [deps, inProcess, errorOnly, ignored, noLifecycle]) {
      await backdate(db, id, 3);
    }

    const { stale } = await tasker.detectStaleTasks();
    const byTask = new Map(stale.map((s) => [s.task_uuid, s]));
    assert.equal(byTask.get(deps)?.state, "waiting_for_dependencies");
    assert.equal(byTask.get(inProcess)?.state, "steps_in_process");
    assert.equal(byTask.get(errorOnly)?.action_taken, "transitioned_to_error_only");
    assert.equal(byTask.has(ignored), false, "staleness_action none");
    assert.equal(byTask.has(noLifecycle), false, "no lifecycle block: not checked by default");
    assert.equal(stale.length, 3);
    assert.deepEqual(await tasker.dlqEntries({ task_uuid: errorOnly }), []);
    assert.equal((await tasker.status(errorOnly)).status, "error");
    assert.equal((await tasker.status(ignored)).status, "in_progress");

    // checkAllTasks applies Tasker's global defaults (30 minutes for waiting_for_retry).
    assert.deepEqual((await tasker.detectStaleTasks({ checkAllTasks: true })).stale, []);
    await backdate(db, noLifecycle, 31);
    const all = await tasker.detectStaleTasks({ checkAllTasks: true });
    assert.deepEqual(all.stale.map((s) => [s.task_uuid, s.threshold_minutes]), [[noLifecycle, 30]]);

    // Age: older than max_duration_minutes (30) is stale whatever the phase.
    const young = await submit(dlq);
    await db.query(
      "UPDATE tasker.tasks SET created_at = now() - interval '31 minutes' WHERE task_uuid = $1",
      [young],
    );
    const aged = await tasker.detectStaleTasks();
    assert.deepEqual(aged.stale.map((s) => [s.task_uuid, s.by_age, s.threshold_minutes]), [[
      young,
      true,
      30,
    ]]);
  },
  { fresh: true },
); // checkAllTasks looks at every task: keep other tests' tasks out of it

dbTest("one pass at a time: a pass finding the lock held skips", async (db) => {
  const template = inlineTemplate(lifecycle(), "lock");
  await using tasker = await operationsTasker(db, template, {
    "stale.fetch": parked,
    "stale.store": () => success(1),
  });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [0x74736b722d73746cn.toString()]);
    locked();
    await held;
  });
  await isLocked;
  try {
    assert.deepEqual(await tasker.detectStaleTasks(), { skipped: true, stale: [] });
  } finally {
    release();
    await holder;
  }
  assert.equal((await tasker.detectStaleTasks()).skipped, false);
}, { skipPglite: true }); // PGlite is one connection: a second transaction waits for the first

dbTest("the detector runs its passes periodically and stops at close", async (db) => {
  const template = inlineTemplate(lifecycle(), "periodic");
  await using tasker = await operationsTasker(db, template, {
    "stale.fetch": parked,
    "stale.store": () => success(1),
  });
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: {},
  });
  await until(tasker, task.task_uuid, (s) => s.steps.fetch?.state === "waiting_for_retry", "park");
  await backdate(db, task.task_uuid, 3);
  await using detector = new StalenessDetector(db, tasker.templates, { intervalMs: 50 });
  detector.start();
  await until(tasker, task.task_uuid, (s) => s.status === "error", "the detector's pass");
  assert.equal(detector.found, 1);
});
