import assert from "node:assert/strict";
import { serveObservability } from "../../src/observe/server.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../src/observe/prometheus.ts";
import { dbTest } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { cuttable, get } from "./_helpers.ts";
import { parsePrometheus, sampleValue } from "./_prometheus.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";

const LINEAR = "linear_workflow/mathematical_sequence.yaml";
const JSON_TYPE = "application/json; charset=utf-8";

dbTest("every route answers with its status and content type", async (db) => {
  const template = await exampleTemplate(LINEAR);
  await using tasker = await openTasker(db, [template]);
  const task = await tasker.submit({
    namespace: template.namespace_name,
    name: template.name,
    context: { even_number: 6 },
  });
  await tasker.waitFor(task.task_uuid);
  await using server = serveObservability(tasker, { port: 0, inspector: false });
  assert.ok(server.addr.port > 0);
  assert.equal(server.url, `http://127.0.0.1:${server.addr.port}`);

  const json = async (path: string, status = 200) => {
    const response = await get(server.url, path);
    assert.equal(response.status, status, `${path}: ${response.body}`);
    assert.equal(response.headers.get("content-type"), JSON_TYPE, path);
    return JSON.parse(response.body);
  };
  const health = await json("/health");
  assert.equal(health.status, "healthy");
  assert.equal(health.worker_id, tasker.workerId);
  assert.equal(health.components.database, "healthy");
  assert.equal((await json("/health/live")).status, "alive");
  assert.deepEqual(await json("/health/ready"), { ready: true, reason: null });
  const detailed = await json("/health/detailed");
  assert.equal(detailed.components.database.kind, db.kind);
  assert.ok(Array.isArray(detailed.actors));

  const worker = await json("/metrics/worker");
  assert.equal(worker.state, "running");
  assert.equal(worker.steps.processed, 4);
  assert.equal(worker.steps.succeeded, 4);
  assert.equal(worker.step_time.count, 4);
  const events = await json("/metrics/events");
  assert.deepEqual(Object.keys(events).sort(), ["bus", "router", "subscribers", "writer"]);
  assert.equal(events.router.total_routed, taskerEngine(tasker).worker.routerStats().total_routed);

  const config = await json("/config");
  assert.equal(config.worker_id, tasker.workerId);
  assert.deepEqual(config.worker.namespaces, [template.namespace_name]);
  assert.deepEqual(config.http, {
    hostname: "127.0.0.1",
    port: server.addr.port,
    token_set: false,
  });

  const templates = await json("/v1/templates");
  assert.equal(templates.templates.length, 1);
  const [summary] = templates.templates;
  assert.equal(summary.name, "mathematical_sequence");
  assert.deepEqual(summary.steps, [
    "linear_step_1",
    "linear_step_2",
    "linear_step_3",
    "linear_step_4",
  ]);
  const one = await json(summary.href);
  assert.equal(one.namespace, template.namespace_name);
  assert.equal(one.steps[0].handler, "linear_workflow.linear_step_1");
  assert.equal(one.input_schema?.type, "object");
  const missing = await json(
    `/v1/templates/${template.namespace_name}/mathematical_sequence/9.9.9`,
    404,
  );
  assert.equal(missing.error, "template_not_found");
  assert.equal(missing.version, "9.9.9");

  const metrics = await get(server.url, "/metrics");
  assert.equal(metrics.status, 200);
  assert.equal(metrics.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
  const families = parsePrometheus(metrics.body);
  assert.equal(sampleValue(families, "tasker_steps_processed_total"), 4);
  assert.equal(sampleValue(families, "tasker_step_duration_seconds_count"), 4);
  assert.equal(
    sampleValue(families, "tasker_queue_length", {
      queue: `worker_${template.namespace_name}_queue`,
    }),
    0,
  );
});

dbTest("unknown paths are 404 JSON, other methods 405", async (db) => {
  await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
  await using server = serveObservability(tasker, { port: 0, inspector: false });
  const unknown = await get(server.url, "/nope/../metricz?x=1");
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get("content-type"), JSON_TYPE);
  assert.deepEqual(JSON.parse(unknown.body), { error: "not_found", path: "/metricz" });

  for (const method of ["POST", "PUT", "DELETE"]) {
    const response = await get(server.url, "/metrics", { method });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    assert.deepEqual(JSON.parse(response.body), {
      error: "method_not_allowed",
      method,
      path: "/metrics",
    });
  }
  assert.equal((await get(server.url, "/nope", { method: "POST" })).status, 404);
  const head = await get(server.url, "/health", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
});

dbTest(
  "a bearer token guards everything but the probes and the empty inspector page",
  async (db) => {
    await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
    const token = "s3cret-token";
    await using server = serveObservability(tasker, { port: 0, token });
    const guarded = [
      "/health/detailed",
      "/health/detailed/",
      "/metrics",
      "/metrics/worker",
      "/metrics/events",
      "/config",
      "/v1/templates",
    ];
    for (const path of guarded) {
      for (const attempt of [undefined, "wrong-token", "s3cret-toke", `${token}x`]) {
        const response = await get(
          server.url,
          path,
          attempt === undefined ? {} : { token: attempt },
        );
        assert.equal(response.status, 401, `${path} with ${attempt}`);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
        assert.equal(JSON.parse(response.body).error, "unauthorized");
      }
      const ok = await get(server.url, path, { token });
      assert.equal(ok.status, 200, `${path} with the token: ${ok.body.slice(0, 200)}`);
    }
    const basic = await get(server.url, "/config", {
      headers: { authorization: `Basic ${token}` },
    });
    assert.equal(basic.status, 401);
    assert.equal(
      JSON.parse((await get(server.url, "/config", { token })).body).http.token_set,
      true,
    );
    assert.ok(!(await get(server.url, "/config", { token })).body.includes(token));
    for (const path of ["/health", "/health/live", "/health/ready", "/health/ready/"]) {
      assert.equal((await get(server.url, path)).status, 200, path);
    }
    // Queue names, depths and the writer's last error are not for anonymous probes.
    assert.equal((await get(server.url, "/health/unknown")).status, 401);
    // An unknown path says nothing without the token either.
    assert.equal((await get(server.url, "/nope")).status, 401);
    // The inspector page holds no data (a browser cannot send the header when it navigates);
    // its event stream does, and stays guarded.
    assert.equal((await get(server.url, "/")).status, 200);
    assert.equal((await get(server.url, "/events/stream")).status, 401);
  },
);

dbTest("health routes answer 503 when the database is unreachable", async (db) => {
  const flaky = cuttable(db);
  await using tasker = await openTasker(flaky, [await exampleTemplate(LINEAR)], {
    pollIntervalMs: 200,
  });
  await using server = serveObservability(tasker, { port: 0, inspector: false });
  flaky.cut("fail");
  try {
    const health = await get(server.url, "/health");
    assert.equal(health.status, 503);
    assert.equal(JSON.parse(health.body).status, "unhealthy");
    assert.equal((await get(server.url, "/health/detailed")).status, 503);
    const ready = await get(server.url, "/health/ready");
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.body).ready, false);
    assert.equal((await get(server.url, "/health/live")).status, 200);
    const metrics = parsePrometheus((await get(server.url, "/metrics")).body);
    assert.equal(sampleValue(metrics, "tasker_queue_scrape_error"), 1);
  } finally {
    flaky.restore();
  }
});

