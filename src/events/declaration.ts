/**
 * An event a step declares it publishes (`publishes_events:` in a template): the shape the
 * template loader produces and the event side (contexts, payload checks, the wire format) reads.
 * It lives with the events so that they need nothing from the template layer above them.
 *
 * @module
 */

import type { CompiledSchema } from "../json_schema.ts";
import type { DeliveryMode, PublicationCondition } from "./types.ts";

/**
 * One `publishes_events` entry of a step.
 *
 * @example
 * ```ts
 * import type { EventDeclaration } from "@deno-tasker/tasker";
 * const declaration: EventDeclaration = {
 *   name: "payment.processed",
 *   condition: "success",
 *   delivery_mode: "durable",
 * };
 * ```
 */
export interface EventDeclaration {
  /** Dotted event name, e.g. `payment.processed`. */
  name: string;
  /** Free text (tasker-core requires it; deno-tasker does not). */
  description?: string;
  /** When it fires. Default `success`. */
  condition: PublicationCondition;
  /** Where it goes. Default `durable`. */
  delivery_mode: DeliveryMode;
  /** Name of a registered custom publisher; the default publisher when absent. */
  publisher?: string;
  /** The business payload's JSON Schema, compiled at load; absent when none or `null`. */
  schema?: CompiledSchema;
}
