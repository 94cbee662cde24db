import assert from "node:assert/strict";
import { dbTest, uniqueName } from "../_db.ts";
import type { Database } from "../../src/durable/db/database.ts";
import { InvalidNameError } from "../../src/names.ts";

/** Runs `fn` with a table of its own (`id int, label text`), dropped afterwards. */
async function withTable(db: Database, fn: (table: string) => Promise<void>): Promise<void> {
  const table = `public.${uniqueName("tbl")}`;
  await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, label text NOT NULL)`);
  try {
    await fn(table);
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

dbTest("both adapters return the same JavaScript types", async (db) => {
  const at = new Date("2024-05-06T07:08:09.123Z");
  const [row] = await db.query(
    `SELECT 1::int2 AS i2, 2::int4 AS i4, 3::int8 AS i8, 9007199254740993::int8 AS huge,
      1.5::float8 AS f8, 1.25::numeric AS num, true AS yes, NULL::text AS nothing,
      'text'::text AS t, '00000000-0000-0000-0000-000000000001'::uuid AS id,
      '{"a":[1,2],"b":null}'::jsonb AS jb, '{"c":"d"}'::json AS js, '"str"'::jsonb AS jstr,
      '2024-05-06T07:08:09.123Z'::timestamptz AS ts, '\\x01ff'::bytea AS bytes,
      ARRAY[1, NULL, 3]::int8[] AS i8s, ARRAY['a', NULL, 'NULL', 'b c', '"q"', '\\']::text[] AS texts,
      ARRAY['{"x":1}'::jsonb, NULL, '[1]'::jsonb] AS jbs, ARRAY[[1,2],[3,4]]::int4[] AS grid,
      ARRAY['2024-05-06T07:08:09.123Z'::timestamptz] AS tss, '{}'::int4[] AS empty,
      $1::jsonb AS p_text_json, $2::jsonb AS p_object, $3::bigint[] AS p_ids,
      $4::jsonb[] AS p_jsonbs, $5::timestamptz AS p_at, $6::int8 AS p_i8, $7::text AS p_null,
      $8::bool AS p_bool, $9::text[] AS p_texts`,
    [
      JSON.stringify({ k: "v" }),
      { k: 2 },
      [1, 2, 3],
      [JSON.stringify({ h: 1 }), null],
      at,
      42,
      null,
      false,
      ["a", null, 'q"uote', "back\\slash", "NULL"],
    ],
  );
  assert.deepEqual(row, {
    i2: 1,
    i4: 2,
    i8: 3,
    huge: 9007199254740993n,
    f8: 1.5,
    num: "1.25",
    yes: true,
    nothing: null,
    t: "text",
    id: "00000000-0000-0000-0000-000000000001",
    jb: { a: [1, 2], b: null },
    js: { c: "d" },
    jstr: "str",
    ts: at,
    bytes: new Uint8Array([1, 255]),
    i8s: [1, null, 3],
    texts: ["a", null, "NULL", "b c", '"q"', "\\"],
    jbs: [{ x: 1 }, null, [1]],
    grid: [[1, 2], [3, 4]],
    tss: [at],
    empty: [],
    p_text_json: { k: "v" },
    p_object: { k: 2 },
    p_ids: [1, 2, 3],
    p_jsonbs: [{ h: 1 }, null],
    p_at: at,
    p_i8: 42,
    p_null: null,
    p_bool: false,
    p_texts: ["a", null, 'q"uote', "back\\slash", "NULL"],
  });
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
});

dbTest("query returns a plain array of rows, empty when none match", async (db) => {
  const rows = await db.query<{ n: number }>(
    "SELECT n FROM generate_series(1, 3) AS n WHERE n > $1::int ORDER BY n",
    [1],
  );
  assert.deepEqual(rows, [{ n: 2 }, { n: 3 }]);
  assert.equal(Object.getPrototypeOf(rows), Array.prototype);
  assert.deepEqual(await db.query("SELECT 1 WHERE false"), []);
});

dbTest("SQL errors keep their SQLSTATE code", async (db) => {
  await withTable(db, async (table) => {
    await db.query(`INSERT INTO ${table} VALUES (1, 'a')`);
    await assert.rejects(
      db.query(`INSERT INTO ${table} VALUES (1, 'again')`),
      (error: unknown) => (error as { code?: string }).code === "23505",
    );
    await assert.rejects(db.query("SELEC 1"), (error: unknown) => {
      return (error as { code?: string }).code === "42601";
    });
  });
});

dbTest("a transaction commits when its function resolves", async (db) => {
  await withTable(db, async (table) => {
    const result = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} VALUES ($1::int, $2::text)`, [1, "one"]);
      await tx.query(`INSERT INTO ${table} VALUES ($1::int, $2::text)`, [2, "two"]);
      return "done";
    });
    assert.equal(result, "done");
    const rows = await db.query(`SELECT id, label FROM ${table} ORDER BY id`);
    assert.deepEqual(rows, [{ id: 1, label: "one" }, { id: 2, label: "two" }]);
  });
});

dbTest("a transaction rolls back everything when its function throws", async (db) => {
  await withTable(db, async (table) => {
    const failure = new Error("boom");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (1, 'lost')`);
        const [row] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        assert.equal(row!.n, 1, "the transaction sees its own write");
        throw failure;
      }),
      (error: unknown) => error === failure,
    );
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (2, 'also lost')`);
        await tx.query(`INSERT INTO ${table} VALUES (2, 'duplicate')`);
      }),
      (error: unknown) => (error as { code?: string }).code === "23505",
    );
    assert.deepEqual(await db.query(`SELECT id FROM ${table}`), []);
  });
});

dbTest("listen delivers NOTIFY payloads until unsubscribed", async (db) => {
  const channel = uniqueName("chan");
  const received: string[] = [];
  const unlisten = await db.listen(channel, (payload) => received.push(payload));
  await db.query("SELECT pg_notify($1::text, $2::text)", [channel, "first"]);
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_notify($1::text, $2::text)", [channel, "on commit"]);
  });
  await until(() => received.length === 2, "two notifications");
  assert.deepEqual(received, ["first", "on commit"]);

  await unlisten();
  await unlisten(); // idempotent
  await db.query("SELECT pg_notify($1::text, 'after')", [channel]);
  await db.query("SELECT 1"); // one more round trip for a stray delivery to arrive
  assert.deepEqual(received, ["first", "on commit"]);
});

dbTest("listen rejects channel names that are not plain identifiers", async (db) => {
  for (const bad of ["", "Upper", "a-b", "x; DROP TABLE y", "a".repeat(64)]) {
    await assert.rejects(db.listen(bad, () => {}), InvalidNameError);
  }
});

dbTest("close is idempotent and later calls fail with E_DATABASE_CLOSED", async (db) => {
  await db.close();
  await db.close();
  await db[Symbol.asyncDispose]();
  const closed = (error: unknown) => (error as { code?: string }).code === "E_DATABASE_CLOSED";
  await assert.rejects(db.query("SELECT 1"), closed);
  await assert.rejects(db.transaction(() => Promise.resolve()), closed);
  await assert.rejects(db.listen("chan", () => {}), closed);
});
