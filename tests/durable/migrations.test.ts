import assert from "node:assert/strict";
import { dbTest } from "../_db.ts";
import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { MigrationError } from "../../src/durable/db/errors.ts";
import {
  appliedVersions,
  builtinMigrations,
  migrate,
  type Migration,
} from "../../src/durable/db/migrate.ts";

const extra: Migration = {
  version: 1_000_001,
  name: "test_widgets",
  statements: [
    "CREATE TABLE tasker.test_widgets (id int PRIMARY KEY)",
    "INSERT INTO tasker.test_widgets VALUES (1), (2)",
  ],
};

async function exists(db: Queryable, relation: string): Promise<boolean> {
  const [row] = await db.query<{ present: boolean }>(
    "SELECT to_regclass($1::text) IS NOT NULL AS present",
    [relation],
  );
  return row!.present;
}

dbTest("migrate applies the built-in migrations once, then nothing", async (db) => {
  assert.deepEqual(await appliedVersions(db), new Set());
  assert.deepEqual(await migrate(db), [1]);
  assert.deepEqual(await migrate(db), []);
  assert.deepEqual(await appliedVersions(db), new Set([1]));

  const [pgmq] = await db.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'pgmq'",
  );
  assert.equal(pgmq!.extversion, "1.11.1");
  const [record] = await db.query<{ version: number; name: string; applied_at: Date }>(
    "SELECT version, name, applied_at FROM tasker.schema_migrations",
  );
  assert.equal(record!.version, 1);
  assert.equal(record!.name, builtinMigrations[0]!.name);
  assert.ok(record!.applied_at instanceof Date);
}, { migrate: false });

dbTest("appended migrations apply in order on top of the built-in ones", async (db) => {
  assert.deepEqual(await migrate(db), [1]);
  assert.deepEqual(await migrate(db, [...builtinMigrations, extra]), [extra.version]);
  assert.deepEqual(await migrate(db, [...builtinMigrations, extra]), []);
  const rows = await db.query<{ id: number }>("SELECT id FROM tasker.test_widgets ORDER BY id");
  assert.deepEqual(rows, [{ id: 1 }, { id: 2 }]);
}, { migrate: false });

dbTest("concurrent migrate calls apply each migration exactly once", async (db) => {
  const list = [...builtinMigrations, extra];
  const results = await Promise.all([migrate(db, list), migrate(db, list), migrate(db, list)]);
  assert.deepEqual(results.flat().sort((a, b) => a - b), [1, extra.version]);
  const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM tasker.test_widgets");
  assert.equal(row!.n, 2);
}, { migrate: false });

dbTest("a failing migration rolls the whole run back and names itself", async (db) => {
  const broken: Migration = {
    version: 2,
    name: "broken_on_purpose",
    statements: ["CREATE TABLE tasker.half_done (id int)", "SELECT no_such_column FROM nowhere"],
  };
  await assert.rejects(migrate(db, [...builtinMigrations, broken]), (error: unknown) => {
    assert.ok(error instanceof MigrationError);
    assert.equal(error.code, "E_MIGRATION_FAILED");
    assert.match(error.message, /migration 2 \(broken_on_purpose\) failed: .*nowhere/);
    return true;
  });
  assert.deepEqual(await appliedVersions(db), new Set());
  assert.equal(await exists(db, "tasker.half_done"), false);
  assert.equal(await exists(db, "tasker.schema_migrations"), false);
  assert.deepEqual(await migrate(db), [1], "a corrected list still applies");
}, { migrate: false });

Deno.test("a malformed migration list is rejected before any SQL runs", async () => {
  const calls: string[] = [];
  const db = {
    kind: "pglite",
    query: (sql: string) => {
      calls.push(sql);
      return Promise.resolve([]);
    },
    transaction: (fn: (tx: Queryable) => Promise<unknown>) => fn(db),
    listen: () => Promise.resolve(() => Promise.resolve()),
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  } as unknown as Database;
  const bad: Array<[string, Migration[]]> = [
    ["version must be a positive integer", [{
      version: 0,
      name: "zero",
      statements: ["SELECT 1"],
    }]],
    ["strictly ascending", [...builtinMigrations, { ...extra, version: 1 }]],
    ["name must be a non-empty", [{ version: 5, name: " ", statements: ["SELECT 1"] }]],
    ["statements must be a non-empty", [{ version: 5, name: "empty", statements: [] }]],
  ];
  for (const [message, migrations] of bad) {
    await assert.rejects(migrate(db, migrations), (error: unknown) => {
      assert.ok(error instanceof MigrationError);
      assert.ok(error.message.includes(message), error.message);
      return true;
    });
  }
  assert.deepEqual(calls, []);
});
