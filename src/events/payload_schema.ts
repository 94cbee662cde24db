/**
 * Checks an event's business payload against the JSON Schema its declaration carries. The schema
 * was compiled when the template loaded, so a check here is one call of ajv's generated code.
 *
 * @module
 */

import { type SchemaFailure, SchemaValidationError } from "../json_schema.ts";
import type { EventDeclaration } from "./declaration.ts";

/** The part of an {@link EventDeclaration} a payload check needs: its name and schema. */
export type PayloadDeclaration = Pick<EventDeclaration, "name" | "schema">;

/**
 * Every way `payload` fails the declaration's schema; empty when it passes or when the
 * declaration has no schema.
 *
 * @param declaration the event declaration (its `name` and compiled `schema`)
 * @param payload the business payload, as a publisher's `transformPayload` returned it
 * @returns the failures, each with its JSON pointer (e.g. `/amount`)
 *
 * @example
 * ```ts
 * import { compileJsonSchema } from "../json_schema.ts";
 * import { checkEventPayload } from "./payload_schema.ts";
 * const schema = compileJsonSchema({ type: "object", required: ["amount"] }, "payment.processed");
 * checkEventPayload({ name: "payment.processed", schema }, {});
 * // [{ pointer: "/amount", message: "must have required property 'amount'", keyword: "required" }]
 * ```
 */
export function checkEventPayload(
  declaration: PayloadDeclaration,
  payload: unknown,
): SchemaFailure[] {
  return declaration.schema === undefined ? [] : declaration.schema.validate(payload);
}

/**
 * Throws unless `payload` passes the declaration's schema; does nothing when the declaration has
 * no schema.
 *
 * @param declaration the event declaration (its `name` and compiled `schema`)
 * @param payload the business payload
 * @throws {SchemaValidationError} with subject `payload of <event name>`, listing each failure's
 *   JSON pointer
 *
 * @example
 * ```ts
 * import { compileJsonSchema } from "../json_schema.ts";
 * import { validateEventPayload } from "./payload_schema.ts";
 * const schema = compileJsonSchema(
 *   { type: "object", properties: { amount: { type: "number" } } },
 *   "payment.processed",
 * );
 * validateEventPayload({ name: "payment.processed", schema }, { amount: 10 });
 * ```
 */
export function validateEventPayload(declaration: PayloadDeclaration, payload: unknown): void {
  const failures = checkEventPayload(declaration, payload);
  if (failures.length > 0) {
    throw new SchemaValidationError(`payload of ${declaration.name}`, failures);
  }
}
