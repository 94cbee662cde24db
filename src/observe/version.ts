/**
 * The library's version, read from `deno.json` so there is one place to bump it. The JSON import
 * is part of the module graph: it needs no permission, and it works when `mod.ts` is imported from
 * a URL (checked: Deno loads `deno.json` from the same host even when served as `text/plain`).
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };

/**
 * The deno-tasker version this code is (health reports, `/config` and `/metrics` show it).
 *
 * @example
 * ```ts
 * import { VERSION } from "@deno-tasker/tasker/observe";
 * console.log(`deno-tasker ${VERSION}`);
 * ```
 */
export const VERSION: string = denoJson.version;
