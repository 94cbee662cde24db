// Domain-event queues store their (kilobyte-sized) messages compressed with lz4 where the
// database has it; where it does not (PGlite), queue creation still succeeds and keeps pglz.
import assert from "node:assert/strict";
import { ensureEventQueue } from "../../src/durable/pgmq/event_queues.ts";
import { dbTest, uniqueName } from "../_db.ts";

dbTest("a domain-event queue compresses its messages with lz4 where available", async (db) => {
  const queue = `${uniqueName("lz")}_domain_events`;
  await ensureEventQueue(db, queue);
  const [row] = await db.query<{ compression: string }>(
    `SELECT a.attcompression::text AS compression FROM pg_attribute a
      WHERE a.attrelid = ('pgmq.q_' || $1)::regclass AND a.attname = 'message'`,
    [queue],
  );
  assert.equal(row!.compression, db.kind === "postgres" ? "l" : "");
  // Created and usable either way.
  await db.query("SELECT pgmq.send($1::text, $2::jsonb)", [queue, JSON.stringify({ a: 1 })]);
});
