// Recurring schedules: exactly one fire per occurrence among several workers, the catch-up
// policies after downtime, schedules declared in a template, and clear errors.
import assert from "node:assert/strict";
import { migrate } from "../../src/durable/db/migrate.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { taskerMigrations } from "../../src/worker/engine_migrations.ts";
import { ScheduleError, Scheduler } from "../../src/worker/schedules.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { eventually } from "../observe/_helpers.ts";
import { exampleTemplate, openTasker, parseTemplateIn } from "./_engine.ts";

const T0 = Date.parse("2026-01-05T10:00:00Z");
const at = (ms: number) => new Date(T0 + ms);
const MIN = 60_000;

async function firesOf(db: Parameters<Parameters<typeof dbTest>[1]>[0], name: string) {
  return await db.query<{ fire_time: Date | string; task_uuid: string | null }>(
    "SELECT fire_time, task_uuid FROM tasker.schedule_fires WHERE schedule_name = $1 ORDER BY fire_time",
    [name],
  );
}

dbTest("several workers running one schedule fire each occurrence exactly once", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "sch");
  const templates = TemplateRegistry.fromTemplates([template]);
  await migrate(db, taskerMigrations);
  const name = uniqueName("every_minute");
  const workers = Array.from(
    { length: 4 },
    (_, i) => new Scheduler({ db, templates, workerId: `w${i}` }),
  );
  for (const w of workers) {
    w.add({
      name,
      cron: "* * * * *",
      namespace: template.namespace_name,
      task: template.name,
      context: { even_number: 4 },
    }, at(-30_000));
  }
  let fired = 0;
  for (let minute = 0; minute < 3; minute++) {
    const now = at(minute * MIN + 1_000);
    const results = await Promise.all(workers.map((w) => w.tick(now)));
    const fires = results.flat();
    assert.equal(fires.length, 1, `minute ${minute}: ${fires.length} fires`);
    assert.equal(fires[0]!.fire_time.getTime(), T0 + minute * MIN);
    assert.ok(fires[0]!.task !== undefined);
    fired += fires.length;
    // A second tick in the same minute fires nothing.
    assert.equal((await Promise.all(workers.map((w) => w.tick(now)))).flat().length, 0);
  }
  const rows = await firesOf(db, name);
  assert.equal(rows.length, fired);
  const tasks = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.tasks WHERE namespace = $1 AND tags @> $2::jsonb",
    [template.namespace_name, JSON.stringify([`schedule:${name}`])],
  );
  assert.equal(tasks[0]!.n, 3);
  assert.ok(rows.every((r) => r.task_uuid !== null));
  await Promise.all(workers.map((w) => w.close()));
});

dbTest(
  "catch-up after downtime: latest fires the most recent once, skip fires none",
  async (db) => {
    const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "cat");
    const templates = TemplateRegistry.fromTemplates([template]);
    await migrate(db, taskerMigrations);
    const latest = uniqueName("latest");
    const skip = uniqueName("skip");
    const scheduler = new Scheduler({ db, templates, workerId: "w", graceMs: 30_000 });
    const base = {
      cron: "*/5 * * * *",
      namespace: template.namespace_name,
      task: template.name,
      context: { even_number: 2 },
    };
    scheduler.add({ ...base, name: latest }, at(-MIN));
    scheduler.add({ ...base, name: skip, catch_up: "skip" }, at(-MIN));
    // On time: both fire at T0.
    const first = await scheduler.tick(at(2_000));
    assert.deepEqual(first.map((f) => [f.schedule, f.fire_time.getTime(), f.task !== undefined]), [
      [latest, T0, true],
      [skip, T0, true],
    ]);
    // Down for an hour: 12 occurrences passed (T0+5m ... T0+60m).
    const after = await scheduler.tick(at(60 * MIN + 45_000));
    const byName = new Map(after.map((f) => [f.schedule, f]));
    assert.equal(byName.get(latest)!.fire_time.getTime(), T0 + 60 * MIN);
    assert.equal(byName.get(latest)!.passed_over, 11);
    assert.ok(byName.get(latest)!.task !== undefined);
    // skip: the missed occurrence (45 s late, grace 30 s) is recorded without a task.
    assert.equal(byName.get(skip)!.fire_time.getTime(), T0 + 60 * MIN);
    assert.equal(byName.get(skip)!.task, undefined);
    assert.equal((await firesOf(db, skip)).at(-1)!.task_uuid, null);
    // Both resume at their next occurrence.
    const next = await scheduler.tick(at(65 * MIN + 1_000));
    assert.deepEqual(next.map((f) => [f.schedule, f.fire_time.getTime(), f.task !== undefined]), [
      [latest, T0 + 65 * MIN, true],
      [skip, T0 + 65 * MIN, true],
    ]);
    assert.equal((await firesOf(db, latest)).length, 3);
    await scheduler.close();
  },
);

