// A database outage in the middle of a stream: every event enqueued before, during and after it
// is written exactly once after recovery.
//
// Embedded (PGlite) the outage is injected by a wrapping Database that throws for a while. On a
// real server the writer gets its own throwaway database, and the outage is real: every backend
// of that database is terminated (in-flight statements die with the connection) and new
// connections are refused (ALLOW_CONNECTIONS false) until it is lifted. Stopping the shared
// server with pg_ctl is not used: as root pg_ctl refuses to run (it must run as the cluster's
// owner through runuser, which the test task does not grant), and stopping the one server would
// break every other test running against it at the same time.
import assert from "node:assert/strict";
import { dbTest } from "../_db.ts";
import type { Database } from "../../src/durable/db/database.ts";
import { openDatabase } from "../../src/durable/db/open.ts";
import { readEnv } from "../../src/env.ts";
import { DurableWriter } from "../../src/durable/writer/writer.ts";
import { freshNamespace, makeEvent, RecordingDatabase, until } from "./_path_helpers.ts";

interface Outage {
  /** The database the writer uses. */
  db: Database;
  begin(): Promise<void>;
  end(): Promise<void>;
  dispose(): Promise<void>;
}

function injectedOutage(db: Database): Outage {
  const recording = new RecordingDatabase(db);
  return {
    db: recording,
    begin: () => {
      recording.failing = true;
      return Promise.resolve();
    },
    end: () => {
      recording.failing = false;
      return Promise.resolve();
    },
    dispose: () => Promise.resolve(),
  };
}

async function serverOutage(admin: Database): Promise<Outage> {
  const url = new URL(readEnv("DATABASE_URL")!);
  const name = `outage_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.href, poolSize: 4, migrate: true });
  const block = async (allow: boolean) => {
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${allow}`);
    if (!allow) {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1::text",
        [name],
      );
    }
  };
  return {
    db,
    begin: () => block(false),
    end: () => block(true),
    dispose: async () => {
      await db.close();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    },
  };
}

dbTest("an outage mid-stream loses nothing and writes each event once", async (admin) => {
  const outage = admin.kind === "postgres" ? await serverOutage(admin) : injectedOutage(admin);
  const namespace = freshNamespace("outage");
  const queue = `${namespace}_domain_events`;
  try {
    const writer = new DurableWriter({
      db: outage.db,
      batchSize: 40,
      retryMinMs: 10,
      retryMaxMs: 100,
    });
    const sent: string[] = [];
    const emit = async (count: number) => {
      for (let index = 0; index < count; index++) {
        const event = makeEvent(namespace, "order.shipped", { index: sent.length });
        assert.equal(writer.enqueue(event), true);
        sent.push(event.event_id);
        if (index % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };

    await emit(150);
    await outage.begin();
    await emit(150); // some of these batches were in flight when the connections died
    await until("a failed write during the outage", () => writer.stats().failed_writes > 0);
    await emit(100);
    assert.equal(writer.stats().written < sent.length, true);
    await outage.end();
    await emit(100);
    await writer.flush();
    const report = await writer.close();

    const rows = await outage.db.query<{ event_id: string; copies: number | string }>(
      `SELECT message ->> 'event_id' AS event_id, count(*) AS copies
       FROM pgmq."q_${queue}" GROUP BY 1`,
    );
    const copies = new Map(rows.map((row) => [row.event_id, Number(row.copies)]));
    assert.equal(copies.size, sent.length);
    for (const id of sent) assert.equal(copies.get(id), 1, `event ${id}`);
    assert.deepEqual(report, { drained: true, written: 500, unwritten: 0, in_doubt: 0 });
    const stats = writer.stats();
    assert.ok(stats.retries > 0);
    assert.equal(stats.dropped, 0);
    if (admin.kind === "pglite") {
      await outage.db.query("SELECT pgmq.drop_queue($1::text)", [queue]);
      await outage.db.query("SELECT pgmq.drop_queue($1::text)", [`${queue}_dlq`]);
    }
  } finally {
    await outage.dispose();
  }
});
