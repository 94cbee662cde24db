/**
 * Can PostgreSQL's `jsonb` store this value? Checked before a value goes into a transaction,
 * because one value `jsonb` rejects fails the whole statement — and with group commit, every
 * outcome of the group with it.
 *
 * The rules are `jsonb`'s, applied to the JSON text `JSON.stringify` makes of the value (which is
 * what the engine sends): the value must serialise at all (no BigInt, no cycle, not nested past
 * what the serialiser can walk), and no string, object key included, may hold U+0000 or a lone
 * UTF-16 surrogate — `jsonb` rejects the escapes `\u0000` and an unpaired `\ud800`-`\udfff`
 * ("unsupported Unicode escape sequence"), while every well-formed string is stored. Values that
 * `JSON.stringify` drops or turns into `null` (`undefined`, functions, `NaN`) are stored as it
 * writes them, as everywhere else in the engine.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";

/** The largest JSON text a `jsonb` value can be built from (PostgreSQL's 1 GB field limit, less). */
export const MAX_JSONB_TEXT_LENGTH = 255 * 1024 * 1024;

// `JSON.stringify` writes U+0000 and lone surrogates as these escapes (and well-formed pairs as
// the characters themselves); a match may also be an escaped backslash, which the walk clears.
const SUSPECT_ESCAPE = /\\u(0000|d[89a-f])/i;

/**
 * The deepest nesting stored. PostgreSQL's JSON parser recurses per level and stops at its
 * `max_stack_depth` (measured: 12,000 levels of arrays stored, 15,000 not, on PostgreSQL 15 with
 * the default 2 MB); below that bound on every server and on PGlite.
 */
export const MAX_JSONB_DEPTH = 5_000;

/** Why a value cannot be stored, and where in it. */
export interface StorageProblem {
  /** Where the offending value is, as `label.key[0].key` (the label alone for the root). */
  path: string;
  /** What it holds that `jsonb` cannot store, as a noun phrase ("a BigInt (5n), which JSON lacks"). */
  reason: string;
}

/**
 * The first reason `value` cannot be stored as `jsonb`, or `undefined` when it can.
 *
 * @param value what will be stored (through `JSON.stringify`)
 * @param label how to name the root in the path, e.g. `result`
 * @returns the problem, naming the path of the offending value
 *
 * @example
 * ```ts
 * import { jsonbProblem } from "./storable.ts";
 * jsonbProblem({ s: "ok\ud800" }, "result");
 * // { path: "result.s", reason: "a string with a lone UTF-16 surrogate (U+D800) at index 2" }
 * ```
 */
export function jsonbProblem(value: unknown, label: string): StorageProblem | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return unserialisable(value, label, error);
  }
  if (text === undefined) return undefined; // stored as SQL null by the callers
  return jsonbTextProblem(text, label);
}

/**
 * {@link jsonbProblem} for a value already serialised by `JSON.stringify` (so that a hot path
 * serialises it once): the first reason `text` cannot be stored as `jsonb`, or `undefined`.
 *
 * @param text the JSON text that will be stored
 * @param label how to name the root in the path
 *
 * @example
 * ```ts
 * import { jsonbTextProblem } from "./storable.ts";
 * jsonbTextProblem(JSON.stringify({ ok: true }), "event"); // undefined
 * ```
 */
export function jsonbTextProblem(text: string, label: string): StorageProblem | undefined {
  if (text.length > MAX_JSONB_TEXT_LENGTH) {
    return { path: label, reason: `${text.length} characters of JSON, over jsonb's limit` };
  }
  // Each level of nesting takes two characters, so only a long text can be too deep.
  if (text.length > 2 * MAX_JSONB_DEPTH && nestingDepth(text) > MAX_JSONB_DEPTH) {
    return { path: label, reason: `values nested over ${MAX_JSONB_DEPTH} levels deep` };
  }
  // Fast path: a text free of the two escapes jsonb rejects is storable as is.
  if (!SUSPECT_ESCAPE.test(text)) return undefined;
  return walk(JSON.parse(text), label);
}

/** Walks the serialised form (plain JSON, `toJSON` applied) for the offending string. */
function walk(root: unknown, label: string): StorageProblem | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: label }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      const reason = stringProblem(value);
      if (reason) return { path, reason: `a string with ${reason}` };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], path: `${path}[${i}]` });
      }
    } else if (value !== null && typeof value === "object") {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const keyReason = stringProblem(key);
        if (keyReason) return { path, reason: `a key with ${keyReason}` };
        stack.push({ value: child, path: `${path}.${key}` });
      }
    }
  }
  return undefined;
}

function stringProblem(text: string): string | undefined {
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return `a NUL character (U+0000) at index ${nul}`;
  if (text.isWellFormed()) return undefined;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    const hex = unit.toString(16).toUpperCase();
    return `a lone UTF-16 surrogate (U+${hex}) at index ${i}`;
  }
  return undefined;
}

/** `JSON.stringify` threw: find the BigInt, cycle or symbol-ish value it choked on. */
function unserialisable(root: unknown, label: string, error: unknown): StorageProblem {
  const seen = new Set<object>();
  const stack: { value: unknown; path: string; exit?: boolean }[] = [{ value: root, path: label }];
  const onPath = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value, path } = frame;
    if (frame.exit) {
      onPath.delete(value as object);
      continue;
    }
    if (typeof value === "bigint") {
      return { path, reason: `a BigInt (${value}n), which JSON lacks` };
    }
    if (value === null || typeof value !== "object") continue;
    if (onPath.has(value)) {
      return { path, reason: "a reference back to an enclosing value (a cycle)" };
    }
    if (seen.has(value)) continue;
    seen.add(value);
    const json = (value as { toJSON?: unknown }).toJSON;
    if (typeof json === "function") continue; // its own serialisation; blamed below if nothing else
    onPath.add(value);
    stack.push({ value, path, exit: true });
    const entries = Array.isArray(value)
      ? value.map((child, i) => [`[${i}]`, child] as const)
      : Object.entries(value).map(([key, child]) => [`.${key}`, child] as const);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [step, child] = entries[i]!;
      stack.push({ value: child, path: `${path}${step}` });
    }
  }
  const message = errorMessage(error);
  return { path: label, reason: `a value that is not serialisable as JSON (${message})` };
}

/** The deepest nesting of arrays and objects in a JSON text (brackets inside strings skipped). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
