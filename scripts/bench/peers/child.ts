/**
 * One process of the peers benchmark, for one contender and one role. The driver
 * (`scripts/bench/peers.ts`) starts it as
 *
 *   deno run ... child.ts <tasker|pgboss|graphile> <setup|submit|worker|latency|loadavg> '<json>'
 *
 * and reads the lines it prints that start with `@@peers ` (JSON). A worker runs until it reads
 * `stop` (or end of input) on stdin. The `loadavg` role prints the machine's load averages. The
 * latency role is the "other process": it submits one
 * workflow at a time and polls the contender's completion query.
 *
 * @module
 */

import { openDatabase } from "../../../src/durable/mod.ts";
import { CONTENDER_INFO, type ContenderKey, CONTENDERS } from "./contenders.ts";
import type { PeerSide } from "./side.ts";

/** Prefix of the lines the driver reads. */
export const MESSAGE_PREFIX = "@@peers ";

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

function say(message: Record<string, unknown>): void {
  console.log(MESSAGE_PREFIX + JSON.stringify(message));
}

async function loadSide(key: ContenderKey): Promise<PeerSide> {
  switch (key) {
    case "tasker":
      return (await import("./tasker_side.ts")).taskerSide;
    case "pgboss":
      return (await import("./pgboss_side.ts")).pgbossSide;
    case "graphile":
      return (await import("./graphile_side.ts")).graphileSide;
  }
}

async function untilStop(): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of Deno.stdin.readable) {
    text += decoder.decode(chunk, { stream: true });
    if (text.split("\n").some((line) => line.trim() === "stop")) return;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const [key, role, json] = Deno.args;
  if (!CONTENDERS.includes(key as ContenderKey)) {
    throw new Error(
      `child.ts: unknown contender ${JSON.stringify(key)} (${CONTENDERS.join(", ")})`,
    );
  }
  const contender = key as ContenderKey;
  const args = JSON.parse(json ?? "{}") as Record<string, number | boolean>;
  const url = Deno.env.get("PEERS_DATABASE_URL");
  if (!url) throw new Error("child.ts: PEERS_DATABASE_URL is not set");
  if (role === "loadavg") {
    // The driver runs without --allow-sys; its children have it.
    say({ loadavg: Deno.loadavg().map((n) => n.toFixed(2)).join(" ") });
    return;
  }
  const side = await loadSide(contender);
  switch (role) {
    case "setup":
      await side.setup(url, Number(args.idleQueues ?? 1));
      say({ setup: true });
      return;
    case "submit":
      await side.submit(url, Number(args.count), Boolean(args.events));
      say({ submitted: Number(args.count) });
      return;
    case "worker": {
      let first = true;
      const worker = await side.startWorker(url, {
        concurrency: Number(args.concurrency),
        idleQueues: Number(args.idleQueues ?? 1),
        onHandler() {
          if (!first) return;
          first = false;
          say({ first: epochMs() });
        },
      });
      say({ ready: true });
      await untilStop();
      await worker.stop();
      say({ stopped: true });
      return;
    }
    case "latency": {
      const submitter = await side.openSubmitter(url);
      await using db = await openDatabase({ url, poolSize: 1, migrate: false });
      const pollMs = Number(args.pollMs);
      try {
        for (let i = 0; i < Number(args.samples); i++) {
          // A random pause, so samples fall at every phase of the worker's idle poll.
          await sleep(Number(args.pauseMs) * (0.5 + Math.random()));
          const started = epochMs();
          const id = await submitter.submitOne();
          for (;;) {
            const rows = await db.query<{ done: boolean }>(
              CONTENDER_INFO[contender].workflowDoneSql,
              [id],
            );
            if (rows[0]?.done) break;
            if (epochMs() - started > 30_000) throw new Error(`workflow ${id} not done in 30 s`);
            await sleep(pollMs);
          }
          say({ latency_ms: epochMs() - started });
        }
      } finally {
        await submitter.close();
      }
      return;
    }
    default:
      throw new Error(`child.ts: unknown role ${JSON.stringify(role)}`);
  }
}

if (import.meta.main) {
  await main();
  // npm clients may leave sockets or timers behind after closing; the work is done.
  Deno.exit(0);
}
