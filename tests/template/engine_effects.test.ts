// What tasker-core's template keys do when the engine runs a task, on both databases:
// max_attempts 0, environment overrides, result_schema, handler.method, retry.initial_delay,
// and a composition step, which does not run yet.
import assert from "node:assert/strict";
import { UnsupportedStepError } from "../../src/template/mod.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker } from "../worker/_engine.ts";
import { parseTemplate } from "../../src/template/load.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const template = (namespace: string, steps: string, more = "", environment?: string) =>
  parseTemplate(
    `name: effects\nnamespace_name: ${namespace}\nversion: 1.0.0\nsteps:\n${steps}${more}`,
    environment === undefined ? { environment: "none" } : { environment },
  );

dbTest("max_attempts: 0 runs a failing step exactly once, never a retry", async (db) => {
  const t = template(
    uniqueName("zero"),
    "  - { name: once, handler: { callable: t.once }, retry: { max_attempts: 0, backoff: none } }\n",
  );
  let runs = 0;
  const handlers = new HandlerRegistry().register("t.once", () => {
    runs++;
    return failure("transient", { retryable: true });
  });
  await using tasker = await openTasker(db, [t], { handlers });
  const task = await tasker.submit({ namespace: t.namespace_name, name: "effects", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "error");
  assert.equal(done.steps.once!.attempts, 1);
  assert.equal(runs, 1);
});

dbTest("the current environment's overrides are what the handler sees", async (db) => {
  const namespace = uniqueName("env");
  const steps = `  - name: greet
    handler: { callable: t.greet, initialization: { greeting: hello, who: prod } }
`;
  const environments = `environments:
  test:
    steps:
      - { name: greet, handler: { initialization: { who: test } } }
`;
  const handlers = new HandlerRegistry().register(
    "t.greet",
    (ctx) => success(`${ctx.initialization.greeting} ${ctx.initialization.who}`),
  );
  await using tasker = await openTasker(db, [template(namespace, steps, environments, "test")], {
    handlers,
  });
  const task = await tasker.submit({ namespace, name: "effects", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.steps.greet!.result, "hello test");
});

dbTest("a result failing result_schema fails the step for good, naming the pointer", async (db) => {
  const t = template(
    uniqueName("schema"),
    `  - name: total
    handler: { callable: t.total }
    retry: { max_attempts: 3, backoff: none }
    result_schema: { type: object, required: [total], properties: { total: { type: number } } }
  - { name: after, handler: { callable: t.after }, dependencies: [total] }
`,
  );
  let runs = 0;
  const handlers = new HandlerRegistry()
    .register("t.total", () => {
      runs++;
      return success({ total: "three" });
    })
    .register("t.after", () => success(null));
  await using tasker = await openTasker(db, [t], { handlers });
  const task = await tasker.submit({ namespace: t.namespace_name, name: "effects", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "error");
  const step = done.steps.total!;
  assert.equal(step.state, "error");
  assert.equal(step.attempts, 1, "not retried: the same handler would return the same shape");
  assert.equal(runs, 1);
  assert.equal(step.error!.error_type, "InvalidStepResult");
  assert.match(String(step.error!.message), /result_schema: \/total must be number/);
  assert.equal(done.steps.after!.state, "pending");
});

dbTest("handler.method calls that method of the registered handler", async (db) => {
  const t = template(
    uniqueName("method"),
    "  - { name: refund, handler: { callable: t.payments, method: refund } }\n" +
      "  - { name: charge, handler: { callable: t.payments }, dependencies: [refund] }\n",
  );
  class Payments {
    call() {
      return success("charged");
    }
    refund() {
      return success("refunded");
    }
  }
  const handlers = new HandlerRegistry().register("t.payments", new Payments());
  await using tasker = await openTasker(db, [t], { handlers });
  const task = await tasker.submit({ namespace: t.namespace_name, name: "effects", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.equal(done.steps.refund!.result, "refunded");
  assert.equal(done.steps.charge!.result, "charged");
});

dbTest("retry.initial_delay (seconds) is the backoff base the engine waits", async (db) => {
  const t = template(
    uniqueName("delay"),
    "  - { name: wobble, handler: { callable: t.wobble }, retry: { max_attempts: 2, backoff: linear, initial_delay: 0.2 } }\n",
  );
  const handlers = new HandlerRegistry().register(
    "t.wobble",
    (ctx) => ctx.step.attempts < 2 ? failure("not yet") : success("ok"),
  );
  await using tasker = await openTasker(db, [t], { handlers, random: () => 0 });
  const delays: number[] = [];
  taskerEngine(tasker).worker.onOutcome((_, outcome) => {
    if (outcome.retry_delay_ms !== undefined) delays.push(outcome.retry_delay_ms);
  });
  const task = await tasker.submit({ namespace: t.namespace_name, name: "effects", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  // Linear, base 200 ms, jitter pinned to its low end (half).
  assert.deepEqual(delays, [100]);
});

dbTest(
  "a template with a composition step loads, but submitting it fails and creates nothing",
  async (db) => {
    const t = template(
      uniqueName("compose"),
      "  - { name: start, handler: { callable: t.start } }\n" +
        "  - { name: choose, handler: { callable: t.choose }, dependencies: [start], " +
        "composition: { outcome: { type: object } } }\n",
    );
    const handlers = new HandlerRegistry()
      .register("t.start", () => success(null))
      .register("t.choose", () => success(null));
    await using tasker = await openTasker(db, [t], { handlers });
    await assert.rejects(
      tasker.submit({ namespace: t.namespace_name, name: "effects", context: {} }),
      (error: unknown) =>
        error instanceof UnsupportedStepError && error.code === "E_STEP_UNSUPPORTED" &&
        /step composition is not supported yet/.test(error.message),
    );
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasker.tasks WHERE namespace = $1",
      [t.namespace_name],
    );
    assert.equal(rows[0]!.n, 0);
  },
);

dbTest("a 5,000-step chain is submitted in one piece, its first step queued", async (db) => {
  const namespace = uniqueName("chain");
  const steps = Array.from(
    { length: 5000 },
    (_, i) =>
      `  - { name: s${i}, handler: { callable: t.s }${i ? `, dependencies: [s${i - 1}]` : ""} }`,
  ).join("\n");
  const t = template(namespace, `${steps}\n`);
  const handlers = new HandlerRegistry().register("t.s", () => success(null));
  await using tasker = await openTasker(db, [t], { handlers });
  const task = await tasker.submit({ namespace, name: "effects", context: {} });
  assert.equal(task.step_count, 5000);
  assert.deepEqual(task.root_steps, ["s0"]);
});