dbTest(
  "schedules declared in a template run on the Tasker; list shows the next fire",
  async (db) => {
    const namespace = uniqueName("tpl");
    const base = await Deno.readTextFile(
      new URL("../../templates/linear_workflow/mathematical_sequence.yaml", import.meta.url),
    );
    const yaml = base + `
schedules:
  - name: nightly
    cron: "0 3 * * *"
    timezone: Europe/Paris
    context: { even_number: 8 }
    catch_up: skip
`;
    const template = parseTemplateIn(yaml, namespace);
    assert.equal(template.schedules?.[0]?.timezone, "Europe/Paris");
    await using tasker = await openTasker(db, [template]);
    const [info] = tasker.schedules();
    assert.equal(info!.name, `${namespace}.mathematical_sequence.nightly`);
    assert.equal(info!.catch_up, "skip");
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    assert.match(info!.next_fire_at!, /T0[12]:00:00\.000Z$/);
    // Another worker's scheduler (the Tasker's own runs on its timer): due two days on.
    const other = new Scheduler({ db, templates: tasker.templates, workerId: "other" });
    other.addTemplateSchedules(new Date(Date.now() - 60_000));
    const fires = await other.tick(new Date(Date.now() + 2 * 86_400_000));
    await other.close();
    assert.equal(fires.length, 1);
    // Late by a day with catch_up skip: recorded, nothing submitted.
    assert.equal(fires[0]!.task, undefined);
    // A Tasker that does not run schedules (what `tasker run` opens) does not add them.
    await using quiet = await openTasker(db, [template], { runSchedules: false });
    assert.deepEqual(quiet.schedules(), []);
  },
);

dbTest("a template's bad schedules fail at load, naming the field", async () => {
  const base = await Deno.readTextFile(
    new URL("../../templates/linear_workflow/mathematical_sequence.yaml", import.meta.url),
  );
  const bad = (entry: string) => () =>
    parseTemplateIn(`${base}\nschedules:\n  - ${entry}\n`, "tpl_bad");
  assert.throws(bad(`{ name: n, cron: "61 * * * *" }`), /schedules.*cron.*minute "61"/s);
  assert.throws(
    bad(`{ name: n, cron: "* * * * *", timezone: Nowhere/Land }`),
    /unknown time zone "Nowhere\/Land"/,
  );
  assert.throws(bad(`{ name: n, cron: "* * * * *", catch_up: all }`), /catch_up/);
  assert.throws(bad(`{ name: n, cron: "* * * * *", every: 5 }`), /every/);
}, { skipPostgres: true });

