/**
 * A fixed-bucket latency histogram, for the durable workers and the engine's metrics.
 *
 * The histogram has a fixed number of logarithmic buckets (about 5% wide), so recording is O(1)
 * and memory never grows with the number of samples, however long a process runs. Percentiles
 * are reported as the upper edge of the bucket that holds them: at most ~5% above the truth and
 * never below it.
 *
 * @module
 */

const LOWEST_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
/** 0.01 ms × 1.05^400 ≈ 3,000 s: anything slower lands in the last bucket. */
const BUCKETS = 400;

/**
 * Counts durations (in milliseconds) in fixed logarithmic buckets and answers percentiles.
 *
 * @example
 * ```ts
 * import { LatencyHistogram } from "./latency.ts";
 * const histogram = new LatencyHistogram();
 * for (const ms of [1, 2, 3, 40]) histogram.record(ms);
 * histogram.percentile(50); // ≈ 2
 * histogram.percentile(99); // ≈ 40
 * ```
 */
export class LatencyHistogram {
  #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** How many durations were recorded. */
  get count(): number {
    return this.#count;
  }

  /** The mean of the recorded durations in milliseconds (0 when empty). */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** The largest recorded duration in milliseconds (0 when empty). */
  get max(): number {
    return this.#max;
  }

  /**
   * Records one duration.
   *
   * @param ms the duration in milliseconds; negative or non-finite values count as 0
   * @param times how many identical samples to record at once (a batch shares one commit)
   */
  record(ms: number, times = 1): void {
    const value = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#counts[bucketOf(value)]! += times;
    this.#count += times;
    this.#sum += value * times;
    if (value > this.#max) this.#max = value;
  }

  /**
   * The duration below which `p` percent of the samples fall, as the upper edge of its bucket
   * (capped at the largest sample). 0 when nothing was recorded.
   *
   * @param p a percentile between 0 and 100
   */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#count));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index]!;
      if (seen >= rank) {
        // The last bucket is open-ended: only the largest sample bounds it.
        return index === BUCKETS - 1 ? this.#max : Math.min(upperEdge(index), this.#max);
      }
    }
    return this.#max;
  }

  /** Forgets every sample. */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#max = 0;
  }
}

function bucketOf(ms: number): number {
  if (ms <= LOWEST_MS) return 0;
  const index = Math.ceil(Math.log(ms / LOWEST_MS) / LOG_GROWTH);
  return Math.min(BUCKETS - 1, index);
}

function upperEdge(index: number): number {
  return LOWEST_MS * Math.pow(GROWTH, index);
}
