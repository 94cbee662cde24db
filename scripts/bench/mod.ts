/**
 * `deno task bench`: every benchmark in one run — the fast path, the durable writer and
 * consumer, and step throughput — each printing its figures next to baselines measured in the
 * same run. The durable and steps benchmarks use the server named by `DATABASE_URL` when set
 * (start one with `scripts/pg-up.sh`), else embedded PGlite. The comparison with pg-boss and
 * graphile-worker (`peers.ts`) needs the server; `deno task bench peers [--quick]` runs only it.
 * So does the scale-out check (`scale_out.ts`: 1, 2 and 4 worker processes on one database, with
 * its double-run and lost-event checks); `deno task bench scale [--quick]` runs only it.
 * `deno task bench fast` runs only the fast path (its isolate-boundary rows included), `deno task
 * bench isolated` only the isolate-boundary rows.
 *
 * @module
 */

import { run as runFastPath } from "./fast_path.ts";
import { evaluateIsolatedTargets, formatIsolatedTable, runIsolated } from "./fast_path_isolated.ts";
import { formatDurableBench, run as runDurable } from "./durable.ts";
import { run as runSteps } from "./steps.ts";
import { parsePeersArgs, run as runPeers } from "./peers.ts";
import { parseScaleArgs, run as runScale } from "./scale_out.ts";

if (Deno.args[0] === "fast") {
  console.log("## Fast path (scripts/bench/fast_path.ts)\n");
  await runFastPath();
} else if (Deno.args[0] === "isolated") {
  // The isolate-boundary rows alone (the fast path's last table), at a steady 50k events/s.
  console.log("## Isolate boundary (scripts/bench/fast_path_isolated.ts)\n");
  const rows = await runIsolated({ rate: 50_000 });
  console.log(formatIsolatedTable(rows, 50_000));
  for (const target of evaluateIsolatedTargets(rows, 50_000)) {
    console.log(`${target.pass ? "PASS" : "FAIL"}  ${target.target}: ${target.measured}`);
  }
} else if (Deno.args[0] === "peers") {
  // `deno task bench peers [--quick]`: only deno-tasker against pg-boss and graphile-worker.
  console.log("## Against pg-boss and graphile-worker (scripts/bench/peers.ts)\n");
  await runPeers(parsePeersArgs(Deno.args.slice(1)));
} else if (Deno.args[0] === "scale") {
  // `deno task bench scale [--quick]`: only the scale-out check (exits 1 when a check fails).
  console.log("## Scale-out (scripts/bench/scale_out.ts)\n");
  await runScale(parseScaleArgs(Deno.args.slice(1)));
} else {
  console.log("## Fast path (scripts/bench/fast_path.ts)\n");
  await runFastPath();
  console.log("\n## Durable path (scripts/bench/durable.ts)\n");
  console.log(formatDurableBench(await runDurable()));
  console.log("\n## Task engine (scripts/bench/steps.ts)\n");
  await runSteps();
  console.log("\n## Against pg-boss and graphile-worker (scripts/bench/peers.ts)\n");
  await runPeers();
  console.log("\n## Scale-out (scripts/bench/scale_out.ts)\n");
  await runScale();
}
