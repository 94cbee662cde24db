// The task API over HTTP, behind the token: list, show, submit, cancel, retry, step actions,
// and the errors each refuses bad input with.
import assert from "node:assert/strict";
import { serveObservability } from "../../src/observe/server.ts";
import { dbTest } from "../_db.ts";
import { eventually } from "./_helpers.ts";
import { gatedTemplate, gateSwitch, openGatedTasker } from "./_task_fixtures.ts";

const TOKEN = "api-test-token";

function client(base: string) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = TOKEN,
  ) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  return call;
}

dbTest("the task API lists, shows and submits tasks, behind the token", async (db) => {
  const template = gatedTemplate();
  const ns = template.namespace_name;
  await using tasker = await openGatedTasker(db, template);
  await using server = serveObservability(tasker, { port: 0, token: TOKEN, inspector: false });
  const call = client(server.url);

  assert.equal((await call("GET", "/v1/tasks", undefined, null)).status, 401);
  assert.equal(
    (await call("POST", "/v1/tasks", { namespace: ns, name: "gated" }, "wrong")).status,
    401,
  );

  const created = await call("POST", "/v1/tasks", {
    namespace: ns,
    name: "gated",
    context: { mode: "pass" },
    tags: ["api"],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.headers.get("location"), `/v1/tasks/${created.body.task_uuid}`);
  assert.deepEqual(created.body.root_steps, ["gate"]);
  await tasker.waitFor(created.body.task_uuid, { timeoutMs: 20_000 });

  const shown = await call("GET", `/v1/tasks/${created.body.task_uuid}`);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.status, "complete");
  assert.equal(shown.body.tasker_state, "complete", "Tasker's state beside the stored one");
  assert.deepEqual(
    shown.body.steps.map((s: { name: string; dependencies: string[] }) => [s.name, s.dependencies]),
    [
      ["gate", []],
      ["after", ["gate"]],
    ],
  );
  assert.equal(shown.body.steps[0].result, "opened");

  const delayed = await call("POST", "/v1/tasks", {
    namespace: ns,
    name: "gated",
    context: { mode: "pass" },
    delay_ms: 3_600_000,
  });
  assert.equal(delayed.status, 201);
  const listed = await call(
    "GET",
    `/v1/tasks?namespace=${ns}&status=complete&tags=api&since=1h&per_page=10`,
  );
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.tasks.map((t: { task_uuid: string }) => t.task_uuid), [
    created.body.task_uuid,
  ]);
  assert.deepEqual(listed.body.pagination, {
    page: 1,
    per_page: 10,
    total_count: 1,
    total_pages: 1,
    has_next: false,
    has_previous: false,
  });
  const all = await call("GET", `/v1/tasks?namespace=${ns}`);
  assert.equal(all.body.pagination.total_count, 2);
  assert.ok(all.body.tasks[0].run_at !== null, "the delayed task says when it runs");
  assert.deepEqual(
    all.body.tasks.map((t: { status: string; tasker_state: string }) => [t.status, t.tasker_state]),
    [["in_progress", "pending"], ["complete", "complete"]],
    "a delayed task that has not started is Tasker's pending",
  );

  const cases: [string, string, unknown, number, string, RegExp][] = [
    [
      "GET",
      "/v1/tasks?per_page=500",
      undefined,
      400,
      "invalid_query",
      /per_page must be a whole number from 1 to 100/,
    ],
    [
      "GET",
      "/v1/tasks?state=exploded",
      undefined,
      400,
      "invalid_query",
      /unknown task state "exploded"/,
    ],
    [
      "GET",
      "/v1/tasks?since=yesterday",
      undefined,
      400,
      "invalid_query",
      /since must be an ISO 8601 time/,
    ],
    ["GET", "/v1/tasks?colour=red", undefined, 400, "invalid_query", /unknown parameter "colour"/],
    ["GET", "/v1/tasks?page=-1", undefined, 400, "invalid_query", /page must be a whole number/],
    ["GET", `/v1/tasks/${crypto.randomUUID()}`, undefined, 404, "task_not_found", /no task/],
    ["POST", "/v1/tasks", "{not json", 400, "invalid_body", /not JSON/],
    ["POST", "/v1/tasks", [], 400, "invalid_body", /must be a JSON object/],
    ["POST", "/v1/tasks", { namespace: ns }, 400, "invalid_body", /name must be a string/],
    [
      "POST",
      "/v1/tasks",
      { namespace: ns, name: "gated", colour: 1 },
      400,
      "invalid_body",
      /unknown field "colour"/,
    ],
    [
      "POST",
      "/v1/tasks",
      { namespace: ns, name: "nope" },
      404,
      "template_not_found",
      /no task template/,
    ],
    [
      "POST",
      "/v1/tasks",
      { namespace: ns, name: "gated", context: { mode: "x" } },
      422,
      "invalid_context",
      /fails its input_schema/,
    ],
    [
      "POST",
      "/v1/tasks",
      { namespace: ns, name: "gated", delay_ms: -5 },
      400,
      "invalid_request",
      /delay_ms/,
    ],
    ["PUT", "/v1/tasks", {}, 405, "method_not_allowed", /^$/],
    ["GET", "/v1/tasks/x/steps/y/retry", undefined, 405, "method_not_allowed", /^$/],
    ["GET", "/v1/tasks/x/nothing", undefined, 404, "not_found", /^$/],
  ];
  for (const [method, path, body, status, error, message] of cases) {
    const response = await call(method, path, body);
    assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(response.body)}`);
    assert.equal(response.body.error, error, `${method} ${path}`);
    assert.match(response.body.message ?? "", message, `${method} ${path}`);
  }
});

dbTest(
  "the task API cancels a running task, retries a failed one, and settles steps",
  async (db) => {
    const template = gatedTemplate();
    const ns = template.namespace_name;
    await using tasker = await openGatedTasker(db, template);
    await using server = serveObservability(tasker, { port: 0, token: TOKEN, inspector: false });
    const call = client(server.url);
    const submit = async (mode: string) =>
      (await call("POST", "/v1/tasks", { namespace: ns, name: "gated", context: { mode } })).body
        .task_uuid as string;
    const stateOf = async (uuid: string) => (await call("GET", `/v1/tasks/${uuid}`)).body;

    // Cancel a task whose first step is running.
    const running = await submit("wait");
    await eventually(
      async () => (await stateOf(running)).steps[0].state === "in_progress" || undefined,
      "gate running",
      20_000,
    );
    const retryRunning = await call("POST", `/v1/tasks/${running}/retry`, {});
    assert.equal(retryRunning.status, 409);
    assert.equal(retryRunning.body.error, "invalid_transition");
    assert.match(retryRunning.body.message, /cannot retry task .*: it is in_progress/);
    const cancelled = await call("POST", `/v1/tasks/${running}/cancel`, {
      by: "ops",
      reason: "test",
    });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.task_state, "cancelled");
    assert.deepEqual(cancelled.body.cancelled.sort(), ["after", "gate"]);
    const again = await call("POST", `/v1/tasks/${running}/cancel`);
    assert.equal(again.status, 409);
    assert.match(again.body.message, /cannot cancel task .*: it is cancelled/);
    assert.equal((await call("POST", `/v1/tasks/${running}/cancel`, { by: "" })).status, 400);
    // DELETE cancels too (Tasker's route).
    const other = await submit("wait");
    const deleted = await call("DELETE", `/v1/tasks/${other}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.task_state, "cancelled");

    // Retry a failed task: its failed step starts afresh and the task completes.
    gateSwitch.failing = true;
    const failed = await submit("fail");
    assert.equal((await tasker.waitFor(failed, { timeoutMs: 20_000 })).status, "error");
    gateSwitch.failing = false;
    const retried = await call("POST", `/v1/tasks/${failed}/retry`, { by: "ops" });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.task_state, "in_progress");
    assert.deepEqual(retried.body.enqueued, ["gate"]);
    const done = await tasker.waitFor(failed, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    assert.equal(done.steps.gate!.attempts, 1, "fresh attempts");

    // Complete a failed step by hand: its dependant sees the result and runs.
    gateSwitch.failing = true;
    const stuck = await submit("fail");
    await tasker.waitFor(stuck, { timeoutMs: 20_000 });
    const blocked = await call("GET", `/v1/tasks/${stuck}`);
    assert.deepEqual([blocked.body.status, blocked.body.tasker_state], [
      "error",
      "blocked_by_failures",
    ]);
    assert.equal((await call("POST", `/v1/tasks/${stuck}/steps/gate/complete`, {})).status, 400);
    assert.equal(
      (await call("POST", `/v1/tasks/${stuck}/steps/nope/retry`)).body.error,
      "step_not_found",
    );
    const completed = await call("POST", `/v1/tasks/${stuck}/steps/gate/complete`, {
      result: { by: "hand" },
    });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.deepEqual(completed.body.step, { name: "gate", state: "complete" });
    assert.equal((await tasker.waitFor(stuck, { timeoutMs: 20_000 })).status, "complete");
    assert.deepEqual((await stateOf(stuck)).steps[0].result, { by: "hand" });
    const twice = await call("POST", `/v1/tasks/${stuck}/steps/gate/retry`);
    assert.equal(twice.status, 409);
  },
);
