/**
 * Pinned third-party imports. Every dependency uses a full, versioned `npm:` specifier so that
 * `mod.ts` works when imported straight from a URL, with no import map. The database drivers
 * (`npm:@electric-sql/pglite`, `npm:postgres`) are imported lazily by their adapters instead, so
 * that the fast path never loads them.
 *
 * @module
 */

export { z } from "npm:zod@4.6.7";
export { LineCounter as YamlLineCounter, parseDocument as parseYamlDocument } from "npm:yaml@2.9.1";
export { Ajv } from "npm:ajv@8.20.0";
export type { ErrorObject as AjvErrorObject, ValidateFunction } from "npm:ajv@8.20.0";
