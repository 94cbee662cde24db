// The HTTP failure helper (Tasker's API-handler classification by status code) and the engine
// honouring a handler-requested retry delay (`retry_after_ms`, from `Retry-After`), end to end
// against a local HTTP server on both databases.
import assert from "node:assert/strict";
import { requestedRetryDelayMs } from "../../src/worker/backoff.ts";
import {
  connectionFailure,
  httpErrorType,
  httpFailure,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from "../../src/worker/http_failure.ts";
import type { RecordedOutcome } from "../../src/worker/step_outcomes.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { dbTest } from "../_db.ts";
import { inlineTemplate, operationsTasker } from "./_operations.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

Deno.test("status codes: Tasker's retryable set and error types", () => {
  assert.deepEqual([...RETRYABLE_STATUSES].sort(), [408, 429, 500, 502, 503, 504]);
  const types = [
    400,
    401,
    403,
    404,
    405,
    408,
    409,
    410,
    422,
    429,
    418,
    500,
    502,
    503,
    504,
    507,
    302,
  ]
    .map(httpErrorType);
  assert.deepEqual(types, [
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "request_timeout",
    "conflict",
    "gone",
    "unprocessable_entity",
    "rate_limited",
    "client_error",
    "internal_server_error",
    "bad_gateway",
    "service_unavailable",
    "gateway_timeout",
    "server_error",
    "http_error",
  ]);
});

Deno.test("Retry-After: seconds, an HTTP date, anything else 60 s", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterMs("7", now), 7000);
  assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:30 GMT", now), 30_000);
  assert.equal(retryAfterMs("Wed, 31 Dec 2025 00:00:00 GMT", now), 0, "a past date: at once");
  assert.equal(retryAfterMs("soon", now), 60_000);
  assert.equal(retryAfterMs(null, now), undefined);
});

Deno.test("httpFailure: message from the body, metadata, delay only when retryable", async () => {
  const limited = await httpFailure(
    new Response(JSON.stringify({ message: "slow down" }), {
      status: 429,
      headers: { "retry-after": "3", "content-type": "application/json" },
    }),
  );
  assert.equal(limited.error.message, "HTTP 429: slow down");
  assert.equal(limited.error.error_type, "rate_limited");
  assert.equal(limited.error.retryable, true);
  assert.equal(limited.retry_after_ms, 3000);
  assert.equal(limited.metadata.status_code, 429);
  assert.equal(limited.metadata.retry_after_seconds, 3);
  assert.deepEqual(limited.metadata.response_body, { message: "slow down" });
  const missing = await httpFailure(new Response("", { status: 404, statusText: "Not Found" }));
  assert.equal(missing.error.message, "HTTP 404: Not Found");
  assert.equal(missing.error.retryable, false);
  assert.equal(missing.retry_after_ms, undefined);
  const gone = await httpFailure(
    new Response("x", { status: 410, headers: { "retry-after": "5" } }),
  );
  assert.equal(gone.retry_after_ms, undefined, "no retry, no delay");
  assert.equal(connectionFailure(new TypeError("refused")).error.error_type, "connection_error");
  assert.equal(
    connectionFailure(new DOMException("t", "TimeoutError")).error.error_type,
    "timeout",
  );
});

Deno.test("a requested delay is capped at an hour and ignored unless a number ≥ 0", () => {
  assert.equal(requestedRetryDelayMs(failure("x", { retryAfterMs: 5 * 3_600_000 })), 3_600_000);
  assert.equal(requestedRetryDelayMs(failure("x", { retryAfterMs: -1 })), undefined);
  assert.equal(requestedRetryDelayMs(failure("x", { retryAfterMs: Number.NaN })), undefined);
  assert.equal(requestedRetryDelayMs(success(1)), undefined);
});

const TEMPLATE = `
name: call_api
namespace_name: placeholder
version: 1.0.0
steps:
  - name: call
    handler: { callable: api.call }
    retry: { max_attempts: 3, backoff: exponential, backoff_base_ms: 3600000, max_backoff_ms: 3600000 }
`;

dbTest("the engine retries after the server's Retry-After, not the step's backoff", async (db) => {
  let hits = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      ++hits === 1
        ? new Response(JSON.stringify({ error: "maintenance" }), {
          status: 503,
          headers: { "retry-after": "1" },
        })
        : Response.json({ ok: true }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const template = inlineTemplate(TEMPLATE, "http");
  await using tasker = await operationsTasker(db, template, {
    "api.call": async (ctx) => {
      const response = await fetch(url, { signal: ctx.signal });
      return response.ok ? success(await response.json()) : await httpFailure(response);
    },
  });
  const outcomes: RecordedOutcome[] = [];
  taskerEngine(tasker).worker.onOutcome((_claim, outcome) => void outcomes.push(outcome));
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: {},
  });
  // The step's own backoff would wait an hour; the server asked for one second.
  const done = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(done.steps.call!.result, { ok: true });
  assert.equal(done.steps.call!.attempts, 2);
  assert.equal(outcomes[0]!.state, "waiting_for_retry");
  assert.equal(outcomes[0]!.retry_delay_ms, 1000);
  assert.equal(hits, 2);
});