dbTest("readiness is 503 once the tasker is closing", async (db) => {
  const tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
  await using server = serveObservability(tasker, { port: 0, inspector: false });
  assert.equal((await get(server.url, "/health/ready")).status, 200);
  await tasker.close();
  const ready = await get(server.url, "/health/ready");
  assert.equal(ready.status, 503);
  assert.match(JSON.parse(ready.body).reason, /stopped/);
  assert.equal((await get(server.url, "/health")).status, 503);
});

dbTest("close is idempotent, an aborted signal closes, config forgets the server", async (db) => {
  await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
  const controller = new AbortController();
  const server = serveObservability(tasker, { port: 0, signal: controller.signal });
  assert.equal(tasker.config().http?.port, server.addr.port);
  controller.abort();
  await server.close();
  await server.close();
  assert.equal(tasker.config().http, null);
  await assert.rejects(fetch(`${server.url}/health`));
});

dbTest("a port already in use is a clear error", async (db) => {
  await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
  await using first = serveObservability(tasker, { port: 0, inspector: false });
  assert.throws(
    () => serveObservability(tasker, { port: first.addr.port, inspector: false }),
    (error: Error) =>
      error.name === "ObservabilityServerError" &&
      error.message.includes(`127.0.0.1:${first.addr.port}`),
  );
});
