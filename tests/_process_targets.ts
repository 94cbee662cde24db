// Tests of `tasker worker` processes, on both databases: a scenario gets the child's database
// environment and how the test's own Tasker opens the same database, and is registered as
// `<name> [pglite]` (an embedded data directory of its own, deleted afterwards) and, with
// DATABASE_URL set, `<name> [postgres]`.
import type { TaskerDatabaseOptions } from "../src/tasker_options.ts";
import { postgresUrl } from "./_db.ts";

/** Where a worker process and the test's own Tasker find the database. */
export interface ProcessTarget {
  /** The child's database environment. */
  env: Record<string, string>;
  /** How the test's own Tasker opens the same database. */
  database: TaskerDatabaseOptions;
}

/** Registers `scenario` against an embedded data directory and, when there is one, the server. */
export function processTest(name: string, scenario: (target: ProcessTarget) => Promise<void>) {
  Deno.test(`${name} [pglite]`, async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "tasker-process-data-" });
    try {
      await scenario({
        // An empty DATABASE_URL counts as unset, so the child stays embedded.
        env: { TASKER_DATA_DIR: dataDir, DATABASE_URL: "" },
        database: { dataDir, embedded: true },
      });
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
  const url = postgresUrl();
  Deno.test({
    name: `${name} [postgres]`,
    ignore: url === undefined,
    fn: () =>
      scenario({
        env: { DATABASE_URL: url!, TASKER_DATA_DIR: "" },
        database: { url: url!, poolSize: 2, writerPoolSize: 1 },
      }),
  });
}
