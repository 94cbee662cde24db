/**
 * `deno task start`: the demo on the embedded database. Exits 0 when every example task reached
 * the state it is meant to reach.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { runDemo } from "./demo.ts";

const templatesDir = fileURLToPath(new URL("../../templates", import.meta.url));

if (import.meta.main) {
  console.log("deno-tasker demo: the example workflows on embedded PGlite with PGMQ");
  try {
    const report = await runDemo({ templatesDir, live: Deno.stdout.isTerminal() });
    const incomplete = report.tasks.filter((t) => t.status !== "complete");
    if (incomplete.length > 0) {
      console.error(`start: ${incomplete.length} example task(s) did not complete`);
      Deno.exit(1);
    }
  } catch (error) {
    console.error(`start: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
