/**
 * Permission-aware access to environment variables.
 *
 * The library runs inside `deno test` suites with `permissions: "none"`, so nothing may read the
 * environment at import time, and a denied read must fall back to the default instead of
 * crashing. Each denied variable is reported once on stderr so the fallback is never silent.
 *
 * @module
 */

const warned = new Set<string>();

/**
 * Reads an environment variable without ever throwing.
 *
 * Returns `undefined` when the variable is unset or when the `env` permission for it is not
 * granted (then a one-time notice names the variable and the flag that would grant it).
 *
 * @param name the variable's name, e.g. `DATABASE_URL`
 * @returns its value, or `undefined`
 *
 * @example
 * ```ts
 * import { readEnv } from "./env.ts";
 * const url = readEnv("DATABASE_URL") ?? "embedded";
 * ```
 */
export function readEnv(name: string): string | undefined {
  let state: Deno.PermissionState;
  try {
    state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  } catch {
    return undefined;
  }
  if (state !== "granted") {
    if (!warned.has(name)) {
      warned.add(name);
      console.error(
        `deno-tasker: no permission to read env ${name}; using the default (grant --allow-env=${name})`,
      );
    }
    return undefined;
  }
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
}
