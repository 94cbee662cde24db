// Owed durable events held by two writers at once — the original writer, stalled, and a recovery
// pass in another process — are written to PGMQ exactly once, and none is lost; a live writer's
// held events are not re-sent at all. On both databases, plus a two-worker run on the server
// whose queue writes stall behind a table lock.
import assert from "node:assert/strict";
import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { migrate } from "../../src/durable/db/migrate.ts";
import { openPostgres } from "../../src/durable/db/postgres.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { domainEventsQueue } from "../../src/names.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { OwedEvents } from "../../src/worker/owed_events.ts";
import { taskerMigrations } from "../../src/worker/engine_migrations.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, postgresUrl, uniqueName, withPostgres } from "../_db.ts";
import { dropQueues, freshNamespace, makeEvent, until } from "../durable/_path_helpers.ts";
import { parseTemplateIn } from "../worker/_engine.ts";
import { Tasker } from "../../src/tasker.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";

/** A Database whose statements wait while `closed`: a writer whose queue writes stall. */
class GatedDatabase implements Database {
  #open!: () => void;
  #gate: Promise<void>;
  readonly #inner: Database;

  constructor(inner: Database) {
    this.#inner = inner;
    this.#gate = new Promise((resolve) => this.#open = resolve);
  }

  get kind() {
    return this.#inner.kind;
  }

