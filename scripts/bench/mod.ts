/**
 * `deno task bench`: every benchmark in one run — the fast path, the durable writer and
 * consumer, and step throughput — each printing its figures next to baselines measured in the
 * same run. The durable and steps benchmarks use the server named by `DATABASE_URL` when set
 * (start one with `scripts/pg-up.sh`), else embedded PGlite.
 *
 * @module
 */

import { run as runFastPath } from "./fast_path.ts";
import { formatDurableBench, run as runDurable } from "./durable.ts";
import { run as runSteps } from "./steps.ts";

console.log("## Fast path (scripts/bench/fast_path.ts)\n");
await runFastPath();
console.log("\n## Durable path (scripts/bench/durable.ts)\n");
console.log(formatDurableBench(await runDurable()));
console.log("\n## Task engine (scripts/bench/steps.ts)\n");
await runSteps();
