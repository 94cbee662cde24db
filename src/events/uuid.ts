/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Event ids are UUIDv7 so that
 * they sort by creation time, which keeps consumers' deduplication indexes append-only and makes
 * a queue dump readable in order.
 *
 * Ids from one process are strictly increasing, also within a millisecond: the 12-bit `rand_a`
 * field is a counter (RFC 9562 §6.2, method 1) seeded randomly with its top bit clear each
 * millisecond; when it overflows, the timestamp advances by 1 ms instead of wrapping.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Thrown when a string is not the UUID an operation needs; `value` holds it. */
export class InvalidUuidError extends TaskerError {
  /** The rejected value. */
  readonly value: string;
  /**
   * Creates the error for a rejected value.
   *
   * @param value the rejected string
   * @param expected what was expected, e.g. `a UUIDv7`
   */
  constructor(value: string, expected: string) {
    super("E_INVALID_UUID", `invalid UUID ${JSON.stringify(value)}: expected ${expected}`);
    this.value = value;
  }
}

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

// Random bytes are drawn in blocks: one getRandomValues call per 256 ids instead of one per id.
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomBlock(): number {
  if (poolOffset + 16 > POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += 16;
  return offset;
}

const COUNTER_MAX = 0xfff;
let lastMs = -Infinity;
let counter = 0;

/**
 * A new UUIDv7, greater than every id this process generated before it.
 *
 * @returns the id in canonical lowercase form, e.g. `01936f0e-5c3a-7b12-8f4e-2a9c1d3e4f50`
 *
 * @example
 * ```ts
 * import { uuidv7 } from "./uuid.ts";
 * const first = uuidv7();
 * const second = uuidv7();
 * console.log(first < second); // true
 * ```
 */
export function uuidv7(): string {
  const offset = randomBlock();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // Seed below 0x800 so at least 2048 ids fit in this millisecond before an overflow.
    counter = ((pool[offset]! << 8) | pool[offset + 1]!) & 0x7ff;
  } else {
    // The clock stood still or went back: keep counting on the last timestamp.
    counter++;
    if (counter > COUNTER_MAX) {
      lastMs++;
      counter = ((pool[offset]! << 8) | pool[offset + 1]!) & 0x7ff;
    }
  }
  const ms = lastMs;
  const high = Math.floor(ms / 0x100000000); // top 16 of the 48 timestamp bits
  const low = ms >>> 0; // bottom 32 bits
  const r = offset + 2; // 8 fresh random bytes for rand_b
  return HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[low >>> 24]! +
    HEX[(low >>> 16) & 0xff]! + "-" + HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + "-" +
    HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! + "-" +
    HEX[0x80 | (pool[r]! & 0x3f)]! + HEX[pool[r + 1]!]! + "-" +
    HEX[pool[r + 2]!]! + HEX[pool[r + 3]!]! + HEX[pool[r + 4]!]! + HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! + HEX[pool[r + 7]!]!;
}

/**
 * Whether `value` is a UUID in canonical 8-4-4-4-12 hex form (any version, either case).
 *
 * @param value anything
 * @returns true for a canonical UUID string
 *
 * @example
 * ```ts
 * import { isUuid, uuidv7 } from "./uuid.ts";
 * isUuid(uuidv7()); // true
 * isUuid(crypto.randomUUID()); // true
 * isUuid("not-a-uuid"); // false
 * ```
 */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}

/**
 * The Unix time in milliseconds stored in a UUIDv7.
 *
 * @param id a UUIDv7
 * @returns milliseconds since the epoch, as `Date.now()` counts them
 * @throws {InvalidUuidError} when `id` is not a canonical UUID with version 7
 *
 * @example
 * ```ts
 * import { uuidv7, uuidv7Timestamp } from "./uuid.ts";
 * const firedAt = new Date(uuidv7Timestamp(uuidv7()));
 * ```
 */
export function uuidv7Timestamp(id: string): number {
  if (!isUuid(id) || id[14] !== "7") throw new InvalidUuidError(id, "a UUIDv7");
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
