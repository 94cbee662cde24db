// Decision points and deferred convergence: which steps exist at submit and which a decision
// creates (tasker-core's task_template and decision_point unit tests, ported), the outcome check,
// the helpers' JSON, and tasker-core's conditional-approval fixture end to end on both databases
// (its e2e table), plus no_branches, an invalid outcome and a decision's domain events.
import assert from "node:assert/strict";
import { parseTemplate } from "../../src/template/load.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import { decisionSuccess, readDecisionOutcome, skipBranches } from "../../src/worker/decisions.ts";
import {
  allowedBranches,
  decisionCreates,
  dynamicSteps,
  initialStepSet,
} from "../../src/worker/step_set.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { registerApproval } from "../fixtures/dynamic_handlers.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { fixtureTemplate, openWith, stepNames } from "./_dynamic.ts";

/** A template from compact step lines `name: type <- deps`. */
function graph(lines: string): TaskTemplate {
  const steps = lines.trim().split("\n").map((line) => {
    const [head, deps = ""] = line.split("<-").map((s) => s.trim());
    const [name, type = "standard"] = head!.split(":").map((s) => s.trim());
    const dependencies = deps ? deps.split(",").map((d) => d.trim()) : [];
    const batch = type === "batch_worker"
      ? `, batch_config: { batch_size: 10, parallelism: 2, cursor_field: id, worker_template: ${name}, failure_strategy: fail_fast }`
      : "";
    return `  - { name: ${name}, type: ${type}, handler: { callable: t.${name} }, dependencies: [${
      dependencies.join(", ")
    }]${batch} }`;
  });
  return parseTemplate(`name: g\nnamespace_name: g\nversion: 1.0.0\nsteps:\n${steps.join("\n")}\n`);
}

const names = (steps: { name: string }[]) => steps.map((s) => s.name);

const FLAT = graph(`
start
route: decision <- start
a <- route
b <- route
c <- route
join: deferred_convergence <- a, b, c
`);

Deno.test("initial step set: a decision's descendants wait; decision steps are created", () => {
  assert.deepEqual(names(initialStepSet(FLAT)), ["start", "route"]);
  const nested = graph(`
start
outer: decision <- start
x <- outer
inner: decision <- x
y <- inner
`);
  assert.deepEqual(names(initialStepSet(nested)), ["start", "outer"]);
  // No decision: everything but batch workers and what depends on them.
  const plain = graph(`
a
b <- a
c: deferred_convergence <- a, b
`);
  assert.deepEqual(names(initialStepSet(plain)), ["a", "b", "c"], "a static join is ordinary");
});

Deno.test("initial step set: tasker-core's two quirks, defined", () => {
  // Quirk 1: with a decision elsewhere, a convergence fed by batch workers is not created at
  // submit (tasker-core creates it parentless, so it would run at once).
  const quirk1 = graph(`
start
route: decision <- start
a <- route
scan: batchable <- start
work: batch_worker <- scan
sum: deferred_convergence <- work
`);
  assert.deepEqual(names(initialStepSet(quirk1)), ["start", "route", "scan"]);
  // Quirk 2: a standard step after a batch convergence waits to be created with it.
  const quirk2 = graph(`
scan: batchable
work: batch_worker <- scan
sum: deferred_convergence <- work
report <- sum
`);
  assert.deepEqual(names(initialStepSet(quirk2)), ["scan"]);
  assert.deepEqual([...dynamicSteps(quirk2)].sort(), ["report", "sum", "work"]);
});

Deno.test("decision creates: flat decision includes the convergence on intersection", () => {
  const existing = new Set(["start", "route"]);
  assert.deepEqual(names(decisionCreates(FLAT, "route", ["b"], existing)), ["b", "join"]);
  assert.deepEqual(names(decisionCreates(FLAT, "route", ["a", "c"], existing)), ["a", "c", "join"]);
  // no_branches: the convergence only, with nothing to wait for.
  assert.deepEqual(names(decisionCreates(FLAT, "route", [], existing)), ["join"]);
});

Deno.test("decision creates: a deep chain whole, an unrouted branch never", () => {
  const deep = graph(`
start
route: decision <- start
a1 <- route
a2 <- a1
a3 <- a2
b1 <- route
b2 <- b1
join: deferred_convergence <- a3, b2
after <- join
`);
  const existing = new Set(["start", "route"]);
  assert.deepEqual(
    names(decisionCreates(deep, "route", ["a1"], existing)),
    ["a1", "a2", "a3", "join", "after"],
  );
  assert.deepEqual(names(decisionCreates(deep, "route", ["b1"], existing)), [
    "b1",
    "b2",
    "join",
    "after",
  ]);
});

