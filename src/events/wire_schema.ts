/**
 * The JSON Schema of the domain-event wire format (`domain_event.schema.json`, next to this
 * module): what a tasker-core (Rust, serde) reader requires of a message on a
 * `{namespace}_domain_events` queue — required keys, nullable ones, UUID and timestamp forms
 * (timestamps inside the task and step rows carry no offset), integer ranges. Consumers in other
 * languages can validate against the same file.
 *
 * @module
 */

import schema from "./domain_event.schema.json" with { type: "json" };
import { type CompiledSchema, compileJsonSchema, type SchemaFailure } from "../json_schema.ts";

/** The wire format's JSON Schema (draft-07), as a plain object. */
export const DOMAIN_EVENT_JSON_SCHEMA: Readonly<Record<string, unknown>> = schema;

let compiled: CompiledSchema | undefined;

/**
 * Every way `value` fails the wire format's JSON Schema; empty when a tasker-core reader would
 * accept it.
 *
 * @param value a decoded message body
 * @returns the failures, each with its JSON pointer
 *
 * @example
 * ```ts
 * import { wireSchemaFailures } from "@deno-tasker/tasker/events";
 * console.log(wireSchemaFailures({}).length > 0); // true
 * ```
 */
export function wireSchemaFailures(value: unknown): SchemaFailure[] {
  compiled ??= compileJsonSchema(structuredClone(schema), "domain_event.schema.json");
  return compiled.validate(value);
}
