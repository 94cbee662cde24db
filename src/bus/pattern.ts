/**
 * Event-name patterns for the in-process bus, with PGMQ's topic semantics.
 *
 * A pattern is dot-separated segments. `*` matches exactly one segment, `#` matches ONE OR MORE
 * segments (PGMQ compiles `#` to `.*` between escaped dots, so `a.#.c` does not match `a.c`), and
 * the bare pattern `*` (or `#`) matches every event. Any other segment is literal and must be a
 * valid name segment (`[a-z0-9_]+`). Patterns are matched segment by segment; no regular
 * expression is ever built from user text.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";

/** Thrown when a subscription pattern is malformed; names the pattern and the reason. */
export class InvalidPatternError extends TaskerError {
  /** The rejected pattern. */
  readonly pattern: string;
  /** Why it was rejected, in words. */
  readonly reason: string;

  /**
   * Creates the error for a rejected pattern.
   *
   * @param pattern the rejected pattern
   * @param reason why it was rejected
   *
   * @example
   * ```ts
   * import { InvalidPatternError } from "@deno-tasker/tasker";
   * const error = new InvalidPatternError("pay*", "wildcard mixed into a segment");
   * console.log(error.code); // "E_INVALID_PATTERN"
   * ```
   */
  constructor(pattern: string, reason: string) {
    super("E_INVALID_PATTERN", `invalid event pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.pattern = pattern;
    this.reason = reason;
  }
}

/** A validated pattern, ready to test event names against. */
export interface CompiledPattern {
  /** The pattern as written. */
  readonly source: string;
  /** Its segments (`*`, `#` or literals). */
  readonly segments: readonly string[];
  /** True for a bare `*` or `#`: every event matches. */
  readonly matchesAll: boolean;
  /** Whether `eventName` matches this pattern. */
  test(eventName: string): boolean;
}

const LITERAL_SEGMENT = /^[a-z0-9_]+$/;
const FORBIDDEN_CHAR = /[^a-z0-9_*#]/;

function validate(pattern: string): string[] {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new InvalidPatternError(String(pattern), "the pattern is empty");
  }
  const segments = pattern.split(".");
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    const where = `segment ${index + 1}`;
    if (segment.length === 0) {
      throw new InvalidPatternError(pattern, `${where} is empty (leading, trailing or double dot)`);
    }
    if (segment === "*" || segment === "#" || LITERAL_SEGMENT.test(segment)) continue;
    if (segment === "**") {
      throw new InvalidPatternError(pattern, `${where} is "**"; use "#" for one or more segments`);
    }
    if (segment === "##") {
      throw new InvalidPatternError(
        pattern,
        `${where} is "##"; a single "#" already matches one or more segments`,
      );
    }
    const bad = FORBIDDEN_CHAR.exec(segment);
    if (bad) {
      throw new InvalidPatternError(
        pattern,
        `${where} ${JSON.stringify(segment)} contains ${JSON.stringify(bad[0])}; ` +
          "segments use [a-z0-9_] or are a whole * or #",
      );
    }
    throw new InvalidPatternError(
      pattern,
      `${where} ${JSON.stringify(segment)} mixes a wildcard into a segment; ` +
        "* and # must stand alone between dots",
    );
  }
  return segments;
}

/** Matches segments with `*` and literals only: same length, segment by segment. */
function matchFixed(segments: readonly string[], names: readonly string[]): boolean {
  if (segments.length !== names.length) return false;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (segment !== "*" && segment !== names[index]) return false;
  }
  return true;
}

/**
 * Matches segments containing `#` (one or more names) by dynamic programming over positions:
 * `reach[j]` says the first `j` names are consumed by the pattern prefix seen so far.
 */
function matchWithHash(segments: readonly string[], names: readonly string[]): boolean {
  const n = names.length;
  let reach = new Uint8Array(n + 1);
  reach[0] = 1;
  for (const segment of segments) {
    const next = new Uint8Array(n + 1);
    let any = false;
    if (segment === "#") {
      // From any reachable j, consume one or more names: every position after the first
      // reachable one becomes reachable.
      let seen = false;
      for (let j = 0; j < n; j++) {
        if (reach[j]) seen = true;
        if (seen) {
          next[j + 1] = 1;
          any = true;
        }
      }
    } else {
      for (let j = 0; j < n; j++) {
        if (reach[j] && (segment === "*" || segment === names[j])) {
          next[j + 1] = 1;
          any = true;
        }
      }
    }
    if (!any) return false;
    reach = next;
  }
  return reach[n] === 1;
}

/**
 * Validates and compiles a pattern. Throws {@link InvalidPatternError} naming the pattern and
 * the reason when it is malformed.
 *
 * @example
 * ```ts
 * import { compilePattern } from "./pattern.ts";
 * const compiled = compilePattern("payment.#");
 * compiled.test("payment.card.failed"); // true
 * compiled.test("order.created"); // false
 * ```
 */
export function compilePattern(pattern: string): CompiledPattern {
  const segments = Object.freeze(validate(pattern));
  const matchesAll = pattern === "*" || pattern === "#";
  const hasHash = segments.includes("#");
  const hasWildcard = hasHash || segments.includes("*");
  let test: (eventName: string) => boolean;
  if (matchesAll) test = () => true;
  else if (!hasWildcard) test = (eventName) => eventName === pattern;
  else if (!hasHash) test = (eventName) => matchFixed(segments, eventName.split("."));
  else test = (eventName) => matchWithHash(segments, eventName.split("."));
  return { source: pattern, segments, matchesAll, test };
}

const CACHE_LIMIT = 1024;
const cache = new Map<string, CompiledPattern>();

/**
 * Whether `eventName` matches `pattern`, using a small cache of compiled patterns. Throws
 * {@link InvalidPatternError} for a malformed pattern.
 *
 * @example
 * ```ts
 * import { matchPattern } from "./pattern.ts";
 * matchPattern("#.failed", "payment.card.failed"); // true
 * matchPattern("a.#.c", "a.c"); // false: # is one or more segments
 * ```
 */
export function matchPattern(pattern: string, eventName: string): boolean {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = compilePattern(pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled.test(eventName);
}

/**
 * The pattern to hand to PGMQ's topic routing: validated, with the bare `*` ("every event" in
 * this library) translated to `#`, which means the same to PGMQ.
 *
 * @example
 * ```ts
 * import { toPgmqPattern } from "./pattern.ts";
 * toPgmqPattern("*"); // "#"
 * toPgmqPattern("payment.*"); // "payment.*"
 * ```
 */
export function toPgmqPattern(pattern: string): string {
  validate(pattern);
  return pattern === "*" ? "#" : pattern;
}
