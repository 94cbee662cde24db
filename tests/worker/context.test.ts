import assert from "node:assert/strict";
import { captureConsole } from "../_console.ts";
import { buildStepContext, runHandler, type StepContextInput } from "../../src/worker/context.ts";
import {
  failure,
  type StepContext,
  type StepHandler,
  success,
} from "../../src/worker/step_handler.ts";

function attempt(overrides: Partial<StepContextInput> = {}): StepContextInput {
  return {
    task: {
      task_uuid: "0193a3c4-1111-7000-8000-000000000001",
      namespace: "demo",
      name: "orders",
      version: "1.0.0",
      context: { even_number: 6, customer: { id: 7 } },
      correlation_id: "req-1",
    },
    step: {
      step_uuid: "0193a3c4-2222-7000-8000-000000000002",
      name: "charge",
      attempts: 1,
      max_attempts: 3,
      retryable: true,
    },
    dependencyResults: {
      validate_order: { order_total: 209.97, items: [{ sku: "A", tags: ["x", "y"] }] },
      square: 36,
      nothing: null,
    },
    ...overrides,
  };
}

const capture = captureConsole;

Deno.test("input reads the task context's own keys only", () => {
  const ctx = buildStepContext(attempt());
  assert.equal(ctx.input<number>("even_number"), 6);
  assert.deepEqual(ctx.input("customer"), { id: 7 });
  assert.equal(ctx.input("missing"), undefined);
  assert.equal(ctx.input("constructor"), undefined);
  assert.equal(ctx.input("toString"), undefined);
});

Deno.test("dependency walks objects and arrays and is undefined when anything is absent", () => {
  const ctx = buildStepContext(attempt());
  assert.equal(ctx.dependency("square"), 36);
  assert.equal(ctx.dependency("validate_order", "order_total"), 209.97);
  assert.equal(ctx.dependency("validate_order", "items", 0, "sku"), "A");
  assert.equal(ctx.dependency("validate_order", "items", "0", "tags", 1), "y");
  assert.equal(ctx.dependency("validate_order", "items", 5, "sku"), undefined);
  assert.equal(ctx.dependency("validate_order", "items", -1), undefined);
  assert.equal(ctx.dependency("validate_order", "items", "length"), undefined);
  assert.equal(ctx.dependency("validate_order", "missing", "deeper"), undefined);
  assert.equal(ctx.dependency("square", "anything"), undefined);
  assert.equal(ctx.dependency("nothing"), null);
  assert.equal(ctx.dependency("nothing", "x"), undefined);
  assert.equal(ctx.dependency("unknown_step"), undefined);
  assert.equal(ctx.dependency("validate_order", "constructor"), undefined);
});

Deno.test("isRetry and isLastAttempt follow the attempt counters and the retry flag", () => {
  const table: [
    attempts: number,
    max: number,
    retryable: boolean,
    retry: boolean,
    last: boolean,
  ][] = [
    [1, 3, true, false, false],
    [2, 3, true, true, false],
    [3, 3, true, true, true],
    [4, 3, true, true, true],
    [1, 1, true, false, true],
    [1, 3, false, false, true],
    [2, 3, false, true, true],
  ];
  for (const [attempts, max_attempts, retryable, isRetry, isLastAttempt] of table) {
    const base = attempt();
    const ctx = buildStepContext({
      ...base,
      step: { ...base.step, attempts, max_attempts, retryable },
    });
    const label = `attempts ${attempts}/${max_attempts}, retryable ${retryable}`;
    assert.equal(ctx.isRetry, isRetry, label);
    assert.equal(ctx.isLastAttempt, isLastAttempt, label);
  }
});

Deno.test("defaults: empty initialization and results, a signal that is not aborted", () => {
  const { dependencyResults: _, ...rest } = attempt();
  const ctx = buildStepContext(rest);
  assert.deepEqual(ctx.initialization, {});
  assert.deepEqual(ctx.dependencyResults, {});
  assert.equal(ctx.signal.aborted, false);
});

Deno.test("publishDomainEvent hands the event and the context to the sink", () => {
  const seen: [string, unknown, StepContext][] = [];
  const ctx = buildStepContext(attempt({ publish: (n, p, c) => void seen.push([n, p, c]) }));
  ctx.publishDomainEvent("order.flagged", { reason: "large" });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]![0], "order.flagged");
  assert.deepEqual(seen[0]![1], { reason: "large" });
  assert.equal(seen[0]![2].step.name, "charge");
});

Deno.test("publishDomainEvent never throws: a failing sink is logged once", async () => {
  const ctx = buildStepContext(attempt({
    publish: () => {
      throw new Error("writer closed");
    },
  }));
  const lines = await capture("error", () => ctx.publishDomainEvent("order.flagged", {}));
  assert.equal(lines.length, 1);
  assert.match(String(lines[0]![0]), /order\.flagged.*writer closed/);
});

