/**
 * The DurableWriter's one timer: armed for the earliest moment something must happen (a batch's
 * linger ends, a retry's backoff is over), never re-armed for a later one.
 *
 * @module
 */

/**
 * One timer for the earliest of the deadlines asked for.
 *
 * @example
 * ```ts
 * import { Alarm } from "./alarm.ts";
 * const alarm = new Alarm(() => console.log("ring"));
 * alarm.set(performance.now() + 50);
 * alarm.set(performance.now() + 500); // ignored: armed for earlier
 * alarm.cancel();
 * ```
 */
export class Alarm {
  readonly #ring: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = Infinity;

  /**
   * Creates the alarm, unarmed.
   *
   * @param ring called when the armed moment comes (the alarm is unarmed again by then)
   */
  constructor(ring: () => void) {
    this.#ring = ring;
  }

  /** Whether it is armed. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Arms it for `at` (a `performance.now()` time) unless it is armed for that moment or earlier.
   *
   * @param at when to ring
   */
  set(at: number): void {
    if (this.#timer !== undefined && this.#at <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#at = Infinity;
      this.#ring();
    }, Math.max(0, at - performance.now()));
  }

  /** Disarms it. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