Deno.test("decision creates: nested decisions included, not walked past; batches left", () => {
  const t = graph(`
start
outer: decision <- start
x <- outer
inner: decision <- x
y <- inner
scan: batchable <- outer
work: batch_worker <- scan
sum: deferred_convergence <- work
`);
  const existing = new Set(["start", "outer"]);
  assert.deepEqual(names(decisionCreates(t, "outer", ["x"], existing)), ["x", "inner"]);
  assert.deepEqual(names(decisionCreates(t, "outer", ["scan"], existing)), ["scan"]);
  assert.deepEqual([...allowedBranches(t, "outer")].sort(), ["inner", "scan", "x"]);
  // A replay creates nothing new.
  assert.deepEqual(
    names(decisionCreates(t, "outer", ["x"], new Set([...existing, "x", "inner"]))),
    [],
  );
});

Deno.test("decision outcome: unknown, out-of-segment, missing and empty are clear failures", () => {
  const route = FLAT.steps[1]!;
  const check = (result: unknown) => {
    const read = readDecisionOutcome(FLAT, route, success(result));
    assert.ok("failure" in read, `expected a failure for ${JSON.stringify(result)}`);
    assert.equal(read.failure.error.error_type, "InvalidDecisionOutcome");
    assert.equal(read.failure.error.retryable, false);
    return read.failure.error.message;
  };
  assert.match(
    check({ decision_point_outcome: { type: "create_steps", step_names: ["nonexistent_step"] } }),
    /unknown step "nonexistent_step"/,
  );
  assert.match(
    check({ decision_point_outcome: { type: "create_steps", step_names: ["start"] } }),
    /"start" is not a branch of decision route; allowed: a, b, c/,
  );
  assert.match(
    check({ decision_point_outcome: { type: "create_steps", step_names: ["join"] } }),
    /"join" is not a branch/,
  );
  assert.match(check({ route: "a" }), /no decision_point_outcome object/);
  assert.match(
    check({ decision_point_outcome: { type: "create_steps", step_names: [] } }),
    /step_names is empty/,
  );
  assert.match(check({ decision_point_outcome: { type: "pick" } }), /type is "pick"/);
  assert.deepEqual(
    readDecisionOutcome(FLAT, route, decisionSuccess(["a", "b", "a"])),
    { requested: ["a", "b"] },
  );
  assert.deepEqual(readDecisionOutcome(FLAT, route, skipBranches("none")), { requested: [] });
});

Deno.test("decision helpers: Tasker's JSON", () => {
  assert.deepEqual(decisionSuccess(["manager_approval", "finance_review"]), {
    success: true,
    result: {
      decision_point_outcome: {
        type: "create_steps",
        step_names: ["manager_approval", "finance_review"],
      },
    },
    metadata: {},
  });
  assert.deepEqual(decisionSuccess(["a"], { amount: 5 }).result, {
    decision_point_outcome: { type: "create_steps", step_names: ["a"] },
    routing_context: { amount: 5 },
  });
  assert.deepEqual(skipBranches("nothing to approve").result, {
    decision_point_outcome: { type: "no_branches" },
    reason: "nothing to approve",
  });
});

const APPROVAL_TABLE: [number, string[], Record<string, unknown>][] = [
  [500, ["auto_approve"], {
    approval_chain: ["automatic"],
    approved_by: ["system"],
    approval_path: "auto",
  }],
  [3000, ["manager_approval"], {
    approval_chain: ["manager"],
    approved_by: ["manager_rust_example"],
    approval_path: "manager_only",
  }],
  [1000, ["manager_approval"], { approval_chain: ["manager"], approval_path: "manager_only" }],
  [10000, ["finance_review", "manager_approval"], {
    approval_chain: ["finance", "manager"],
    approval_path: "dual_approval",
  }],
  [5000, ["finance_review", "manager_approval"], {
    approval_chain: ["finance", "manager"],
    approval_path: "dual_approval",
  }],
];

dbTest(
  "conditional approval (tasker-core fixture): each amount routes as its e2e test",
  async (db) => {
    const t = await fixtureTemplate("rust/conditional_approval_rust.yaml", "appr");
    await using tasker = await openWith(db, [t], (h) => registerApproval(h, t));
    for (const [amount, branches, expected] of APPROVAL_TABLE) {
      const task = await tasker.submit({
        namespace: t.namespace_name,
        name: "approval_routing",
        context: { amount, requester: "john.doe", purpose: "Office supplies purchase" },
      });
      assert.equal(task.step_count, 2, "2 steps at init");
      assert.deepEqual(task.root_steps, ["validate_request"]);
      const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 30_000 });
      assert.equal(done.status, "complete", `amount ${amount}: ${JSON.stringify(done.steps)}`);
      assert.deepEqual(
        stepNames(done),
        ["finalize_approval", "routing_decision", "validate_request", ...branches].sort(),
        `amount ${amount}`,
      );
      for (const [name, step] of Object.entries(done.steps)) {
        assert.equal(step.state, "complete", `${name} of amount ${amount}`);
        assert.equal(step.attempts, 1);
      }
      const final = done.steps.finalize_approval!.result as Record<string, unknown>;
      assert.equal(final.approved, true);
      assert.equal(final.final_amount, amount);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(final[key], value, `amount ${amount}: ${key}`);
      }
      const routing = done.steps.routing_decision!.result as Record<string, unknown>;
      assert.deepEqual(Object.keys(routing).sort(), [
        "amount",
        "decision_point_outcome",
        "reasoning",
        "route_type",
      ]);
    }
  },
);

