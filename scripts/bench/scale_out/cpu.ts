/**
 * How busy the machine's CPUs were over a window, from Linux's `/proc/stat`: with 2 cores a
 * second worker process can only help while the first leaves CPU idle, so the scale-out report
 * shows this next to the throughput. Includes everything that ran, PostgreSQL and other work.
 *
 * @module
 */

/** Cumulative CPU ticks: busy and total, over all cores. */
export interface CpuTicks {
  busy: number;
  total: number;
}

/**
 * Reads the aggregate `cpu` line of `/proc/stat`; `undefined` where there is none (not Linux).
 *
 * @example
 * ```ts ignore
 * const before = await readCpuTicks();
 * // ... work ...
 * console.log(busyShare(before, await readCpuTicks())); // e.g. 0.93
 * ```
 */
export async function readCpuTicks(): Promise<CpuTicks | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile("/proc/stat");
  } catch {
    return undefined;
  }
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal ...; idle and iowait are not busy.
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** The busy share (0..1) of all cores between two readings; `undefined` without both. */
export function busyShare(before?: CpuTicks, after?: CpuTicks): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
