// Task identity and request fields on both databases, porting tasker-core's identity tests
// (same context twice → refused; different contexts → two tasks; keys reordered → refused;
// concurrent identical requests → exactly one succeeds), plus the request fields in `status`
// and priority ordering the claims of a namespace.
import assert from "node:assert/strict";
import { parseTemplate } from "../../src/template/load.ts";
import { TemplateValidationError } from "../../src/template/errors.ts";
import {
  DuplicateTaskError,
  IdempotencyKeyRequiredError,
  normalizedJson,
  taskIdentity,
} from "../../src/worker/task_identity.ts";
import { TaskRequestError } from "../../src/worker/task_request_wire.ts";
import { priorityBand, stepQueueFor } from "../../src/worker/priority_queues.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest } from "../_db.ts";
import { inlineTemplate, operationsTasker } from "./_operations.ts";

const template = (strategy: string) => `
name: ident
namespace_name: placeholder
version: 1.0.0
${strategy === "" ? "" : `identity_strategy: ${strategy}`}
steps:
  - name: only
    handler: { callable: ident.only }
`;

Deno.test("normalized JSON sorts keys at every depth and keeps array order", () => {
  assert.equal(normalizedJson({ b: [2, { z: 1, y: 2 }], a: 1 }), '{"a":1,"b":[2,{"y":2,"z":1}]}');
});

Deno.test("identity hashes: strategy table, key override, template scope", async () => {
  const strict = { identity_strategy: "strict" as const };
  const a = await taskIdentity(strict, "x/t@1", { a: 1, b: 2 }, undefined);
  const b = await taskIdentity(strict, "x/t@1", { b: 2, a: 1 }, undefined);
  const other = await taskIdentity(strict, "x/u@1", { a: 1, b: 2 }, undefined);
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, other.hash, "identities are scoped by template");
  const keyed = await taskIdentity(strict, "x/t@1", { a: 1, b: 2 }, "k1");
  assert.notEqual(keyed.hash, a.hash, "the key wins over the context");
  assert.equal((await taskIdentity({}, "x/t@1", { a: 1 }, undefined)).hash, null);
  assert.equal(
    (await taskIdentity({}, "x/t@1", { a: 1 }, "k1")).hash,
    (await taskIdentity({ identity_strategy: "caller_provided" }, "x/t@1", { z: 9 }, "k1")).hash,
  );
  await assert.rejects(
    taskIdentity({ identity_strategy: "caller_provided" }, "x/t@1", {}, undefined),
    (e: unknown) => e instanceof IdempotencyKeyRequiredError && /x\/t@1/.test(e.message),
  );
});

Deno.test("identity_strategy is a checked template key", () => {
  assert.equal(parseTemplate(template("strict")).identity_strategy, "strict");
  assert.equal(parseTemplate(template("")).identity_strategy, undefined);
  assert.throws(() => parseTemplate(template("sometimes")), TemplateValidationError);
});

Deno.test("priority bands pick the step queue", () => {
  assert.deepEqual([priorityBand(100), priorityBand(0), priorityBand(-1)], [
    "high",
    "normal",
    "low",
  ]);
  assert.equal(stepQueueFor("a".repeat(29), 1).length, 47, "fits PGMQ's 47 characters");
  assert.equal(stepQueueFor("pay", -5), "worker_pay_queue_low");
});

dbTest(
  "strict: the same context twice is refused (keys in any order), another is a new task",
  async (db) => {
    const t = inlineTemplate(template("strict"), "strict");
    await using tasker = await operationsTasker(db, t, { "ident.only": () => success(1) });
    const submit = (context: Record<string, unknown>) =>
      tasker.submit({ namespace: t.namespace_name, name: t.name, context });
    const first = await submit({ order: 1, items: [1, 2] });
    await assert.rejects(
      submit({ items: [1, 2], order: 1 }),
      (e: unknown) =>
        e instanceof DuplicateTaskError && e.code === "E_TASK_DUPLICATE" &&
        e.existing_task_uuid === first.task_uuid && e.strategy === "strict",
    );
    const second = await submit({ order: 2, items: [1, 2] });
    assert.notEqual(second.task_uuid, first.task_uuid);
    await submit({ order: 1, items: [2, 1] }); // array order matters: another identity
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasker.tasks WHERE namespace = $1",
      [t.namespace_name],
    );
    assert.equal(rows[0]!.n, 3);
    // An identity is never released: a finished task still holds it.
    await tasker.waitFor(first.task_uuid, { timeoutMs: 20_000 });
    await assert.rejects(submit({ order: 1, items: [1, 2] }), DuplicateTaskError);
  },
);

