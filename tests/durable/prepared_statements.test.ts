import assert from "node:assert/strict";
import { postgresUrl } from "../_db.ts";
import { openPostgres } from "../../src/durable/db/postgres.ts";
import { Tasker } from "../../src/tasker.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";

// One connection, so the statements a query prepares are visible to the next query.
const PREPARED = "SELECT statement FROM pg_prepared_statements WHERE statement = ANY($1::text[])";
const FIRST = "SELECT $1::int + 1 AS n";
const SECOND = "SELECT $1::int + 2 AS n";

async function preparedAmong(url: string, limit: number | undefined): Promise<string[]> {
  await using db = await openPostgres({
    url,
    poolSize: 1,
    ...(limit === undefined ? {} : { preparedStatements: limit }),
  });
  // Run each twice: a statement is prepared on its first run and reused on the second.
  for (const sql of [FIRST, SECOND, FIRST, SECOND]) {
    assert.equal((await db.query<{ n: number }>(sql, [1]))[0]!.n > 1, true);
  }
  const rows = await db.query<{ statement: string }>(PREPARED, [[FIRST, SECOND]]);
  return rows.map((row) => row.statement).sort();
}

Deno.test("the server adapter prepares the statements it runs, up to preparedStatements", {
  ignore: postgresUrl() === undefined,
}, async (t) => {
  const url = postgresUrl()!;
  await t.step("by default every statement is prepared once per connection", async () => {
    assert.deepEqual(await preparedAmong(url, undefined), [FIRST, SECOND]);
  });
  await t.step("texts beyond the limit run unprepared", async () => {
    // Admitted in order: the connection check `SELECT 1`, then FIRST; SECOND is over the limit.
    assert.deepEqual(await preparedAmong(url, 2), [FIRST]);
  });
  await t.step("0 prepares nothing (PgBouncer in transaction mode)", async () => {
    assert.deepEqual(await preparedAmong(url, 0), []);
  });
  await t.step("inside a transaction too", async () => {
    await using db = await openPostgres({ url, poolSize: 1 });
    await db.transaction(async (tx) => {
      await tx.query(FIRST, [1]);
    });
    const rows = await db.query<{ statement: string }>(PREPARED, [[FIRST]]);
    assert.deepEqual(rows.map((row) => row.statement), [FIRST]);
  });
});

Deno.test("planCacheMode sets the sessions' plan_cache_mode; a Tasker's own pools plan once", {
  ignore: postgresUrl() === undefined,
}, async () => {
  const url = postgresUrl()!;
  const mode = async (db: { query<T>(sql: string): Promise<T[]> }) =>
    (await db.query<{ plan_cache_mode: string }>("SHOW plan_cache_mode"))[0]!.plan_cache_mode;
  {
    await using db = await openPostgres({ url, poolSize: 1, planCacheMode: "force_custom_plan" });
    assert.equal(await mode(db), "force_custom_plan");
  }
  {
    await using db = await openPostgres({ url, poolSize: 1 });
    assert.equal(await mode(db), "auto");
  }
  await using tasker = await Tasker.open({
    templates: new TemplateRegistry(),
    database: { url, poolSize: 1 },
    startWorker: false,
    recovery: false,
  });
  assert.equal(await mode(tasker.db), "force_generic_plan");
});

Deno.test("a preparedStatements that is not a non-negative integer is refused, naming it", async () => {
  // Checked before any connection is made, so no server is needed.
  for (const bad of [-1, 1.5, Number.NaN]) {
    await assert.rejects(
      openPostgres({ url: "postgres://nobody@127.0.0.1:1/x", preparedStatements: bad }),
      (error: unknown) =>
        error instanceof RangeError && /preparedStatements must be a non-negative integer/
          .test(error.message),
    );
  }
});
