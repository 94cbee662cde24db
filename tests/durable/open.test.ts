import assert from "node:assert/strict";
import { dbTest, postgresUrl, withThrowawayDatabase } from "../_db.ts";
import { DatabaseUnavailableError, DatabaseUrlError } from "../../src/durable/db/errors.ts";
import { appliedVersions } from "../../src/durable/db/migrate.ts";
import { databaseHealth, describeDatabase, openDatabase } from "../../src/durable/db/open.ts";
import { openPostgres } from "../../src/durable/db/postgres.ts";
import { parseDatabaseUrl, redactUrl } from "../../src/durable/db/pg_url.ts";
import { parsePgArray, serializePgArray } from "../../src/durable/db/pg_types.ts";

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("openDatabase uses DATABASE_URL when set, else PGlite, and migrates", async () => {
  const url = postgresUrl();
  await using db = await openDatabase();
  assert.equal(db.kind, url === undefined ? "pglite" : "postgres");
  assert.ok((await appliedVersions(db)).has(1));
  const description = describeDatabase(db);
  if (url === undefined) {
    assert.equal(description, "pglite (in memory)");
  } else {
    const { address, database } = parseDatabaseUrl(url);
    assert.equal(description, `postgres ${address}/${database}`);
  }
});

Deno.test("openDatabase keeps PGlite data in a data directory across reopens", async () => {
  if (postgresUrl() !== undefined) {
    // A URL takes precedence over a data directory.
    await using db = await openDatabase({ dataDir: "/nonexistent/never-created" });
    assert.equal(db.kind, "postgres");
    return;
  }
  const dataDir = await Deno.makeTempDir({ prefix: "tasker-pglite-" });
  try {
    const nested = `${dataDir}/nested/data`;
    {
      await using db = await openDatabase({ dataDir: nested });
      assert.equal(describeDatabase(db), `pglite (data dir ${nested})`);
      await db.query("CREATE TABLE tasker.kept (v text)");
      await db.query("INSERT INTO tasker.kept VALUES ($1::text)", ["survives"]);
    }
    await using again = await openDatabase({ dataDir: nested, migrate: false });
    assert.deepEqual(await again.query("SELECT v FROM tasker.kept"), [{ v: "survives" }]);
    assert.deepEqual(await appliedVersions(again), new Set([1]));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("openDatabase with an explicit URL opens the server", {
  ignore: postgresUrl() === undefined,
}, async () => {
  await using db = await openDatabase({ url: postgresUrl(), poolSize: 2, migrate: false });
  assert.equal(db.kind, "postgres");
});

Deno.test("a dead server gives DatabaseUnavailableError naming host:port, not the password", async () => {
  const port = closedPort();
  const url = `postgres://app:s3cr3t-pw@127.0.0.1:${port}/tasker`;
  for (const open of [() => openDatabase({ url }), () => openPostgres({ url })]) {
    await assert.rejects(open(), (error: unknown) => {
      assert.ok(error instanceof DatabaseUnavailableError, String(error));
      assert.equal(error.code, "E_DATABASE_UNAVAILABLE");
      assert.equal(error.address, `127.0.0.1:${port}`);
      assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
      assert.ok(!error.message.includes("s3cr3t-pw"), error.message);
      assert.ok(!String(error.stack).includes("s3cr3t-pw"));
      return true;
    });
  }
});

Deno.test("a URL that is not postgres:// is rejected with the password redacted", async () => {
  for (const url of ["mysql://root:hunter2@db/x", "not a url :hunter2@"]) {
    await assert.rejects(openPostgres({ url }), (error: unknown) => {
      assert.ok(error instanceof DatabaseUrlError);
      assert.equal(error.code, "E_DATABASE_URL_INVALID");
      assert.ok(!error.message.includes("hunter2"), error.message);
      return true;
    });
  }
});

dbTest("databaseHealth reports ok, kind, latency and the PGMQ version", async (db) => {
  const health = await databaseHealth(db);
  assert.equal(health.ok, true);
  assert.equal(health.kind, db.kind);
  assert.equal(health.pgmq_version, "1.11.1");
  assert.equal(typeof health.latency_ms, "number");
  assert.equal(health.error, undefined);
});

dbTest("databaseHealth reports a failure instead of throwing", async (db) => {
  await db.close();
  const health = await databaseHealth(db);
  assert.equal(health.ok, false);
  assert.equal(health.kind, db.kind);
  assert.match(health.error ?? "", /closed/);
});

Deno.test("redactUrl and parseDatabaseUrl never expose the password", () => {
  assert.equal(
    redactUrl("postgres://app:s3cret@db.example:5433/tasker?sslmode=require"),
    "postgres://app:***@db.example:5433/tasker?sslmode=require",
  );
  assert.equal(redactUrl("postgres://app@db/tasker"), "postgres://app@db/tasker");
  assert.equal(redactUrl("garbage://u:pw@@"), "garbage://u:***@@");
  const info = parseDatabaseUrl("postgresql://app:p%40ss@127.0.0.1/tasker");
  assert.equal(info.address, "127.0.0.1:5432");
  assert.equal(info.database, "tasker");
  assert.equal(info.user, "app");
  assert.equal(info.redacted, "postgresql://app:***@127.0.0.1/tasker");
});

Deno.test("PostgreSQL array literals round-trip with NULLs, quotes and nesting", () => {
  assert.deepEqual(parsePgArray("{}", String), []);
  assert.deepEqual(parsePgArray('{a,NULL,"NULL","b c","q\\"x","\\\\"}', String), [
    "a",
    null,
    "NULL",
    "b c",
    'q"x',
    "\\",
  ]);
  assert.deepEqual(parsePgArray("{{1,2},{3,NULL}}", Number), [[1, 2], [3, null]]);
  assert.deepEqual(parsePgArray("[0:1]={7,8}", Number), [7, 8]);
  assert.throws(() => parsePgArray("{1,2", Number), SyntaxError);
  const values = ["a", null, 'q"x', "\\", "NULL"];
  assert.deepEqual(parsePgArray(serializePgArray(values, String), String), values);
});

Deno.test("a connection killed mid-query surfaces as DatabaseUnavailableError", {
  ignore: postgresUrl() === undefined,
}, async () => {
  await using victim = await openPostgres({ url: postgresUrl()!, poolSize: 1 });
  await using admin = await openPostgres({ url: postgresUrl()!, poolSize: 1 });
  const [{ pid }] = await victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid") as [
    { pid: number },
  ];
  const sleeping = victim.query("SELECT pg_sleep(30)");
  sleeping.catch(() => {});
  // Wait until the victim's backend is inside pg_sleep, then terminate it.
  for (let i = 0; i < 200; i++) {
    const [row] = await admin.query<{ waiting: boolean }>(
      "SELECT count(*) > 0 AS waiting FROM pg_stat_activity WHERE pid = $1::int AND query LIKE '%pg_sleep(30)%'",
      [pid],
    );
    if (row!.waiting) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await admin.query("SELECT pg_terminate_backend($1::int)", [pid]);
  await assert.rejects(sleeping, (error: unknown) => {
    assert.ok(error instanceof DatabaseUnavailableError, String(error));
    assert.equal(error.address, parseDatabaseUrl(postgresUrl()!).address);
    return true;
  });
  // The pool reconnects by itself: a later query succeeds without reopening (postgres.js may
  // fail one more query that was already queued on the dying connection).
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      assert.deepEqual(await victim.query("SELECT 1 AS one"), [{ one: 1 }]);
      break;
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError) || attempts >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});

Deno.test("a database that stops accepting connections gives DatabaseUnavailableError", {
  ignore: postgresUrl() === undefined,
}, async () => {
  await withThrowawayDatabase(postgresUrl()!, async (url) => {
    await using admin = await openPostgres({ url: postgresUrl()!, poolSize: 1 });
    await using db = await openPostgres({ url, poolSize: 2 });
    assert.deepEqual(await db.query("SELECT 1 AS one"), [{ one: 1 }]);
    const name = new URL(url).pathname.slice(1);
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1::text",
      [name],
    );
    // The dropped connections, then every reconnect (refused: SQLSTATE 55000, FATAL).
    for (let i = 0; i < 3; i++) {
      await assert.rejects(db.query("SELECT 1"), DatabaseUnavailableError);
    }
    await assert.rejects(openPostgres({ url }), DatabaseUnavailableError);
    // Once the database accepts connections again, the same handle works again.
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    assert.deepEqual(await db.query("SELECT 2 AS two"), [{ two: 2 }]);
  });
});
