// LISTEN/NOTIFY wake-ups on step queues (src/worker/step_wakeups.ts): inserts from another
// connection wake a listener once per statement, band queues created later are announced too,
// close() stops listening, an idle worker with a one-hour poll runs what another Tasker submits,
// workers starting together install the trigger without error, and a database that cannot
// LISTEN is polled (logged once). "Another connection" is a second pool on a server; embedded,
// PGlite is one connection, so it is a second Tasker on the same database.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { migrate } from "../../src/durable/db/migrate.ts";
import { openPostgres } from "../../src/durable/db/postgres.ts";
import { stepQueue } from "../../src/names.ts";
import { PriorityBands, stepQueueFor } from "../../src/worker/priority_queues.ts";
import { ensureQueue } from "../../src/worker/queues.ts";
import {
  hasWakeTrigger,
  installWakeTrigger,
  StepWakeups,
  wakeChannel,
} from "../../src/worker/step_wakeups.ts";
import { Tasker } from "../../src/tasker.ts";
import { taskerMigrations } from "../../src/worker/engine_migrations.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import { dbTest, postgresUrl, uniqueName, withThrowawayDatabase } from "../_db.ts";
import { exampleTemplate, openTasker } from "./_engine.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const HOUR_MS = 3_600_000;

/** A second connection to the test's database: a pool of its own on a server, else `db`. */
async function otherConnection(db: Database): Promise<{ other: Database; close(): Promise<void> }> {
  const url = postgresUrl();
  if (db.kind !== "postgres" || url === undefined) return { other: db, close: async () => {} };
  const other = await openPostgres({ url, poolSize: 2 });
  return { other, close: () => other.close() };
}

/** Resolves when `check` holds, polling every 5 ms; fails after 20 s instead of hanging. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ task_uuid: `t${i}`, step_uuid: `s${i}` }));

/** A Tasker on `db` that only submits (its own worker never starts). */
function submitter(db: Database, templates: TaskTemplate[]): Promise<Tasker> {
  return Tasker.open({
    templates: TemplateRegistry.fromTemplates(templates),
    database: db,
    startWorker: false,
    staleness: false,
  });
}

/** Counts the calls of `worker.wake` (only notifications call it on a worker nobody submits to). */
function countWakes(tasker: Tasker): { readonly count: number } {
  const counter = { count: 0 };
  const wake = taskerEngine(tasker).worker.wake.bind(taskerEngine(tasker).worker);
  taskerEngine(tasker).worker.wake = () => {
    counter.count++;
    wake();
  };
  return counter;
}

dbTest("a send_batch from another connection is one notification and one wake-up", async (db) => {
  const namespace = uniqueName("wk");
  const queue = stepQueue(namespace);
  await ensureQueue(db, queue);
  assert.deepEqual([...await hasWakeTrigger(db, [queue])], [queue]);
  // Per statement, not per row: a batch costs its sender one NOTIFY.
  const [trigger] = await db.query<{ per_row: boolean }>(
    `SELECT (tgtype & 1) = 1 AS per_row FROM pg_trigger
      WHERE tgrelid = to_regclass('pgmq.q_' || $1::text) AND tgname = 'tasker_wake'`,
    [queue],
  );
  assert.equal(trigger?.per_row, false);

  const { other, close } = await otherConnection(db);
  let wakes = 0;
  const wakeups = new StepWakeups({
    db,
    bands: new PriorityBands([namespace]),
    onWake: () => wakes++,
    selfId: "worker-a",
    label: "test",
    pollIntervalMs: HOUR_MS,
  });
  try {
    assert.equal(await wakeups.start(), true);
    assert.equal(wakeups.listening, true);
    // The worker's own commits (marked with its id) wake it locally: their notification is not.
    await other.transaction(async (tx) => {
      await tx.query("SELECT set_config('tasker.worker_id', 'worker-a', true)");
      await tx.query("SELECT pgmq.send($1::text, $2::jsonb)", [queue, messages(1)[0]]);
    });
    await other.query("SELECT pgmq.send_batch($1::text, $2::jsonb[])", [queue, messages(100)]);
    await until("the batch's wake-up", () => wakes === 1);
    assert.equal(wakeups.stats().own, 1); // delivered before the batch's, not a wake-up
    // A marker sent afterwards arrives after every notification of the batch.
    await other.query("SELECT pgmq.send($1::text, $2::jsonb)", [queue, messages(1)[0]]);
    await until("the marker's notification", () => wakeups.stats().notifications === 3);
    assert.deepEqual(wakeups.stats(), { notifications: 3, wakeups: 2, own: 1 });
    assert.equal(wakes, 2);

    await wakeups.close();
    assert.equal(wakeups.listening, false);
    // After close the listener gets nothing: a probe on the same channel sees the next insert.
    let probed = false;
    const unlisten = await db.listen(wakeChannel(queue), () => (probed = true));
    try {
      await other.query("SELECT pgmq.send($1::text, $2::jsonb)", [queue, messages(1)[0]]);
      await until("the probe's notification", () => probed);
    } finally {
      await unlisten();
    }
    assert.deepEqual(wakeups.stats(), { notifications: 3, wakeups: 2, own: 1 });
    assert.equal(wakes, 2);
  } finally {
    await wakeups.close();
    await close();
  }
});

