/**
 * The driver's handle on one child process of the peers benchmark (`child.ts`): a
 * {@link BenchChild} reading its `@@peers ` messages; a worker stops when `stop` is written to
 * its stdin.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { BenchChild } from "../bench_child.ts";
import { MESSAGE_PREFIX } from "./child.ts";
import type { ContenderKey } from "./contenders.ts";

const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));

/**
 * A running child.
 *
 * @example
 * ```ts ignore
 * const worker = new PeerProcess("tasker", "worker", { concurrency: 10 }, url);
 * await worker.waitFor("ready", 60_000);
 * ```
 */
export class PeerProcess extends BenchChild {
  /** Starts `child.ts <contender> <role> '<args>'` on the database at `url`. */
  constructor(contender: ContenderKey, role: string, args: Record<string, unknown>, url: string) {
    super({
      script: childPath,
      args: [contender, role, JSON.stringify(args)],
      permissions: ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"],
      env: { PEERS_DATABASE_URL: url },
      prefix: MESSAGE_PREFIX,
      benchmark: "peers",
      label: `${contender} ${role}`,
      stopTimeoutMs: 30_000,
    });
  }
}
