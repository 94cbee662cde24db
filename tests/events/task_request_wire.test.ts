// A task request's wire fields: the correlation id must be a UUID (one is generated when none is
// given), the other fields are checked, and what was submitted is what every event's task row
// carries (read back by the claim).
import assert from "node:assert/strict";
import { isUuid } from "../../src/events/uuid.ts";
import { checkTaskRequestWire, TaskRequestError } from "../../src/worker/task_request_wire.ts";
import { success } from "../../src/worker/step_handler.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import type { StepEventTask } from "../../src/events/context.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "../worker/_engine.ts";

Deno.test("request fields are checked, naming the field and the value", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ correlation_id: "order-1001" }, "correlation_id"],
    [{ parent_correlation_id: "parent" }, "parent_correlation_id"],
    [{ priority: 101 }, "priority"],
    [{ priority: 1.5 }, "priority"],
    [{ tags: ["ok", 3] }, "tags"],
    [{ requested_at: "not a date" }, "requested_at"],
  ];
  for (const [request, field] of cases) {
    assert.throws(
      () => checkTaskRequestWire("shop/checkout@1.0.0", request),
      (error: unknown) =>
        error instanceof TaskRequestError && error.field === field &&
        error.code === "E_TASK_REQUEST_INVALID" && error.message.includes("shop/checkout@1.0.0") &&
        error.message.includes(JSON.stringify(request[field])),
      field,
    );
  }
  const fields = checkTaskRequestWire("shop/checkout@1.0.0", {});
  assert.ok(isUuid(fields.correlation_id), "a UUID is generated when none is given");
  assert.equal(fields.priority, 0);
  assert.equal(fields.tags, "[]");
  const upper = checkTaskRequestWire("x", {
    correlation_id: "0193A3C4-0000-7000-8000-0000000000C1",
  });
  assert.equal(upper.correlation_id, "0193a3c4-0000-7000-8000-0000000000c1");
});

dbTest(
  "submit rejects a non-UUID correlation id and stores the request's wire fields",
  async (db) => {
    const namespace = uniqueName("req");
    const template = parseTemplateIn(
      `name: one
namespace_name: x
version: 1.0.0
steps:
  - name: only
    handler: { callable: req.only }
`,
      namespace,
    );
    const seen: StepEventTask[] = [];
    const handlers = new HandlerRegistry().register("req.only", (ctx) => {
      seen.push(ctx.task);
      return success({});
    });
    const tasker = await openTasker(db, [template], { handlers });
    try {
      await assert.rejects(
        tasker.submit({ namespace, name: "one", context: {}, correlation_id: "order-1001" }),
        (error: unknown) => error instanceof TaskRequestError && error.field === "correlation_id",
      );
      const count = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM tasker.tasks WHERE namespace = $1",
        [namespace],
      );
      assert.equal(count[0]!.n, 0, "nothing was stored");

      const generated = await tasker.submit({ namespace, name: "one", context: {} });
      assert.ok(isUuid(generated.correlation_id));
      const parent = generated.correlation_id;
      const task = await tasker.submit({
        namespace,
        name: "one",
        context: { k: 1 },
        tags: ["a", "b"],
        priority: -7,
        parent_correlation_id: parent,
        requested_at: "2026-01-02T03:04:05.678Z",
        initiator: "tests",
        reason: "wire columns",
      });
      await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
      const claimed = seen.find((t) => t.task_uuid === task.task_uuid)!;
      assert.deepEqual(claimed.tags, ["a", "b"]);
      assert.equal(claimed.priority, -7);
      assert.equal(claimed.parent_correlation_id, parent);
      assert.equal(claimed.requested_at, "2026-01-02T03:04:05.678000");
      assert.equal(claimed.initiator, "tests");
      assert.equal(claimed.reason, "wire columns");
      assert.equal(claimed.source_system, null);
      assert.match(claimed.created_at!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    } finally {
      await tasker.close();
    }
  },
);