Deno.test("publishDomainEvent without a sink is a no-op with one debug line", async () => {
  const ctx = buildStepContext(attempt());
  const lines = await capture("debug", () => ctx.publishDomainEvent("order.flagged", {}));
  assert.equal(lines.length, 1);
  assert.match(String(lines[0]![0]), /order\.flagged/);
});

Deno.test("runHandler returns the handler's result; metadata defaults to {}", async () => {
  const ctx = buildStepContext(attempt());
  assert.deepEqual(
    await runHandler((c) => success(c.input<number>("even_number")! * 2), ctx),
    success(12),
  );
  const bare = await runHandler(() => ({ success: true, result: 1 }) as never, ctx);
  assert.deepEqual(bare, { success: true, result: 1, metadata: {} });
  const failed = failure("nope", { errorCode: "X", retryable: false });
  assert.deepEqual(await runHandler(async () => await failed, ctx), failed);
});

Deno.test("runHandler calls an object's call method with the object as this", async () => {
  const handler = {
    factor: 3,
    call(this: { factor: number }, c: StepContext) {
      return success(c.dependency<number>("square")! * this.factor);
    },
  };
  assert.deepEqual(await runHandler(handler, buildStepContext(attempt())), success(108));
});

Deno.test("a thrown error is a retryable failure with its message and type", async () => {
  class GatewayError extends Error {
    override name = "GatewayError";
  }
  const ctx = buildStepContext(attempt());
  const thrown = await runHandler(() => {
    throw new GatewayError("upstream 502");
  }, ctx);
  assert.deepEqual(
    thrown,
    failure("upstream 502", { errorType: "GatewayError", retryable: true }),
  );
  const rejected = await runHandler(() => Promise.reject(new TypeError("bad")), ctx);
  assert.deepEqual(rejected, failure("bad", { errorType: "TypeError", retryable: true }));
  const str = await runHandler(() => {
    throw "plain string";
  }, ctx);
  assert.deepEqual(str, failure("plain string", { errorType: "Error", retryable: true }));
});

Deno.test("a non-StepResult return is a non-retryable InvalidStepResult failure", async () => {
  const ctx = buildStepContext(attempt());
  const cases: [unknown, RegExp][] = [
    [42, /returned number 42/],
    [undefined, /returned nothing/],
    [null, /returned null/],
    [{ ok: true }, /without a boolean success/],
    [{ success: false, error: { message: "x" } }, /lacks message, error_type or retryable/],
    [{ success: true, metadata: 5 }, /metadata is not an object/],
    [[success(1)], /returned an array/],
  ];
  for (const [value, message] of cases) {
    const result = await runHandler(() => value as never, ctx);
    assert.equal(result.success, false, JSON.stringify(value));
    if (result.success) continue;
    assert.equal(result.error.error_type, "InvalidStepResult");
    assert.equal(result.error.retryable, false);
    assert.match(result.error.message, message);
    assert.match(result.error.message, /step charge/);
  }
});

Deno.test("a timeout overrun is a retryable timeout failure and aborts the handler", async () => {
  const outer = new AbortController();
  const ctx = buildStepContext(attempt({ signal: outer.signal }));
  let handlerSignal: AbortSignal | undefined;
  let finished!: () => void;
  const handlerDone = new Promise<void>((resolve) => finished = resolve);
  const handler: StepHandler = (c) =>
    new Promise((resolve) => {
      handlerSignal = c.signal;
      // A well-behaved handler stops its own work (here, a long timer) on abort.
      const work = setTimeout(() => resolve(success("too late")), 60_000);
      c.signal.addEventListener("abort", () => {
        clearTimeout(work);
        resolve(success("aborted"));
        finished();
      }, { once: true });
    });
  const result = await runHandler(handler, ctx, { timeoutMs: 10 });
  assert.equal(result.success, false);
  if (result.success) return;
  assert.equal(result.error.error_type, "timeout");
  assert.equal(result.error.retryable, true);
  assert.match(result.error.message, /step charge timed out after 10 ms/);
  await handlerDone;
  assert.equal(handlerSignal?.aborted, true);
  assert.equal(outer.signal.aborted, false, "the worker's signal is not aborted by a timeout");
});

Deno.test("a handler that beats its deadline leaves no timer behind", async () => {
  const ctx = buildStepContext(attempt());
  const result = await runHandler(() => success("fast"), ctx, { timeoutMs: 60_000 });
  assert.deepEqual(result, success("fast"));
  // The sanitizers fail this test if the 60 s timer were still pending.
});

Deno.test("aborting the worker's signal aborts the handler's signal", async () => {
  const outer = new AbortController();
  const ctx = buildStepContext(attempt({ signal: outer.signal }));
  const result = await runHandler(
    (c) =>
      new Promise((resolve) => {
        c.signal.addEventListener("abort", () => {
          resolve(failure(`stopped: ${c.signal.reason}`, { errorType: "shutdown" }));
        }, { once: true });
        outer.abort("worker closing");
      }),
    ctx,
  );
  assert.deepEqual(result, failure("stopped: worker closing", { errorType: "shutdown" }));
});
