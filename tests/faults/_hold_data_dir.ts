// A child process for the data-directory lock tests: opens embedded PGlite on the directory in
// argv[0], writes a task row, prints `ready <pid>`, and holds the database until killed or its
// stdin closes. When the directory is taken it prints `locked <code>: <message>` and exits 3.
import { DataDirLockedError } from "../../src/durable/db/data_dir_lock.ts";
import { openPglite } from "../../src/durable/db/pglite.ts";

const dataDir = Deno.args[0]!;
try {
  const db = await openPglite({ dataDir });
  await db.query("CREATE TABLE IF NOT EXISTS owners (pid integer, at timestamptz DEFAULT now())");
  await db.query("INSERT INTO owners (pid) VALUES ($1::integer)", [Deno.pid]);
  const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM owners");
  console.log(`ready ${Deno.pid} ${row!.n}`);
  // Hold until the parent closes our stdin (or kills us).
  for await (const _ of Deno.stdin.readable) { /* drain */ }
  await db.close();
} catch (error) {
  if (error instanceof DataDirLockedError) {
    console.log(`locked ${error.code}: ${error.message}`);
    Deno.exit(3);
  }
  throw error;
}