dbTest("right after submit only the initial steps exist; one is ready", async (db) => {
  const t = await fixtureTemplate("rust/conditional_approval_rust.yaml", "appr");
  await using tasker = await openWith(db, [t], (h) => registerApproval(h, t), {
    startWorker: false,
  });
  const task = await tasker.submit({
    namespace: t.namespace_name,
    name: "approval_routing",
    context: { amount: 1500, requester: "a" },
  });
  const status = await tasker.status(task.task_uuid);
  assert.deepEqual(stepNames(status), ["routing_decision", "validate_request"]);
  assert.equal(status.steps.validate_request!.state, "enqueued");
  assert.equal(status.steps.routing_decision!.state, "pending");
});

const OWN = (namespace: string) =>
  parseTemplate(`name: routed
namespace_name: ${namespace}
version: 1.0.0
steps:
  - { name: start, handler: { callable: r.start } }
  - name: route
    type: decision
    dependencies: [start]
    handler: { callable: r.route }
    publishes_events:
      - { name: route.decided, condition: success }
  - { name: left, dependencies: [route], handler: { callable: r.branch } }
  - { name: right, dependencies: [route], handler: { callable: r.branch } }
  - { name: join, type: deferred_convergence, dependencies: [left, right], handler: { callable: r.join } }
`);

dbTest("no_branches: no branch is created and the convergence runs with none", async (db) => {
  const t = OWN(uniqueName("skip"));
  await using tasker = await openWith(
    db,
    [t],
    (h) =>
      h.register("r.start", () => success({ ok: true }))
        .register("r.route", () => skipBranches("nothing to do"))
        .register("r.branch", () => success("ran"))
        .register(
          "r.join",
          (ctx) =>
            success({
              left: ctx.dependency("left") ?? null,
              right: ctx.dependency("right") ?? null,
            }),
        ),
  );
  const task = await tasker.submit({ namespace: t.namespace_name, name: "routed", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(stepNames(done), ["join", "route", "start"]);
  assert.deepEqual(done.steps.join!.result, { left: null, right: null });
});

dbTest("an invalid decision outcome fails the decision for good, creating nothing", async (db) => {
  const t = OWN(uniqueName("bad"));
  let routes = 0;
  await using tasker = await openWith(
    db,
    [t],
    (h) =>
      h.register("r.start", () => success({ ok: true }))
        .register("r.route", () => {
          routes++;
          return decisionSuccess(["left", "nowhere"]);
        })
        .register("r.branch", () => success("ran"))
        .register("r.join", () => success("joined")),
  );
  const task = await tasker.submit({ namespace: t.namespace_name, name: "routed", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "error");
  assert.equal(routes, 1, "not retried");
  assert.deepEqual(stepNames(done), ["route", "start"]);
  const route = done.steps.route!;
  assert.equal(route.state, "error");
  assert.equal(route.error?.error_type, "InvalidDecisionOutcome");
  assert.match(String(route.error?.message), /unknown step "nowhere"/);
  assert.equal(done.events.length, 0, "a failed decision fires no success event");
});

dbTest(
  "a decision fires its success events; branches and convergence run once each",
  async (db) => {
    const t = OWN(uniqueName("evt"));
    const runs: string[] = [];
    await using tasker = await openWith(
      db,
      [t],
      (h) =>
        h.register("r.start", () => success({ ok: true }))
          .register("r.route", () => decisionSuccess(["left", "right"]))
          .register("r.branch", (ctx) => {
            runs.push(ctx.step.name);
            return success(ctx.step.name);
          })
          .register("r.join", (ctx) => {
            runs.push("join");
            return success([ctx.dependency("left"), ctx.dependency("right")]);
          }),
    );
    const task = await tasker.submit({ namespace: t.namespace_name, name: "routed", context: {} });
    const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(done.status, "complete");
    assert.deepEqual(done.steps.join!.result, ["left", "right"]);
    assert.deepEqual(runs.slice(0, 2).sort(), ["left", "right"]);
    assert.equal(runs[2], "join", "the convergence waits for both branches");
    assert.deepEqual(done.events.map((e) => [e.event_name, e.step_name]), [[
      "route.decided",
      "route",
    ]]);
  },
);

dbTest("a failing branch blocks the convergence and the task ends in error", async (db) => {
  const t = OWN(uniqueName("fail"));
  await using tasker = await openWith(
    db,
    [t],
    (h) =>
      h.register("r.start", () => success({ ok: true }))
        .register("r.route", () => decisionSuccess(["left"]))
        .register("r.branch", () => failure("no", { retryable: false }))
        .register("r.join", () => success("joined")),
  );
  const task = await tasker.submit({ namespace: t.namespace_name, name: "routed", context: {} });
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "error");
  assert.equal(done.steps.left!.state, "error");
  assert.equal(done.steps.join!.state, "pending");
});
