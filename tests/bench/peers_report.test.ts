import assert from "node:assert/strict";
import { parsePeersArgs } from "../../scripts/bench/peers.ts";
import {
  formatPeers,
  median,
  type PeerResults,
  percentile,
} from "../../scripts/bench/peers/report.ts";
import { pgbossShape } from "../../scripts/bench/peers/contenders.ts";

function results(overrides: Partial<PeerResults> = {}): PeerResults {
  return {
    tasks: 500,
    rounds: 3,
    server: "PostgreSQL 15",
    loadBefore: "1.00 1.00 1.00",
    loadAfter: "1.00 1.00 1.00",
    throughput: {
      c10: { tasker: [1300, 1200, 1250], pgboss: [1000, 1000, 1000], graphile: [900, 950, 800] },
      c100: { tasker: [900, 1000, 1100], pgboss: [1000, 1000, 1000], graphile: [700, 700, 700] },
      c100_events: { tasker: [1300], pgboss: [1000], graphile: [500] },
    },
    latency: { tasker: [10, 12, 30], pgboss: [20, 20, 20], graphile: [20, 25, 40] },
    idle: { tasker: { 1: 20, 50: 20 }, pgboss: { 1: 3, 50: 11 }, graphile: { 1: 2, 50: 2 } },
    eventBytes: { tasker: 3500, pgboss: 96, graphile: 96 },
    ...overrides,
  };
}

Deno.test("median and percentile take the middle and the nearest rank", () => {
  assert.deepEqual(median([3, 1, 2]), 2);
  assert.deepEqual(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.deepEqual(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 95), 19);
  assert.deepEqual(percentile([7], 95), 7);
});

Deno.test("formatPeers judges every target on the medians of the same run", () => {
  const report = formatPeers(results());
  // c=10: median 1250 / 1000 = 1.25 ≥ 1.2; c=100: 1000 / 1000 = 1.00 < 1.2.
  assert.ok(report.includes("PASS throughput c=10, deno-tasker / pg-boss: 1.25×"));
  assert.ok(report.includes("FAIL throughput c=100, deno-tasker / pg-boss: 1.00×"));
  assert.ok(report.includes("PASS throughput with one durable event per step"));
  // p50 12 ms against 25 ms: 0.48 ≤ 0.8.
  assert.ok(report.includes("PASS one-workflow latency from another process, p50"));
  assert.ok(report.includes("| 1,250 | 1,000 | 1,300 | 12 / 30 ms | 20.0 / 20.0 |"));
  assert.ok(report.includes("batchSize: 100, localConcurrency: 1"));
});

Deno.test("formatPeers says what was not measured instead of passing it", () => {
  const report = formatPeers(results({ latency: {} }));
  assert.ok(report.includes("n/a one-workflow latency"));
  assert.ok(!report.includes("PASS one-workflow"));
});

Deno.test("parsePeersArgs: --quick shrinks the run; bad values are refused by name", () => {
  assert.deepEqual(parsePeersArgs(["--quick"]), {
    tasks: 100,
    rounds: 1,
    samples: 5,
    idleSeconds: 3,
    only: undefined,
  });
  assert.deepEqual(parsePeersArgs(["--tasks", "50", "--only", "tasker,pgboss"]).only, [
    "tasker",
    "pgboss",
  ]);
  assert.throws(() => parsePeersArgs(["--tasks", "zero"]), {
    message: '--tasks must be a positive integer, got "zero"',
  });
  assert.throws(() => parsePeersArgs(["--only", "dbos"]), /--only: unknown contender\(s\) dbos/);
});

Deno.test("pg-boss keeps at most c jobs in flight", () => {
  for (const c of [10, 100]) {
    const { localConcurrency, batchSize } = pgbossShape(c);
    assert.equal(localConcurrency * batchSize, c);
  }
});
