import assert from "node:assert/strict";
import { backoffDelay } from "../../src/backoff.ts";
import { LatencyHistogram } from "../../src/durable/writer/latency.ts";

Deno.test("LatencyHistogram percentiles are at most 5% high and never low", () => {
  const histogram = new LatencyHistogram();
  const samples = Array.from({ length: 10_000 }, (_, index) => 0.5 + (index % 1000) * 0.05);
  for (const ms of samples) histogram.record(ms);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const p of [50, 90, 99]) {
    const truth = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
    const reported = histogram.percentile(p);
    assert.ok(reported >= truth, `p${p}: ${reported} < ${truth}`);
    assert.ok(reported <= truth * 1.05 + 1e-9, `p${p}: ${reported} > ${truth} × 1.05`);
  }
  assert.equal(histogram.count, 10_000);
  assert.equal(histogram.max, sorted.at(-1));
  assert.ok(Math.abs(histogram.mean - samples.reduce((a, b) => a + b) / samples.length) < 1e-9);
});

Deno.test("LatencyHistogram handles empty, zero, huge and batched samples", () => {
  const histogram = new LatencyHistogram();
  assert.equal(histogram.percentile(99), 0);
  histogram.record(0);
  histogram.record(-3);
  histogram.record(Number.NaN);
  assert.equal(histogram.percentile(50), 0);
  histogram.record(10_000_000, 97); // beyond the last bucket: capped at the largest sample
  assert.equal(histogram.count, 100);
  assert.equal(histogram.percentile(99), 10_000_000);
  histogram.reset();
  assert.equal(histogram.count, 0);
  assert.equal(histogram.percentile(50), 0);
});

Deno.test("backoffDelay is full jitter between the floor and a doubling, capped ceiling", () => {
  assert.equal(backoffDelay(1, 50, 5000, () => 0.999), 50);
  assert.equal(backoffDelay(3, 50, 5000, () => 0), 50);
  assert.equal(backoffDelay(3, 50, 5000, () => 1), 200);
  assert.equal(backoffDelay(4, 50, 5000, () => 0.5), 50 + 0.5 * 350);
  assert.equal(backoffDelay(30, 50, 5000, () => 1), 5000);
  assert.equal(backoffDelay(1_000, 50, 5000, () => 1), 5000);
  for (let attempt = 1; attempt < 20; attempt++) {
    const delay = backoffDelay(attempt, 50, 5000);
    assert.ok(delay >= 50 && delay <= 5000);
  }
});