dbTest("bad schedules are refused with the schedule's name", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "sbad");
  const templates = TemplateRegistry.fromTemplates([template]);
  await migrate(db, taskerMigrations);
  const scheduler = new Scheduler({ db, templates, workerId: "w" });
  const ok = {
    name: "s",
    cron: "@hourly",
    namespace: template.namespace_name,
    task: template.name,
    context: { even_number: 2 },
  };
  scheduler.add(ok);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...ok }, /schedule "s": is already defined/],
    [{ ...ok, name: "has space" }, /the name must be/],
    [
      { ...ok, name: "c", cron: "* * *" },
      /schedule "c": cron expression "\* \* \*": expected 5 fields/,
    ],
    [{ ...ok, name: "z", timezone: "Nope/Zone" }, /unknown time zone/],
    [{ ...ok, name: "t", task: "no_such" }, /schedule "t": .*no_such/],
    [
      { ...ok, name: "x", context: { even_number: 3 } },
      /schedule "x": context .* fails its input_schema/,
    ],
    [{ ...ok, name: "p", catch_up: "all" }, /catch_up must be "latest" or "skip"/],
  ];
  for (const [definition, message] of cases) {
    assert.throws(
      () => scheduler.add(definition as never),
      (e: unknown) => e instanceof ScheduleError && message.test(e.message),
      String(definition.name),
    );
  }
  await scheduler.close();
}, { skipPostgres: true });

dbTest("a Tasker's scheduler fires on its own timer and the task runs", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "tmr");
  const name = uniqueName("timer");
  await using tasker = await openTasker(db, [template]);
  // Last fired five minutes ago: the most recent occurrence is due at once (catch-up: latest).
  await db.query(
    "INSERT INTO tasker.schedule_fires (schedule_name, fire_time, fired_by) VALUES ($1, date_trunc('minute', now()) - interval '5 minutes', 'test')",
    [name],
  );
  tasker.schedule({
    name,
    cron: "* * * * *",
    namespace: template.namespace_name,
    task: template.name,
    context: { even_number: 6 },
  });
  const fired = await eventually(
    async () => {
      const rows = await db.query<{ task_uuid: string | null }>(
        "SELECT task_uuid::text AS task_uuid FROM tasker.schedule_fires WHERE schedule_name = $1 AND fired_by <> 'test'",
        [name],
      );
      return rows[0]?.task_uuid ?? undefined;
    },
    "the scheduled fire",
    10_000,
  );
  const done = await tasker.waitFor(fired, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual((await tasker.task(fired)).tags, [`schedule:${name}`]);
});

dbTest("a fire whose submission fails is tried again at the next tick", async (db) => {
  const template = await exampleTemplate("linear_workflow/mathematical_sequence.yaml", "rty");
  await migrate(db, taskerMigrations);
  let failures = 1;
  // The task insert fails once, after the fire row is written: the transaction rolls back both.
  const flaky: typeof db = {
    ...db,
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: (sql, params) => {
            if (sql.includes("INSERT INTO tasker.tasks") && failures-- > 0) {
              return Promise.reject(new Error("insert failed (test)"));
            }
            return tx.query(sql, params);
          },
        })
      ),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
  };
  const templates = TemplateRegistry.fromTemplates([template]);
  const scheduler = new Scheduler({ db: flaky, templates, workerId: "w" });
  const name = uniqueName("flaky");
  scheduler.add({
    name,
    cron: "*/10 * * * *",
    namespace: template.namespace_name,
    task: template.name,
    context: { even_number: 2 },
  }, at(-MIN));
  const errors: string[] = [];
  const original = console.error;
  console.error = (message: string) => errors.push(message);
  try {
    assert.deepEqual(await scheduler.tick(at(1_000)), []);
    assert.equal((await firesOf(db, name)).length, 0, "rolled back with the task");
    const retried = await scheduler.tick(at(2_000));
    assert.equal(retried.length, 1);
    assert.equal(retried[0]!.fire_time.getTime(), T0);
    assert.ok(retried[0]!.task !== undefined);
  } finally {
    console.error = original;
  }
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, new RegExp(`schedule ${name} could not fire: insert failed`));
  await scheduler.close();
});