  open(): void {
    this.#open();
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    await this.#gate;
    return await this.#inner.query<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    await this.#gate;
    return await this.#inner.transaction(fn);
  }

  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.#inner.listen(channel, onNotify);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Stores `count` committed, owed durable events of one task, last routed an hour ago. */
async function owedEvents(db: Database, namespace: string, count: number): Promise<DomainEvent[]> {
  const taskUuid = crypto.randomUUID();
  await db.query(
    `INSERT INTO tasker.tasks (task_uuid, namespace, name, version, context, correlation_id, step_count)
     VALUES ($1::uuid, $2::text, 'owes', '1.0.0', '{}'::jsonb, 'c', 1)`,
    [taskUuid, namespace],
  );
  const events = Array.from(
    { length: count },
    (_, index) => makeEvent(namespace, "a.b", { index }),
  );
  await db.query(
    `INSERT INTO tasker.step_events
       (event_id, task_uuid, step_uuid, event_name, delivery_mode, queue, envelope, last_routed_at)
     SELECT e.id, $1::uuid, $1::uuid, 'a.b', 'durable', $2::text, e.envelope,
            now() - interval '1 hour'
       FROM unnest($3::uuid[], $4::jsonb[]) AS e(id, envelope)`,
    [
      taskUuid,
      domainEventsQueue(namespace),
      events.map((e) => e.event_id),
      events.map((e) => JSON.stringify(e)),
    ],
  );
  return events;
}

/** How often each event id is in the namespace's queue. */
async function copies(db: Queryable, namespace: string): Promise<Map<string, number>> {
  const rows = await db.query<{ id: string; n: number }>(
    `SELECT message->>'event_id' AS id, count(*)::int AS n
       FROM pgmq."q_${domainEventsQueue(namespace)}" GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.id, row.n]));
}

function assertOnceEach(found: Map<string, number>, ids: readonly string[]): void {
  const lost = ids.filter((id) => !found.has(id));
  const duplicated = [...found].filter(([, n]) => n > 1);
  assert.equal(lost.length, 0, `${lost.length} events lost`);
  assert.equal(duplicated.length, 0, `${duplicated.length} events written more than once`);
  assert.equal(found.size, ids.length, "nothing else in the queue");
}

/** A second handle on the same data: its own pool on a server, the same PGlite embedded. */
async function secondHandle(db: Database): Promise<{ db: Database; close(): Promise<void> }> {
  const url = postgresUrl();
  if (db.kind !== "postgres" || url === undefined) return { db, close: () => Promise.resolve() };
  const other = await openPostgres({ url, poolSize: 4 });
  return { db: other, close: () => other.close() };
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

dbTest("two writers holding the same owed events write each exactly once", async (db) => {
  await migrate(db, taskerMigrations);
  const namespace = freshNamespace("ow");
  const queue = domainEventsQueue(namespace);
  const events = await owedEvents(db, namespace, 300);
  // Events with no ledger row (ad-hoc events, plain writer users) must still be written.
  const adHocA = Array.from({ length: 20 }, () => makeEvent(namespace, "ad.hoc"));
  const adHocB = Array.from({ length: 20 }, () => makeEvent(namespace, "ad.hoc"));
  const other = await secondHandle(db);
  const released = new Set<string>();
  const ledger = (owed: OwedEvents) => ({
    table: owed.ledger.table,
    released: (ids: readonly string[]) => {
      owed.ledger.released?.(ids);
      for (const id of ids) released.add(id);
    },
  });
  const ownerA = new OwedEvents();
  const ownerB = new OwedEvents();
  try {
    const writerA = new DurableWriter({ db, batchSize: 40, ledger: ledger(ownerA) });
    const writerB = new DurableWriter({ db: other.db, batchSize: 40, ledger: ledger(ownerB) });
    for (const event of [...events, ...adHocA]) writerA.enqueue(event, { queue });
    for (const event of shuffled([...events, ...adHocB])) writerB.enqueue(event, { queue });
    await Promise.all([writerA.flush(), writerB.flush()]);
    const a = writerA.stats();
    const b = writerB.stats();
    await Promise.all([writerA.close(), writerB.close()]);

    assertOnceEach(
      await copies(db, namespace),
      [...events, ...adHocA, ...adHocB].map((e) => e.event_id),
    );
    assert.equal(a.already_sent + b.already_sent, events.length, "each owed event skipped once");
    assert.equal(a.written + b.written, events.length + 40);
    const [owed] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasker.step_events WHERE event_id = ANY($1::uuid[]) AND sent_at IS NULL",
      [events.map((e) => e.event_id)],
    );
    assert.equal(owed!.n, 0, "every owed row is marked sent");
    assert.equal(released.size, events.length + 40, "the ledger hook saw every event released");
  } finally {
    await other.close();
    await dropQueues(db, queue);
  }
});

dbTest(
  "recovery leaves a live stalled writer's events alone and takes a dead one's, without duplicates",
  async (db) => {
    await migrate(db, taskerMigrations);
    const namespace = freshNamespace("ow");
    const queue = domainEventsQueue(namespace);
    const ids = (events: DomainEvent[]) => events.map((e) => e.event_id);

    // Process A: its writer holds 50 owed events and cannot write; A is alive, so its periodic
    // pass renews their lease.
    const held = await owedEvents(db, namespace, 50);
    const gateA = new GatedDatabase(db);
    const ownerA = new OwedEvents();
    const writerA = new DurableWriter({ db: gateA, ledger: ownerA.ledger });
    for (const event of held) {
      ownerA.track(event.event_id);
      writerA.enqueue(event, { queue });
    }
    assert.equal(await ownerA.recover(db, writerA, { olderThanMs: 10_000 }), 0);

    // Process B's pass must not re-send them.
    const ownerB = new OwedEvents();
    const writerB = new DurableWriter({ db, ledger: ownerB.ledger });
    assert.equal(await ownerB.recover(db, writerB, { olderThanMs: 10_000 }), 0);
    assert.equal(ownerB.recovered, 0, "no event a live writer holds is re-sent");

    // Process C holds 50 more, and is frozen (no pass renews them): B takes them over.
    const stranded = await owedEvents(db, namespace, 50);
    const gateC = new GatedDatabase(db);
    const ownerC = new OwedEvents();
    const writerC = new DurableWriter({ db: gateC, ledger: ownerC.ledger });
    for (const event of stranded) {
      ownerC.track(event.event_id);
      writerC.enqueue(event, { queue });
    }
    assert.equal(await ownerB.recover(db, writerB, { olderThanMs: 10_000 }), 50);
    await writerB.flush();

    // Both stalled writers wake up and write what they hold.
    gateA.open();
    gateC.open();
    await Promise.all([writerA.flush(), writerC.flush()]);
    assert.equal(writerA.stats().written, 50);
    assert.equal(writerC.stats().already_sent, 50, "C finds B wrote its events");
    assert.equal(writerC.stats().written, 0);
    assert.equal(ownerA.outstanding + ownerB.outstanding + ownerC.outstanding, 0);
    await Promise.all([writerA.close(), writerB.close(), writerC.close()]);
    assertOnceEach(await copies(db, namespace), [...ids(held), ...ids(stranded)]);
    await dropQueues(db, queue);
  },
);

const emitting = (namespace: string) =>
  parseTemplateIn(
    `
name: emits
namespace_name: x
version: 1.0.0
steps:
  - name: emit
    handler: { callable: test.emit }
    publishes_events:
      - name: audit.recorded
        delivery_mode: durable
`,
    namespace,
  );

Deno.test({
  name: "two workers whose queue writes stall write every owed event once [postgres]",
  ignore: postgresUrl() === undefined,
  fn: () =>
    withPostgres(postgresUrl()!, async (db) => {
      await migrate(db, taskerMigrations);
      const url = postgresUrl()!;
      const namespace = uniqueName("owst");
      const queue = domainEventsQueue(namespace);
      await db.query("SELECT pgmq.create($1::text)", [queue]);
      const template = emitting(namespace);
      const open = async () => {
        const tasker = await Tasker.open({
          templates: TemplateRegistry.fromTemplates([template]),
          database: { url, poolSize: 3, writerPoolSize: 2 },
          startWorker: false,
          pollIntervalMs: 10,
          handlers: new HandlerRegistry().register("test.emit", () => success({ ok: true })),
          recovery: { olderThanMs: 800, intervalMs: 150 },
          // Owed events are the subject: with "with_outcome" none exist (and a locked queue
          // table holds the steps' commits instead).
          durableEventWrites: "after_commit",
        });
        await tasker.start();
        return tasker;
      };
      const workers = [await open(), await open()];
      const locker = await openPostgres({ url, poolSize: 1 });
      let unlock!: () => void;
      const unlocked = new Promise<void>((resolve) => unlock = resolve);
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => locked = resolve);
      const holding = locker.transaction(async (tx) => {
        await tx.query(`LOCK TABLE pgmq."q_${queue}" IN EXCLUSIVE MODE`);
        locked();
        await unlocked;
      });
      try {
        await isLocked;
        const tasks = [];
        for (let index = 0; index < 30; index++) {
          const worker = workers[index % 2]!;
          tasks.push(await worker.submit({ namespace, name: "emits", context: { index } }));
        }
        for (const task of tasks) await workers[0]!.waitFor(task.task_uuid, { timeoutMs: 20_000 });
        // Several recovery passes run in both workers while every queue write is blocked.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        unlock();
        await holding;
        const taskIds = tasks.map((t) => t.task_uuid);
        await until("no owed events", async () => {
          const [row] = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM tasker.step_events WHERE task_uuid = ANY($1::uuid[]) AND sent_at IS NULL",
            [taskIds],
          );
          return row!.n === 0;
        }, 20_000);
        await Promise.all(workers.map((w) => w.flush()));
        const owed = await db.query<{ event_id: string }>(
          "SELECT event_id::text AS event_id FROM tasker.step_events WHERE task_uuid = ANY($1::uuid[])",
          [taskIds],
        );
        assert.equal(owed.length, 30);
        assertOnceEach(await copies(db, namespace), owed.map((r) => r.event_id));
      } finally {
        unlock();
        await holding.catch(() => {});
        await locker.close();
        await Promise.all(workers.map((w) => w.close()));
        await dropQueues(db, queue);
      }
    }),
});
