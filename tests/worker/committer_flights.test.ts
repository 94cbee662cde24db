// The group committer's in-flight bound: with maxInFlight 2 a second group's transaction starts
// while the first is still open (the worker's CPU and the server's overlap); with 1 it waits.
import assert from "node:assert/strict";
import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { OutcomeCommitter } from "../../src/worker/committer.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { success } from "../../src/worker/step_handler.ts";
import { claimSteps } from "../../src/worker/step_claims.ts";
import type { ClaimedStep } from "../../src/worker/step_store.ts";
import { templateHash } from "../../src/worker/template_hash.ts";
import { taskerEngine } from "../../src/tasker_engine.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "./_engine.ts";

/** `db`, with every transaction held at its start until `open()` is called. */
function gated(db: Database) {
  let opened!: () => void;
  const gate = new Promise<void>((resolve) => opened = resolve);
  const state = { inFlight: 0, most: 0, started: 0 };
  const wrapped: Database = Object.create(db, {
    transaction: {
      value: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
        state.inFlight++;
        state.started++;
        state.most = Math.max(state.most, state.inFlight);
        try {
          await gate;
          return await db.transaction(fn);
        } finally {
          state.inFlight--;
        }
      },
    },
  });
  return { db: wrapped, state, open: () => opened() };
}

async function twoClaims(db: Database, namespace: string) {
  const template = parseTemplateIn(
    `
name: one
namespace_name: x
version: 1.0.0
steps:
  - name: only
    handler: { callable: test.only }
`,
    namespace,
  );
  const tasker = await openTasker(db, [template], {
    handlers: new HandlerRegistry().register("test.only", () => success(1)),
    startWorker: false,
  });
  await taskerEngine(tasker).worker.close();
  for (let i = 0; i < 2; i++) await tasker.submit({ namespace, name: "one", context: { i } });
  const queue = `worker_${namespace}_queue`;
  const messages = (await db.query<{ msg_id: number; message: never }>(
    "SELECT msg_id, message FROM pgmq.read($1::text, 30, 2)",
    [queue],
  )).map((m) => ({ queue, msg_id: Number(m.msg_id), message: m.message }));
  const scope = { templateHashes: [await templateHash(template)], foreignTimeoutSeconds: 600 };
  const { claimed } = await claimSteps(db, messages, "worker-f", 30, scope);
  assert.equal(claimed.length, 2);
  return { tasker, claimed };
}

const record = (claim: ClaimedStep) => ({
  claim,
  successors: [],
  result: success("x"),
  retryDelayMs: () => 0,
  prepareEvents: () => [],
});

/** Turns of the event loop, so a flight that may start has started. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

for (const maxInFlight of [1, 2]) {
  dbTest(
    `with maxInFlight ${maxInFlight}, that many group transactions are open at once`,
    async (db) => {
      const { tasker, claimed } = await twoClaims(db, uniqueName("flights"));
      await using _ = tasker;
      const { db: held, state, open } = gated(db);
      const committer = new OutcomeCommitter(held, "worker-f", { maxInFlight });
      const first = committer.record(record(claimed[0]!));
      await turns();
      assert.equal(state.started, 1);
      // The second outcome arrives while the first group's transaction is open.
      const second = committer.record(record(claimed[1]!));
      await turns();
      assert.equal(state.started, maxInFlight, "a second flight starts only when allowed");
      open();
      const outcomes = await Promise.all([first, second]);
      assert.deepEqual(outcomes.map((o) => o?.state), ["complete", "complete"]);
      assert.equal(state.most, maxInFlight);
      assert.deepEqual(committer.stats().groups, 2);
      await committer.idle();
      assert.equal(committer.busy, false);
    },
  );
}
