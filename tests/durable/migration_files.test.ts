// The migrations live in numbered .sql files compiled into generated modules: the modules must be
// fresh, the splitter must cut statements exactly where PostgreSQL would, and the applied
// migrations must never change (databases already migrated recorded these versions and ran this
// SQL).
import assert from "node:assert/strict";
import { generate, splitStatements } from "../../scripts/gen_migrations.ts";
import { taskerMigrations } from "../../src/worker/engine_migrations.ts";
import {
  operationsMigration,
  STEP_STATES,
  TASK_STATES,
} from "../../src/worker/engine_migrations.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("the generated migration modules match their .sql files", async () => {
  assert.deepEqual(await generate(root, true), []);
});

Deno.test("released migrations keep their versions, names and SQL", async () => {
  // The first 16 hex digits of the SHA-256 of each migration's statements joined by "\n;\n",
  // taken when the SQL moved from TypeScript arrays into .sql files.
  const pinned = [
    [1, "pgmq_and_tasker_schema", "03788de0230e187e"],
    [2, "task_engine", "210cc1c6e4ab96bf"],
    [3, "task_wire_columns", "ae1ebdf00fbee884"],
    [4, "claim_guards", "d394e08599841307"],
    [6, "dynamic_steps", "ad9a16f27384bef2"],
    [7, "operations_states_identity_dlq", "5259b021df4a0920"],
    [8, "task_operations", "0f1078658b50dc82"],
    [9, "event_history_rows", "a1f1f2bf12486625"],
    [10, "steps_and_tasks_fillfactor", "14b17d7b7e686afd"],
  ];
  const actual = [];
  for (const migration of taskerMigrations.slice(0, pinned.length)) {
    const text = new TextEncoder().encode(migration.statements.join("\n;\n"));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
    actual.push([migration.version, migration.name, hex]);
  }
  assert.deepEqual(actual, pinned);
});

Deno.test("the state lists are the ones migration 7's constraints allow", () => {
  const list = (states: readonly string[]) => states.map((s) => `'${s}'`).join(", ");
  assert.ok(operationsMigration.statements.includes(
    `ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_state_check\n  CHECK (state IN (${
      list(TASK_STATES)
    }))`,
  ));
  assert.ok(operationsMigration.statements.includes(
    `ALTER TABLE tasker.steps ADD CONSTRAINT steps_state_check\n  CHECK (state IN (${
      list(STEP_STATES)
    }))`,
  ));
});

Deno.test("statements end at semicolons outside quotes, bodies and comments", () => {
  const sql = `-- A header, not sent.
-- Still the header; with a semicolon.

SELECT 'a;b', "odd;name", E'it\\'s;' FROM t;

/* a note; */ CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;
-- A note before the next statement.
SELECT $1::int, x$y
  -- a comment inside a statement; it stays
  FROM u;
`;
  assert.deepEqual(splitStatements(sql), [
    `SELECT 'a;b', "odd;name", E'it\\'s;' FROM t`,
    "/* a note; */ CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$",
    "SELECT $1::int, x$y\n  -- a comment inside a statement; it stays\n  FROM u",
  ]);
});

Deno.test("a malformed .sql file is refused with its line", () => {
  assert.throws(() => splitStatements("SELECT 1;\nSELECT 2", "f.sql"), /f\.sql:2: text after/);
  assert.throws(() => splitStatements("SELECT 'x;\n", "f.sql"), /unterminated string/);
  assert.throws(() => splitStatements("DO $b$ BEGIN;", "f.sql"), /unterminated \$b\$ body/);
  assert.throws(() => splitStatements("SELECT 1;\n;", "f.sql"), /empty statement/);
});
