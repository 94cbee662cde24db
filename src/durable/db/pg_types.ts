/**
 * Type handling for the postgres.js adapter, chosen so that it returns exactly what PGlite
 * returns for the same query:
 *
 * - `int2/int4/oid/float4/float8` → `number`; `int8` → `number` when it is a safe integer, else
 *   `bigint` (PGlite's rule); `numeric` → `string`;
 * - `json/jsonb` → parsed; a *string* parameter for a json placeholder is sent as JSON text
 *   as-is (callers pass `JSON.stringify(value)`), any other value is JSON-encoded;
 * - `date/timestamp/timestamptz` → `Date`; `bytea` → a plain `Uint8Array`;
 * - arrays of all of these → arrays whose SQL `NULL` elements are `null` (postgres.js's own array
 *   parser hands the text `NULL` to element parsers, which breaks e.g. `jsonb[]`).
 *
 * @module
 */

/** One entry of postgres.js's `types` option. */
export interface PgTypeHandler {
  /** The OID used when serializing a value tagged with this type. */
  to: number;
  /** The OIDs this handler parses (and serializes when the server reports that type). */
  from: number[];
  /** Turns a JavaScript value into the text PostgreSQL expects. */
  serialize: (value: unknown) => string;
  /** Turns PostgreSQL's text output into a JavaScript value. */
  parse: (text: string) => unknown;
}

type Parse = (text: string) => unknown;
type Serialize = (value: unknown) => string;

const parseNumber: Parse = (text) => Number(text);
const parseInt8: Parse = (text) => {
  const value = BigInt(text);
  return value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)
    ? value
    : Number(value);
};
const parseBool: Parse = (text) => text === "t";
const parseJson: Parse = (text) => JSON.parse(text);
const parseDate: Parse = (text) => new Date(text);
const parseBytea: Parse = (text) => {
  const hex = text.slice(2);
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
};
const parseText: Parse = (text) => text;

const serializeText: Serialize = (value) =>
  value instanceof Date ? value.toISOString() : String(value);
// Booleans as t/f; anything else ("true", "yes", 1) as text for PostgreSQL's own bool input.
const serializeBool: Serialize = (value) =>
  typeof value === "boolean" ? (value ? "t" : "f") : String(value);
const serializeJson: Serialize = (value) =>
  typeof value === "string"
    ? value
    : JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v));
const serializeDate: Serialize = (value) => {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number") return new Date(value).toISOString();
  return String(value);
};
const serializeBytea: Serialize = (value) => {
  if (!(value instanceof Uint8Array)) return String(value);
  return "\\x" + Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
};

/**
 * Parses PostgreSQL's text form of an array (`{1,2,NULL}`, `{{"a b",c}}`, `[0:1]={x,y}`) into
 * nested JavaScript arrays, mapping unquoted `NULL` to `null` and every other element through
 * `parseElement`.
 *
 * @example
 * ```ts
 * import { parsePgArray } from "./pg_types.ts";
 * parsePgArray('{1,NULL,"3"}', Number); // [1, null, 3]
 * ```
 */
export function parsePgArray(text: string, parseElement: (text: string) => unknown): unknown[] {
  let i = text.startsWith("[") ? text.indexOf("=") + 1 : 0;
  const fail = (): never => {
    throw new SyntaxError(`malformed PostgreSQL array literal: ${text.slice(0, 80)}`);
  };
  const level = (): unknown[] => {
    if (text[i] !== "{") fail();
    i++;
    const out: unknown[] = [];
    if (text[i] === "}") {
      i++;
      return out;
    }
    while (i < text.length) {
      if (text[i] === "{") {
        out.push(level());
      } else if (text[i] === '"') {
        let value = "";
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === "\\") i++;
          value += text[i];
          i++;
        }
        i++;
        out.push(parseElement(value));
      } else {
        let end = i;
        while (end < text.length && text[end] !== "," && text[end] !== "}") end++;
        const raw = text.slice(i, end);
        i = end;
        out.push(raw === "NULL" ? null : parseElement(raw));
      }
      if (text[i] === ",") {
        i++;
      } else if (text[i] === "}") {
        i++;
        return out;
      } else {
        fail();
      }
    }
    return fail();
  };
  return level();
}

/**
 * Serializes a (nested) JavaScript array into PostgreSQL's array text form, `null`/`undefined`
 * elements becoming `NULL`. Non-array values (an already formatted literal) pass through.
 *
 * @example
 * ```ts
 * import { serializePgArray } from "./pg_types.ts";
 * serializePgArray([1, null, 3], String); // '{"1",NULL,"3"}'
 * ```
 */
export function serializePgArray(
  value: unknown,
  serializeElement: (value: unknown) => string,
): string {
  if (!Array.isArray(value)) return String(value);
  const items = value.map((item) => {
    if (item === null || item === undefined) return "NULL";
    if (Array.isArray(item)) return serializePgArray(item, serializeElement);
    return '"' + serializeElement(item).replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  });
  return "{" + items.join(",") + "}";
}

function scalar(to: number, from: number[], parse: Parse, serialize: Serialize): PgTypeHandler {
  return { to, from, parse, serialize };
}

function array(oid: number, parse: Parse, serialize: Serialize): PgTypeHandler {
  return {
    to: oid,
    from: [oid],
    parse: (text) => parsePgArray(text, parse),
    serialize: (value) => serializePgArray(value, serialize),
  };
}

/**
 * The `types` option handed to postgres.js: scalar handlers plus array handlers for the common
 * element types (postgres.js keeps a user's array handler instead of building its own).
 *
 * @example
 * ```ts
 * import { postgresTypes } from "./pg_types.ts";
 * const options = { types: postgresTypes() };
 * ```
 */
export function postgresTypes(): Record<string, PgTypeHandler> {
  return {
    number: scalar(0, [21, 23, 26, 700, 701], parseNumber, serializeText),
    int8: scalar(20, [20], parseInt8, serializeText),
    boolean: scalar(16, [16], parseBool, serializeBool),
    json: scalar(3802, [114, 3802], parseJson, serializeJson),
    date: scalar(1184, [1082, 1114, 1184], parseDate, serializeDate),
    bytea: scalar(17, [17], parseBytea, serializeBytea),
    bool_array: array(1000, parseBool, serializeBool),
    int2_array: array(1005, parseNumber, serializeText),
    int4_array: array(1007, parseNumber, serializeText),
    int8_array: array(1016, parseInt8, serializeText),
    oid_array: array(1028, parseNumber, serializeText),
    float4_array: array(1021, parseNumber, serializeText),
    float8_array: array(1022, parseNumber, serializeText),
    numeric_array: array(1231, parseText, serializeText),
    text_array: array(1009, parseText, serializeText),
    varchar_array: array(1015, parseText, serializeText),
    bpchar_array: array(1014, parseText, serializeText),
    uuid_array: array(2951, parseText, serializeText),
    json_array: array(199, parseJson, serializeJson),
    jsonb_array: array(3807, parseJson, serializeJson),
    date_array: array(1182, parseDate, serializeDate),
    timestamp_array: array(1115, parseDate, serializeDate),
    timestamptz_array: array(1185, parseDate, serializeDate),
    bytea_array: array(1001, parseBytea, serializeBytea),
  };
}
