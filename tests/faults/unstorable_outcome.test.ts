// One outcome can never block others: a value PostgreSQL's jsonb rejects fails its own step
// (non-retryable, naming the path), never its commit group; and should the database refuse an
// outcome anyway, the committer isolates it and records a failure in its place.
import assert from "node:assert/strict";
import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { defaultPublisher } from "../../src/events/publisher.ts";
import type { PublisherRegistry } from "../../src/events/publisher_registry.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "../worker/_engine.ts";

const template = (namespace: string) =>
  parseTemplateIn(
    `
name: group
namespace_name: x
version: 1.0.0
steps:
  - name: only
    handler: { callable: test.only }
    retry: { max_attempts: 3, backoff: none }
    publishes_events:
      - name: only.done
        condition: success
        delivery_mode: fast
      - name: only.failed
        condition: failure
        delivery_mode: fast
`,
    namespace,
  );

async function submitMany(
  tasker: Awaited<ReturnType<typeof openTasker>>,
  namespace: string,
  contexts: Record<string, unknown>[],
) {
  const ids: string[] = [];
  for (const context of contexts) {
    ids.push(
      (await tasker.submit({ namespace, name: "group", context: context as never })).task_uuid,
    );
  }
  return ids;
}

const BAD_VALUES: [string, unknown, string][] = [
  ["a lone surrogate", { s: "ok\ud800" }, "result.s"],
  ["a NUL character", { list: ["fine", "nul\u0000"] }, "result.list[1]"],
  ["a NUL in a key", { nested: { "k\u0000": 1 } }, "result.nested"],
];

for (const [what, value, path] of BAD_VALUES) {
  dbTest(`a result holding ${what} fails its own step only, naming ${path}`, async (db) => {
    const namespace = uniqueName("unstorable");
    const handlers = new HandlerRegistry().register(
      "test.only",
      (ctx) => ctx.input("bad") ? success(value as never) : success({ n: ctx.input("n") }),
    );
    await using tasker = await openTasker(db, [template(namespace)], { handlers, concurrency: 40 });
    const contexts = Array.from({ length: 30 }, (_, n) => ({ n }));
    contexts.splice(15, 0, { bad: true } as never);
    const ids = await submitMany(tasker, namespace, contexts);
    const done = await Promise.all(ids.map((id) => tasker.waitFor(id, { timeoutMs: 30_000 })));
    const bad = done[15]!;
    assert.equal(bad.status, "error");
    const step = bad.steps.only!;
    assert.equal(step.attempts, 1, "an unstorable result is not retried");
    assert.equal(step.error?.error_type, "InvalidStepResult");
    assert.match(String(step.error?.message), new RegExp(path.replace(/[[\].]/g, "\\$&")));
    assert.deepEqual(bad.events.map((e) => e.event_name), ["only.failed"]);
    const good = done.filter((_, i) => i !== 15);
    assert.deepEqual(good.map((t) => t.status), good.map(() => "complete"));
    assert.deepEqual(good.map((t) => t.steps.only!.result), contexts.filter((_, i) => i !== 15));
  });
}

dbTest(
  "a failure message or metadata jsonb cannot store fails as InvalidStepResult",
  async (db) => {
    const namespace = uniqueName("unstorable");
    const handlers = new HandlerRegistry().register(
      "test.only",
      (ctx) =>
        ctx.input("meta")
          ? success({ ok: true }, { note: "\udc00" })
          : failure("boom \ud83d", { errorCode: "X" }),
    );
    await using tasker = await openTasker(db, [template(namespace)], { handlers });
    const [failing, meta] = await submitMany(tasker, namespace, [{}, { meta: true }]);
    const first = await tasker.waitFor(failing!, { timeoutMs: 20_000 });
    assert.equal(first.status, "error");
    assert.equal(first.steps.only!.attempts, 1);
    assert.match(
      String(first.steps.only!.error?.message),
      /error\.message holds a string with a lone UTF-16 surrogate \(U\+D83D\)/,
    );
    const second = await tasker.waitFor(meta!, { timeoutMs: 20_000 });
    assert.equal(second.status, "error");
    assert.match(String(second.steps.only!.error?.message), /metadata\.note/);
  },
);

dbTest("an event a publisher makes unstorable is not published; the step stands", async (db) => {
  const namespace = uniqueName("unstorable");
  const handlers = new HandlerRegistry().register("test.only", () => success({ ok: true }));
  const withPublisher = parseTemplateIn(
    `
name: group
namespace_name: x
version: 1.0.0
steps:
  - name: only
    handler: { callable: test.only }
    publishes_events:
      - name: only.done
        condition: success
        delivery_mode: durable
        publisher: BadPublisher
      - name: only.audited
        condition: success
        delivery_mode: durable
`,
    namespace,
  );
  await using tasker = await openTasker(db, [withPublisher], { handlers });
  (tasker.publishers as PublisherRegistry).register({
    ...defaultPublisher,
    name: "BadPublisher",
    transformPayload: () => ({ label: "bad\ud800" }),
  });
  const [id] = await submitMany(tasker, namespace, [{}]);
  const done = await tasker.waitFor(id!, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(done.events.map((e) => e.event_name), ["only.audited"]);
  // The task is complete in the database a moment before the worker has counted its outcome.
  while (tasker.stats().processed < 1) await new Promise((r) => setTimeout(r, 10));
  assert.equal(tasker.stats().unstorable_events, 1);
});

/** `db`, except that any statement whose parameters mention `POISON` fails as jsonb would. */
function poisoned(db: Database): Database {
  const check = (params: readonly unknown[] | undefined) => {
    if (JSON.stringify(params ?? []).includes("POISON")) {
      throw Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" });
    }
  };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      check(params);
      return q.query(sql, params);
    },
  });
  return {
    kind: db.kind,
    query: wrap(db).query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

dbTest(
  "a group the database refuses is split; the good outcomes commit, the culprit fails",
  async (db) => {
    const namespace = uniqueName("isolate");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handlers = new HandlerRegistry().register("test.only", async (ctx) => {
      await gate; // every handler finishes at once, so their outcomes share one group
      return success(ctx.input("poison") ? { v: "POISON" } : { n: ctx.input("n") });
    });
    await using tasker = await openTasker(poisoned(db), [template(namespace)], {
      handlers,
      concurrency: 20,
    });
    const contexts: Record<string, unknown>[] = Array.from({ length: 12 }, (_, n) => ({ n }));
    contexts.splice(5, 0, { poison: true });
    const ids = await submitMany(tasker, namespace, contexts);
    while (tasker.stats().in_progress < ids.length) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    release();
    const done = await Promise.all(ids.map((id) => tasker.waitFor(id, { timeoutMs: 30_000 })));
    const culprit = done[5]!;
    assert.equal(culprit.status, "error");
    assert.equal(culprit.steps.only!.attempts, 1);
    assert.equal(culprit.steps.only!.error?.error_type, "InvalidStepResult");
    assert.match(
      String(culprit.steps.only!.error?.message),
      /could not be recorded: unsupported Unicode escape sequence \(SQLSTATE 22P05\)/,
    );
    assert.deepEqual(culprit.events.map((e) => e.event_name), ["only.failed"]);
    const good = done.filter((_, i) => i !== 5);
    assert.deepEqual(good.map((t) => t.status), good.map(() => "complete"));
    assert.ok(tasker.stats().commit_isolations >= 1);
  },
);
