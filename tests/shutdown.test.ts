// Graceful shutdown of `tasker worker`: a busy worker process gets SIGTERM, stops claiming, lets
// its in-flight steps finish, drains its mailboxes, flushes the durable writer, closes its pools
// and exits 0 — and nothing it accepted is lost: every step it started finished, every other
// step is still queued, and every durable event a finished step owes is in its PGMQ queue.
//
// Embedded mode (TASKER_DATA_DIR) is one process per data directory, so the test submits the
// tasks first, closes its own Tasker, and only then starts the worker process; it inspects the
// data directory again after the worker has exited. With DATABASE_URL set the same test also
// runs against the server.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseTemplate } from "../src/template/load.ts";
import { TemplateRegistry } from "../src/template/registry.ts";
import { Tasker } from "../src/tasker.ts";
import { registerQuietHandlers, SHUTDOWN_TEMPLATE } from "./fixtures/shutdown_handlers.ts";
import { uniqueName } from "./_db.ts";
import { type ProcessTarget, processTest } from "./_process_targets.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const TASKS = 16;

async function openOn(target: ProcessTarget, templates: TemplateRegistry): Promise<Tasker> {
  const tasker = await Tasker.open({
    templates,
    database: target.database,
    startWorker: false,
    pollIntervalMs: 10,
  });
  registerQuietHandlers(tasker.handlers);
  return tasker;
}

/** Collects a child's stderr; resolves `url` when the worker prints where it serves. */
function watchStderr(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const url = Promise.withResolvers<string>();
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const match = /inspector on (http:\/\/\S+)/.exec(text);
      if (match) url.resolve(match[1]!);
    }
    url.reject(new Error(`the worker exited without serving:\n${text}`));
  })();
  return { url: url.promise, done, text: () => text };
}

async function waitUntilBusy(base: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const response = await fetch(`${base}/metrics/worker`);
    const body = await response.json();
    if (body.steps.in_progress > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the worker never claimed a step");
}

async function shutdownScenario(target: ProcessTarget): Promise<void> {
  const namespace = uniqueName("shut");
  const yaml = SHUTDOWN_TEMPLATE.replace("NAMESPACE", namespace);
  const templates = TemplateRegistry.fromTemplates([parseTemplate(yaml)]);
  const templatesDir = await Deno.makeTempDir({ prefix: "tasker-shutdown-templates-" });
  try {
    await Deno.writeTextFile(`${templatesDir}/slow_pair.yaml`, yaml);

    const submitter = await openOn(target, templates);
    const taskUuids: string[] = [];
    try {
      for (let i = 0; i < TASKS; i++) {
        const task = await submitter.submit({ namespace, name: "slow_pair", context: { i } });
        taskUuids.push(task.task_uuid);
      }
    } finally {
      await submitter.close();
    }

    // "deno" from PATH, not Deno.execPath(): the test task grants --allow-run=deno by name.
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1,localhost",
        "src/cli/main.ts",
        "worker",
        "--templates",
        templatesDir,
        "--handlers",
        "tests/fixtures/shutdown_handlers.ts",
        "--concurrency",
        "4",
        "--lease",
        "5",
        "--port",
        "0",
      ],
      cwd: root,
      env: target.env,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = watchStderr(child.stderr);
    let status: Deno.CommandStatus;
    try {
      await waitUntilBusy(await stderr.url);
      child.kill("SIGTERM");
    } finally {
      status = await child.status;
      await stderr.done;
    }
    const log = stderr.text();
    assert.equal(status.code, 0, `the worker did not exit 0:\n${log}`);
    assert.match(log, /SIGTERM, draining/);
    const started = [...log.matchAll(/shutdown-fixture start (\S+)/g)].map((m) => m[1]!);
    const ended = new Set([...log.matchAll(/shutdown-fixture end (\S+)/g)].map((m) => m[1]!));
    assert.ok(started.length > 0);
    for (const step of started) assert.ok(ended.has(step), `step ${step} started but never ended`);

    const tasker = await openOn(target, templates);
    try {
      const db = tasker.db;
      const steps = await db.query<{ step_uuid: string; state: string }>(
        `SELECT s.step_uuid::text AS step_uuid, s.state FROM tasker.steps s
           JOIN tasker.tasks t USING (task_uuid) WHERE t.namespace = $1`,
        [namespace],
      );
      assert.equal(steps.length, TASKS * 2);
      const state = new Map(steps.map((s) => [s.step_uuid, s.state]));
      // Every step the worker started was finished and recorded before it exited.
      for (const step of started) assert.equal(state.get(step), "complete", `step ${step}`);
      assert.ok(
        steps.some((s) => s.state !== "complete"),
        "the worker stopped claiming: some steps were left for later",
      );
      // Every step not finished is waiting for its dependency or still has its queue message.
      const queued = new Set(
        (await db.query<{ step_uuid: string }>(
          `SELECT message->>'step_uuid' AS step_uuid FROM pgmq."q_worker_${namespace}_queue"`,
        )).map((r) => r.step_uuid),
      );
      for (const s of steps) {
        if (s.state === "complete" || s.state === "pending") continue;
        assert.ok(
          ["enqueued", "in_progress", "waiting_for_retry"].includes(s.state),
          `step ${s.step_uuid} is ${s.state}`,
        );
        assert.ok(queued.has(s.step_uuid), `step ${s.step_uuid} (${s.state}) has no queue message`);
      }
      // Every owed durable event is sent and in its queue.
      const owed = await db.query<{ event_id: string; sent: boolean }>(
        `SELECT e.event_id::text AS event_id, e.sent_at IS NOT NULL AS sent
           FROM tasker.step_events e JOIN tasker.tasks t USING (task_uuid)
          WHERE t.namespace = $1 AND e.delivery_mode IN ('durable', 'broadcast')`,
        [namespace],
      );
      const completed = steps.filter((s) => s.state === "complete").length;
      // "slow" owes two events (durable + broadcast), "after" one.
      assert.ok(owed.length >= completed, `${owed.length} owed events for ${completed} steps`);
      for (const event of owed) assert.ok(event.sent, `event ${event.event_id} was never sent`);
      const inQueue = new Set(
        (await db.query<{ event_id: string }>(
          `SELECT message->>'event_id' AS event_id FROM pgmq."q_${namespace}_domain_events"`,
        )).map((r) => r.event_id),
      );
      for (const event of owed) {
        assert.ok(inQueue.has(event.event_id), `event ${event.event_id} is not in its queue`);
      }

      // Nothing was lost: a new worker finishes every task.
      await tasker.start();
      for (const uuid of taskUuids) {
        const done = await tasker.waitFor(uuid, { timeoutMs: 30_000 });
        assert.equal(done.status, "complete", `task ${uuid}`);
      }
    } finally {
      await tasker.close();
    }
  } finally {
    await Deno.remove(templatesDir, { recursive: true });
  }
}

processTest("SIGTERM drains a busy worker and loses nothing", shutdownScenario);
