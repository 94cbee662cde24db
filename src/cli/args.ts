/**
 * A small command-line parser: positionals, `--flag value`, `--flag=value` and boolean flags,
 * checked against the flags a command declares so a typo is an error, not a silent default.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what is wrong with the command line
   */
  constructor(message: string) {
    super("E_USAGE", message);
  }
}

/** Parsed arguments. */
export interface ParsedArgs {
  /** Positional arguments in order. */
  positionals: string[];
  /** Flags with values. */
  values: Record<string, string>;
  /** Boolean flags that were given. */
  switches: Set<string>;
}

/**
 * Parses `args` given the flags that take a value and the boolean ones.
 *
 * @throws {UsageError} for an unknown flag or a missing value
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const parsed = parseArgs(["run", "ns/name", "--context", "{}", "--json"], ["context"], ["json"]);
 * parsed.values.context; // "{}"
 * ```
 */
export function parseArgs(
  args: readonly string[],
  valueFlags: readonly string[],
  booleanFlags: readonly string[],
): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], values: {}, switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--") || arg === "--") {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (booleanFlags.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      parsed.switches.add(name);
    } else if (valueFlags.includes(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      parsed.values[name] = value;
    } else {
      const known = [...valueFlags, ...booleanFlags].map((f) => `--${f}`).join(", ");
      throw new UsageError(`unknown option --${name}${known ? ` (known: ${known})` : ""}`);
    }
  }
  return parsed;
}

/** Bounds of {@link intFlag}. */
export interface IntBounds {
  /** The smallest value accepted. Default 0. */
  min?: number;
  /** The largest value accepted. Default: none. */
  max?: number;
  /** The unit, named in the error (`ms`, `s`). */
  unit?: string;
}

/**
 * A flag's value as a whole number within `bounds`.
 *
 * @throws {UsageError} when it is not one, or out of bounds
 *
 * @example
 * ```ts
 * import { intFlag } from "./args.ts";
 * intFlag({ positionals: [], values: { port: "8787" }, switches: new Set() }, "port", 1); // 8787
 * ```
 */
export function intFlag(
  parsed: ParsedArgs,
  name: string,
  fallback: number,
  bounds: IntBounds = {},
): number {
  const raw = parsed.values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const unit = bounds.unit ? ` (${bounds.unit})` : "";
  if (raw.trim() === "" || !Number.isInteger(value) || value < 0) {
    throw new UsageError(`--${name} must be a whole number${unit}, got ${JSON.stringify(raw)}`);
  }
  const min = bounds.min ?? 0;
  if (value < min) throw new UsageError(`--${name} must be at least ${min}${unit}, got ${value}`);
  if (bounds.max !== undefined && value > bounds.max) {
    throw new UsageError(`--${name} must be at most ${bounds.max}${unit}, got ${value}`);
  }
  return value;
}

/**
 * The positional arguments, refusing any beyond `names` (one name per accepted argument).
 *
 * @throws {UsageError} naming the first unexpected argument
 *
 * @example
 * ```ts
 * import { parseArgs, positionals } from "./args.ts";
 * const [ref] = positionals(parseArgs(["a/b"], [], []), ["template"]);
 * ```
 */
export function positionals(parsed: ParsedArgs, names: readonly string[]): (string | undefined)[] {
  if (parsed.positionals.length > names.length) {
    const extra = parsed.positionals[names.length]!;
    const expected = names.length === 0 ? "no arguments" : names.map((n) => `<${n}>`).join(" ");
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (expected ${expected})`);
  }
  return names.map((_, i) => parsed.positionals[i]);
}
