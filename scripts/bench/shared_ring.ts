/**
 * A single-producer, single-consumer ring of byte records in a `SharedArrayBuffer`, for carrying
 * JSON text from one isolate to another without a `postMessage` per record: the producer writes
 * a record and advances the write index; the consumer reads every record available in one turn
 * and sleeps in `Atomics.waitAsync` only when the ring is empty, so it is woken (`Atomics.notify`)
 * only when it sleeps. Why it exists: a `postMessage` of a few KB costs the sender and, above all,
 * the receiving Worker tens of µs per message in Deno, and each wakes the Worker's event loop.
 *
 * Layout: a header of Int32 slots (write index, read index, consumer-asleep flag) and a data area;
 * a record is a 4-byte length, then the UTF-8 bytes, padded to 4 bytes; a length of `WRAP` says
 * "continue at offset 0". Indices count bytes modulo 2^30 (offsets are taken modulo the size,
 * which divides 2^30), so they never overflow an Int32.
 *
 * @module
 */

/** Int32 slots of the header. */
const WRITE = 0;
const READ = 1;
const ASLEEP = 2;
const HEADER_SLOTS = 4;
/** A record length meaning "the rest of the area is unused; continue at 0". */
const WRAP = -1;
/** Indices wrap at this (a multiple of every allowed size). */
const INDEX_MODULUS = 2 ** 30;

/** The two shared buffers of a ring, as they cross to the consumer. */
export interface SharedRingBuffers {
  /** The Int32 header. */
  header: SharedArrayBuffer;
  /** The data area. */
  data: SharedArrayBuffer;
}

/**
 * Allocates a ring.
 *
 * @param bytes size of the data area: a power of two from 2^12 to 2^30
 * @returns the buffers, to hand to a {@link RingWriter} here and a {@link RingReader} there
 * @throws {RangeError} when `bytes` is not an allowed size
 *
 * @example
 * ```ts
 * import { createSharedRing, RingWriter } from "./shared_ring.ts";
 * const writer = new RingWriter(createSharedRing(1 << 16));
 * console.log(writer.write("[1,2]")); // true
 * ```
 */
export function createSharedRing(bytes: number): SharedRingBuffers {
  if (!Number.isSafeInteger(bytes) || bytes < 4096 || bytes > INDEX_MODULUS) {
    throw new RangeError(`a shared ring needs 4096 to 2^30 bytes, got ${bytes}`);
  }
  if ((bytes & (bytes - 1)) !== 0) {
    throw new RangeError(`a shared ring's size must be a power of two, got ${bytes}`);
  }
  return {
    header: new SharedArrayBuffer(HEADER_SLOTS * 4),
    data: new SharedArrayBuffer(bytes),
  };
}

const padded = (length: number) => (4 + length + 3) & ~3;

/** The producer's end. */
export class RingWriter {
  readonly #header: Int32Array<SharedArrayBuffer>;
  readonly #lengths: DataView<SharedArrayBuffer>;
  readonly #bytes: Uint8Array<SharedArrayBuffer>;
  readonly #size: number;
  readonly #encoder = new TextEncoder();
  #write = 0;

  /**
   * Opens the producer's end of a ring.
   *
   * @param buffers from {@link createSharedRing}
   */
  constructor(buffers: SharedRingBuffers) {
    this.#header = new Int32Array(buffers.header);
    this.#lengths = new DataView(buffers.data);
    this.#bytes = new Uint8Array(buffers.data);
    this.#size = buffers.data.byteLength;
    this.#write = Atomics.load(this.#header, WRITE);
  }

  /** Bytes the consumer has not read yet. */
  get used(): number {
    return (this.#write - Atomics.load(this.#header, READ) + INDEX_MODULUS) % INDEX_MODULUS;
  }

  /** The largest text {@link write} can ever take (its UTF-8 bound must fit half the ring). */
  get maxChars(): number {
    return Math.floor((this.#size / 2 - 8) / 3);
  }

  /**
   * Appends `text` as one record and wakes the consumer if it sleeps.
   *
   * @param text the record (at most {@link maxChars} characters)
   * @returns false, writing nothing, when the ring has no room for it now
   * @throws {RangeError} when `text` is longer than {@link maxChars}
   */
  write(text: string): boolean {
    if (text.length > this.maxChars) {
      throw new RangeError(`a ring record holds at most ${this.maxChars} characters`);
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit; reserve that, then use what it took.
    const bound = padded(text.length * 3);
    let offset = this.#write % this.#size;
    const tail = this.#size - offset;
    const skip = tail < bound ? tail : 0;
    if (this.used + skip + bound > this.#size) return false;
    if (skip > 0) {
      this.#lengths.setInt32(offset, WRAP, true);
      offset = 0;
    }
    const { written } = this.#encoder.encodeInto(
      text,
      this.#bytes.subarray(offset + 4, offset + 4 + text.length * 3),
    );
    this.#lengths.setInt32(offset, written, true);
    this.#write = (this.#write + skip + padded(written)) % INDEX_MODULUS;
    // Publish the record, then look for a sleeping consumer: both sequentially consistent, so
    // either it sees the new index before sleeping or we see its flag (see RingReader.wait).
    Atomics.store(this.#header, WRITE, this.#write);
    if (Atomics.load(this.#header, ASLEEP) === 1) Atomics.notify(this.#header, WRITE);
    return true;
  }
}

/** The consumer's end. */
export class RingReader {
  readonly #header: Int32Array<SharedArrayBuffer>;
  readonly #lengths: DataView<SharedArrayBuffer>;
  readonly #bytes: Uint8Array<SharedArrayBuffer>;
  readonly #size: number;
  readonly #decoder = new TextDecoder();
  #read = 0;

  /**
   * Opens the consumer's end of a ring.
   *
   * @param buffers the buffers the producer allocated
   */
  constructor(buffers: SharedRingBuffers) {
    this.#header = new Int32Array(buffers.header);
    this.#lengths = new DataView(buffers.data);
    this.#bytes = new Uint8Array(buffers.data);
    this.#size = buffers.data.byteLength;
    this.#read = Atomics.load(this.#header, READ);
  }

  /**
   * Takes the oldest record, if any, and frees its room.
   *
   * @returns its text, or `undefined` when the ring is empty
   */
  read(): string | undefined {
    if (this.#read === Atomics.load(this.#header, WRITE)) return undefined;
    let offset = this.#read % this.#size;
    let length = this.#lengths.getInt32(offset, true);
    let skip = 0;
    if (length === WRAP) {
      skip = this.#size - offset;
      offset = 0;
      length = this.#lengths.getInt32(0, true);
    }
    const text = this.#decoder.decode(this.#bytes.slice(offset + 4, offset + 4 + length));
    this.#read = (this.#read + skip + padded(length)) % INDEX_MODULUS;
    Atomics.store(this.#header, READ, this.#read);
    return text;
  }

  /**
   * Resolves once a record may be available: at once if one is, else when the producer writes.
   * Only one wait at a time. The Worker must stay alive meanwhile (a message handler does that).
   */
  async wait(): Promise<void> {
    const header = this.#header;
    if (this.#read !== Atomics.load(header, WRITE)) return;
    Atomics.store(header, ASLEEP, 1);
    try {
      // Re-check after raising the flag: a write in between would not have notified.
      const result = Atomics.waitAsync(header, WRITE, this.#read);
      if (result.async) await result.value;
    } finally {
      Atomics.store(header, ASLEEP, 0);
    }
  }
}