dbTest("idempotency_key deduplicates on any template; caller_provided requires it", async (db) => {
  const open = inlineTemplate(template(""), "key");
  const caller = inlineTemplate(template("caller_provided"), "caller");
  await using tasker = await operationsTasker(db, [open, caller], {
    "ident.only": () => success(1),
  });
  const ask = (t: typeof open, key?: string, context = {}) =>
    tasker.submit({
      namespace: t.namespace_name,
      name: t.name,
      context,
      ...(key === undefined ? {} : { idempotency_key: key }),
    });
  // always_unique (no strategy declared): the same context twice is two tasks...
  assert.notEqual((await ask(open)).task_uuid, (await ask(open)).task_uuid);
  // ...but a key makes it one.
  const keyed = await ask(open, "order-7");
  await assert.rejects(ask(open, "order-7", { other: true }), DuplicateTaskError);
  await assert.rejects(ask(caller), IdempotencyKeyRequiredError);
  const callerTask = await ask(caller, "order-7");
  assert.notEqual(callerTask.task_uuid, keyed.task_uuid, "the same key on another template");
  const status = await tasker.status(callerTask.task_uuid);
  assert.equal(status.request.idempotency_key, "order-7");
  assert.equal(status.request.identity_strategy, "caller_provided");
  await assert.rejects(ask(open, ""), TaskRequestError);
});

dbTest("concurrent identical submits create exactly one task", async (db) => {
  const t = inlineTemplate(template("strict"), "race");
  await using tasker = await operationsTasker(db, t, { "ident.only": () => success(1) });
  const outcomes = await Promise.allSettled(
    Array.from(
      { length: 20 },
      () => tasker.submit({ namespace: t.namespace_name, name: t.name, context: { same: true } }),
    ),
  );
  const created = outcomes.filter((o) => o.status === "fulfilled");
  const refused = outcomes.filter((o) => o.status === "rejected");
  assert.equal(created.length, 1);
  assert.equal(refused.length, 19);
  const id = (created[0] as PromiseFulfilledResult<{ task_uuid: string }>).value.task_uuid;
  for (const r of refused as PromiseRejectedResult[]) {
    assert.ok(r.reason instanceof DuplicateTaskError, String(r.reason));
    assert.equal(r.reason.existing_task_uuid, id);
  }
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.tasks WHERE namespace = $1",
    [t.namespace_name],
  );
  assert.equal(rows[0]!.n, 1);
  const steps = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasker.steps s JOIN tasker.tasks t USING (task_uuid) WHERE t.namespace = $1",
    [t.namespace_name],
  );
  assert.equal(steps[0]!.n, 1, "a refused submission leaves no steps behind");
});

dbTest(
  "request fields are stored and shown in status; bad ones are refused by name",
  async (db) => {
    const t = inlineTemplate(template(""), "fields");
    await using tasker = await operationsTasker(db, t, { "ident.only": () => success(1) });
    const parent = crypto.randomUUID();
    const task = await tasker.submit({
      namespace: t.namespace_name,
      name: t.name,
      context: {},
      tags: ["web", "vip"],
      priority: 7,
      initiator: "ada@example.com",
      source_system: "storefront",
      reason: "checkout",
      parent_correlation_id: parent,
    });
    const status = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.deepEqual(status.request, {
      priority: 7,
      tags: ["web", "vip"],
      initiator: "ada@example.com",
      source_system: "storefront",
      reason: "checkout",
      parent_correlation_id: parent,
      idempotency_key: null,
      identity_strategy: "always_unique",
    });
    await assert.rejects(
      tasker.submit({
        namespace: t.namespace_name,
        name: t.name,
        context: {},
        reason: "x".repeat(501),
      }),
      (e: unknown) => e instanceof TaskRequestError && e.field === "reason",
    );
  },
);

dbTest("priority orders claiming within a namespace: high band, normal, low", async (db) => {
  const t = inlineTemplate(template(""), "prio");
  const order: number[] = [];
  await using tasker = await operationsTasker(db, t, {
    "ident.only": (ctx) => (order.push(ctx.input<number>("p")!), success(null)),
  }, { startWorker: false, concurrency: 1 });
  const ids: string[] = [];
  for (const p of [-10, 0, 50, -10, 0, 50]) {
    ids.push(
      (await tasker.submit({
        namespace: t.namespace_name,
        name: t.name,
        context: { p },
        priority: p,
      })).task_uuid,
    );
  }
  // One step at a time: the worker reads the high band first, the low band last.
  await tasker.start();
  for (const id of ids) await tasker.waitFor(id, { timeoutMs: 20_000 });
  assert.deepEqual(order, [50, 50, 0, 0, -10, -10]);
});
