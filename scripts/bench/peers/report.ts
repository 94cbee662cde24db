/**
 * The peers benchmark's report: one markdown table, the settings of every contender, the raw
 * figures of each round, and PASS/FAIL per target as ratios measured in the same run.
 *
 * @module
 */

import { CONTENDER_INFO, type ContenderKey, CONTENDERS } from "./contenders.ts";

/** Everything one run measured. */
export interface PeerResults {
  /** Workflows per throughput run. */
  tasks: number;
  /** Interleaved rounds. */
  rounds: number;
  /** The server's version and durability settings. */
  server: string;
  /** 1, 5 and 15 minute load averages before and after. */
  loadBefore: string;
  loadAfter: string;
  /** Steps per second by configuration (`c10`, `c100`, `c100_events`), contender, round. */
  throughput: Record<string, Partial<Record<ContenderKey, number[]>>>;
  /** Latency samples, ms. */
  latency: Partial<Record<ContenderKey, number[]>>;
  /** Idle transactions per second by namespaces (queues) served. */
  idle: Partial<Record<ContenderKey, Record<number, number>>>;
  /** Mean bytes per PGMQ event message. */
  eventBytes: Partial<Record<ContenderKey, number>>;
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0..100) of a non-empty list. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

const whole = (n: number) => Math.round(n).toLocaleString("en-US");

function steps(results: PeerResults, config: string, key: ContenderKey): number | undefined {
  const values = results.throughput[config]?.[key];
  return values && values.length > 0 ? median(values) : undefined;
}

function latencyCell(results: PeerResults, key: ContenderKey): string {
  const values = results.latency[key];
  if (!values || values.length === 0) return "—";
  return `${whole(percentile(values, 50))} / ${whole(percentile(values, 95))} ms`;
}

function verdict(
  label: string,
  ratio: number | undefined,
  target: number,
  atLeast: boolean,
): string {
  if (ratio === undefined) return `- n/a ${label}: not measured`;
  const pass = atLeast ? ratio >= target : ratio <= target;
  return `- ${pass ? "PASS" : "FAIL"} ${label}: ${ratio.toFixed(2)}× (target ${
    atLeast ? "≥" : "≤"
  } ${target}×)`;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** The report as markdown. */
export function formatPeers(results: PeerResults): string {
  const lines: string[] = [];
  lines.push(
    `\n### Against pg-boss and graphile-worker: ${results.tasks} workflows of 4 steps, one worker process, median of ${results.rounds} interleaved round(s)\n`,
  );
  lines.push(
    `${results.server}; load average ${results.loadBefore} before, ${results.loadAfter} after.\n`,
  );
  lines.push(
    "| contender | steps/s c=10 | steps/s c=100 | steps/s c=100, one PGMQ event per step | one workflow from another process p50 / p95 | idle xact/s, 1 / 50 namespaces |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const key of CONTENDERS) {
    const cell = (config: string) => {
      const value = steps(results, config, key);
      return value === undefined ? "—" : whole(value);
    };
    const idle = results.idle[key];
    const idleCell = idle
      ? `${(idle[1] ?? NaN).toFixed(1)} / ${(idle[50] ?? NaN).toFixed(1)}`
      : "—";
    lines.push(
      `| ${CONTENDER_INFO[key].label} | ${cell("c10")} | ${cell("c100")} | ${
        cell("c100_events")
      } | ${latencyCell(results, key)} | ${idleCell} |`,
    );
  }
  lines.push("\nSettings (from each project's documentation, for throughput):\n");
  for (const key of CONTENDERS) {
    const info = CONTENDER_INFO[key];
    lines.push(`- ${info.label}: c=10: ${info.settings(10)}; c=100: ${info.settings(100)}.`);
  }
  const bytes = CONTENDERS.map((key) =>
    `${CONTENDER_INFO[key].label} ${results.eventBytes[key] ?? "—"}`
  );
  lines.push(`\nMean bytes per PGMQ event message: ${bytes.join(", ")}.`);
  lines.push("\nEach round (steps/s):\n");
  for (const [config, byKey] of Object.entries(results.throughput)) {
    const parts = CONTENDERS.map((key) => `${key} ${(byKey[key] ?? []).map(whole).join(", ")}`);
    lines.push(`- ${config}: ${parts.join("; ")}`);
  }
  lines.push("");
  for (const config of ["c10", "c100"]) {
    lines.push(
      verdict(
        `throughput ${config.replace("c", "c=")}, deno-tasker / pg-boss`,
        ratio(steps(results, config, "tasker"), steps(results, config, "pgboss")),
        1.2,
        true,
      ),
    );
  }
  lines.push(
    verdict(
      "throughput with one durable event per step, deno-tasker / pg-boss",
      ratio(steps(results, "c100_events", "tasker"), steps(results, "c100_events", "pgboss")),
      1.2,
      true,
    ),
  );
  const p50 = (key: ContenderKey) => {
    const values = results.latency[key];
    return values && values.length > 0 ? percentile(values, 50) : undefined;
  };
  lines.push(
    verdict(
      "one-workflow latency from another process, p50 deno-tasker / graphile-worker",
      ratio(p50("tasker"), p50("graphile")),
      0.8,
      false,
    ),
  );
  const idle = results.idle.tasker;
  if (idle) {
    lines.push(
      `- reported: an idle deno-tasker worker commits ${
        idle[1]?.toFixed(1)
      } transactions/s with 1 namespace, ${idle[50]?.toFixed(1)} with 50 (${
        ratio(idle[50], idle[1])?.toFixed(2)
      }×)`,
    );
  }
  return lines.join("\n");
}
