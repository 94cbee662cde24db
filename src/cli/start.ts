/**
 * `deno task start`: the demo on the embedded database. Exits 0 when every example task reached
 * the state it is meant to reach.
 *
 * `deno task start --serve [--port 8787]` keeps the demo running behind the live inspector on
 * 127.0.0.1 (it prints the URL), submitting an example task every 2 s, until SIGINT or SIGTERM.
 * It needs `--allow-net=127.0.0.1` on top of the demo's permissions.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { errorMessage } from "../error_message.ts";
import { intFlag, parseArgs, UsageError } from "./args.ts";
import { runDemo, serveDemo } from "./demo.ts";

const templatesDir = fileURLToPath(new URL("../../templates", import.meta.url));

async function serve(port: number, anyPortIfTaken: boolean): Promise<void> {
  const stop = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    await serveDemo({ templatesDir, port, anyPortIfTaken, signal: stop.signal, live: false });
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

if (import.meta.main) {
  try {
    const args = parseArgs(Deno.args, ["port"], ["serve"]);
    const port = intFlag(args, "port", 8787, { max: 65535 });
    if (args.values.port !== undefined && !args.switches.has("serve")) {
      throw new UsageError("--port only applies with --serve");
    }
    if (args.positionals.length > 0) {
      throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
    }
    console.log("deno-tasker demo: the example workflows on embedded PGlite with PGMQ");
    if (args.switches.has("serve")) {
      await serve(port, args.values.port === undefined);
    } else {
      const report = await runDemo({ templatesDir, live: Deno.stdout.isTerminal() });
      const incomplete = report.tasks.filter((t) => t.status !== "complete");
      if (incomplete.length > 0) {
        console.error(`start: ${incomplete.length} example task(s) did not complete`);
        Deno.exit(1);
      }
    }
  } catch (error) {
    console.error(`start: ${errorMessage(error)}`);
    Deno.exit(error instanceof UsageError ? 2 : 1);
  }
}
