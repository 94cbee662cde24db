import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { taskerConfig } from "../../src/observe/config.ts";
import { serveObservability } from "../../src/observe/server.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import type { WorkerSettings } from "../../src/worker/worker.ts";
import { Tasker } from "../../src/tasker.ts";
import { registerExamples } from "../../templates/mod.ts";
import { dbTest, postgresUrl } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { get } from "./_helpers.ts";

const LINEAR = "linear_workflow/mathematical_sequence.yaml";

const settings: WorkerSettings = {
  namespaces: ["payments"],
  concurrency: 4,
  lease_seconds: 30,
  lease_renewal_ms: 10_000,
  foreign_timeout_seconds: 600,
  poll_interval_ms: 50,
  listening_poll_interval_ms: 1000,
  recovery: null,
};

Deno.test("the database URL is shown without its password, the writer with server defaults", () => {
  const db = {
    kind: "postgres",
    description: "postgres db.internal:5432/tasker",
  } as unknown as Database;
  const config = taskerConfig({ db, worker: { id: "w-1", settings: () => settings } }, {
    url: "postgres://app:hunter2@db.internal:5432/tasker",
    databaseGiven: false,
  }, null);
  assert.equal(config.database.url, "postgres://app:***@db.internal:5432/tasker");
  assert.ok(!JSON.stringify(config).includes("hunter2"));
  assert.equal(config.database.pool_size, 10);
  assert.equal(config.database.writer_pool_size, 4);
  assert.equal(config.writer.max_in_flight, 4);
  assert.equal(config.worker_id, "w-1");
  assert.equal(config.http, null);
});

dbTest("config shows the effective settings, defaults applied", async (db) => {
  const template = await exampleTemplate(LINEAR);
  await using tasker = await openTasker(db, [template], {
    concurrency: 3,
    leaseSeconds: 12,
    pollIntervalMs: 25,
    recovery: { olderThanMs: 5000, intervalMs: 1000 },
    writer: { batchSize: 64, bufferLimit: 5000 },
    bus: {
      defaults: { mailboxCapacity: 32, overflow: "drop_oldest", supervisor: { intensity: 5 } },
    },
  });
  const config = tasker.config();
  assert.equal(config.database.kind, db.kind);
  assert.equal(config.database.given, true);
  assert.deepEqual(config.worker, {
    namespaces: [template.namespace_name],
    concurrency: 3,
    lease_seconds: 12,
    lease_renewal_ms: 4000,
    foreign_timeout_seconds: 600,
    poll_interval_ms: 25,
    // Set alone, the poll interval holds while listening too.
    listening_poll_interval_ms: 25,
    recovery: { older_than_ms: 5000, interval_ms: 1000 },
  });
  assert.equal(config.writer.batch_size, 64);
  assert.equal(config.writer.buffer_limit, 5000);
  assert.equal(config.writer.linger_ms, 2);
  assert.equal(config.writer.strategy, "insert");
  assert.equal(config.bus.mailbox_capacity, 32);
  assert.equal(config.bus.overflow, "drop_oldest");
  assert.equal(config.bus.restart, "permanent");
  assert.equal(config.bus.supervisor.intensity, 5);
  assert.equal(config.bus.supervisor.period_ms, 5000);
  assert.match(config.version, /^\d+\.\d+\.\d+/);
});

const serverUrl = postgresUrl();

Deno.test({
  name: "/config of a Tasker opened from a URL with a password never shows it [postgres]",
  ignore: serverUrl === undefined,
  fn: async () => {
    const url = new URL(serverUrl!);
    const secret = `pw-${crypto.randomUUID()}`;
    if (url.password === "") url.password = secret;
    const password = decodeURIComponent(url.password);
    const tasker = await Tasker.open({
      templates: TemplateRegistry.fromTemplates([await exampleTemplate(LINEAR)]),
      database: { url: url.href, poolSize: 2, writerPoolSize: 1 },
      startWorker: false,
    });
    try {
      registerExamples(tasker.handlers, tasker.publishers);
      await tasker.start();
      await using server = serveObservability(tasker, { port: 0, inspector: false });
      const response = await get(server.url, "/config");
      assert.equal(response.status, 200);
      assert.ok(!response.body.includes(password), "the password is not in /config");
      const config = JSON.parse(response.body);
      assert.equal(config.database.kind, "postgres");
      assert.equal(config.database.given, false);
      assert.equal(config.database.pool_size, 2);
      assert.equal(config.database.writer_pool_size, 1);
      const shown = new URL(config.database.url);
      assert.equal(shown.password, "***");
      assert.equal(shown.host, url.host);
      assert.equal(shown.pathname, url.pathname);
      const health = await get(server.url, "/health/detailed");
      assert.ok(!health.body.includes(password));
    } finally {
      await tasker.close();
    }
  },
});