dbTest("a band queue created after listening began, in a transaction, wakes it", async (db) => {
  const namespace = uniqueName("wk");
  await ensureQueue(db, stepQueue(namespace));
  const bands = new PriorityBands([namespace]);
  assert.deepEqual(await bands.queues(db), [stepQueue(namespace)]); // just looked: no bands
  const { other, close } = await otherConnection(db);
  let wakes = 0;
  const wakeups = new StepWakeups({
    db,
    bands,
    onWake: () => wakes++,
    label: "test",
    pollIntervalMs: HOUR_MS,
  });
  try {
    assert.equal(await wakeups.start(), true);
    const high = stepQueueFor(namespace, 5);
    // As an operator action does: the queue made and written inside one transaction.
    await other.transaction(async (tx) => {
      await ensureQueue(tx, high);
      await tx.query("SELECT pgmq.send($1::text, $2::jsonb)", [high, messages(1)[0]]);
    });
    await until("the band queue's wake-up", () => wakes === 1);
    // Found at once, not after the band refresh interval.
    assert.deepEqual(await bands.queues(db), [high, stepQueue(namespace)]);
  } finally {
    await wakeups.close();
    await close();
  }
});

dbTest("an idle worker with a one-hour poll runs tasks another Tasker submits", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "wk");
  await using worker = await openTasker(db, [template], { pollIntervalMs: HOUR_MS });
  const wakes = countWakes(worker);
  const { other, close } = await otherConnection(db);
  try {
    await using client = await submitter(other, [template]);
    // Let the worker read its empty queue and back off into its idle sleep.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const request = { namespace: template.namespace_name, name: template.name };
    const one = await client.submit({ ...request, context: { even_number: 6 } });
    const done = await worker.waitFor(one.task_uuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    assert.equal(done.steps.linear_step_4?.result, 69);
    assert.ok(wakes.count > 0, "the worker was woken by the insert from the other Tasker");

    // A burst from the other connection: every task runs.
    const burst = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) => client.submit({ ...request, context: { even_number: 2 * (i + 1) } }),
      ),
    );
    for (const task of burst) {
      const status = await worker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
      assert.equal(status.status, "complete");
    }
    assert.equal(worker.stats().succeeded, 4 * 31);
  } finally {
    await close();
  }
});

dbTest("two workers starting at once both listen, and share the work", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "wk");
  const { other, close } = await otherConnection(db);
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.map(String).join(" "));
  try {
    const [a, b] = await Promise.all([
      openTasker(db, [template], { pollIntervalMs: HOUR_MS }),
      openTasker(other, [template], { pollIntervalMs: HOUR_MS }),
    ]);
    try {
      const queue = stepQueue(template.namespace_name);
      assert.deepEqual([...await hasWakeTrigger(db, [queue])], [queue]);
      await using client = await submitter(other, [template]);
      const tasks = await Promise.all(
        Array.from({ length: 6 }, () =>
          client.submit({
            namespace: template.namespace_name,
            name: template.name,
            context: { even_number: 4 },
          })),
      );
      for (const task of tasks) {
        assert.equal((await a.waitFor(task.task_uuid, { timeoutMs: 20_000 })).status, "complete");
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  } finally {
    console.error = original;
    await close();
  }
  assert.deepEqual(errors.filter((line) => /wake-up|LISTEN/.test(line)), []);
});

dbTest("a database that cannot LISTEN is polled, and says so once", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "wk");
  const deaf: Database = {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    transaction: (fn) => db.transaction(fn),
    listen: () => Promise.reject(new Error("LISTEN is not supported here")),
    close: () => db.close(),
    [Symbol.asyncDispose]: () => db.close(),
  };
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.map(String).join(" "));
  try {
    await using tasker = await openTasker(deaf, [template], { pollIntervalMs: 20 });
    const { other, close } = await otherConnection(db);
    try {
      await using client = await submitter(other, [template]);
      const task = await client.submit({
        namespace: template.namespace_name,
        name: template.name,
        context: { even_number: 6 },
      });
      const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
      assert.equal(done.status, "complete");
    } finally {
      await close();
    }
  } finally {
    console.error = original;
  }
  const listenErrors = errors.filter((line) => line.includes("cannot LISTEN"));
  assert.equal(listenErrors.length, 1, errors.join("\n"));
  assert.match(listenErrors[0]!, /polls its queues every 20 ms instead: LISTEN is not supported/);
});

const url = postgresUrl();
Deno.test({
  name:
    "processes racing on a fresh database replace an old trigger function and install triggers once",
  ignore: url === undefined,
  fn: () =>
    withThrowawayDatabase(url!, async (freshUrl) => {
      const [one, two] = await Promise.all([
        openPostgres({ url: freshUrl, poolSize: 4 }),
        openPostgres({ url: freshUrl, poolSize: 4 }),
      ]);
      try {
        await migrate(one, taskerMigrations);
        const queues = Array.from({ length: 5 }, () => stepQueue(uniqueName("race")));
        for (const queue of queues) await one.query("SELECT pgmq.create($1::text)", [queue]);
        // An older version's function (no mark): every call below races to replace it once,
        // then to create the triggers.
        await one.query(`CREATE FUNCTION tasker.wake_step_workers() RETURNS trigger
          LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`);
        await Promise.all(
          queues.flatMap((queue) => [
            installWakeTrigger(one, queue),
            installWakeTrigger(two, queue),
            two.transaction((tx) => installWakeTrigger(tx, queue)),
          ]),
        );
        assert.equal((await hasWakeTrigger(two, queues)).size, queues.length);
        const [{ n }] = await one.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_trigger
            WHERE tgname = 'tasker_wake' AND tgrelid = ANY(
              SELECT to_regclass('pgmq.q_' || q) FROM unnest($1::text[]) AS q)`,
          [queues],
        ) as [{ n: number }];
        assert.equal(n, queues.length);
        const [mark] = await one.query<{ mark: string }>(
          "SELECT obj_description('tasker.wake_step_workers()'::regprocedure, 'pg_proc') AS mark",
        );
        assert.equal(mark?.mark, "deno-tasker step wake-up v1");
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    }),
});
