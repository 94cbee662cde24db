/**
 * The driver's handle on one child process of the scale-out benchmark (`child.ts`): a
 * {@link BenchChild} reading its `@@scale ` messages.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { BenchChild } from "../bench_child.ts";
import { MESSAGE_PREFIX } from "./child.ts";

const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));

/**
 * A running child.
 *
 * @example
 * ```ts ignore
 * const submitter = new ScaleProcess("submit", { count: 10 }, url);
 * await submitter.finished(60_000);
 * ```
 */
export class ScaleProcess extends BenchChild {
  /**
   * Starts `child.ts <role> '<args>'` on the database at `url`.
   *
   * @param label how errors name it (default: the role)
   */
  constructor(role: string, args: Record<string, unknown>, url: string, label = role) {
    super({
      script: childPath,
      args: [role, JSON.stringify(args)],
      // The CPU sampler reads /proc/stat, which Deno allows only with --allow-all.
      permissions: role === "cpu"
        ? ["--allow-all"]
        : ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"],
      env: { SCALE_DATABASE_URL: url },
      prefix: MESSAGE_PREFIX,
      benchmark: "scale",
      label,
    });
  }
}
