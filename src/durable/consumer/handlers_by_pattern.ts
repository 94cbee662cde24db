/**
 * The durable consumer's handlers, each with the event-name patterns it was registered for.
 *
 * @module
 */

import { type CompiledPattern, compilePattern } from "../../bus/pattern.ts";
import { DurableOptionError } from "../writer/errors.ts";
import { COMPONENT } from "./options.ts";
import type { DurableEventHandler } from "./types.ts";

/**
 * Handlers and the patterns they were registered for (the bus's pattern semantics).
 *
 * @example
 * ```ts
 * import { HandlersByPattern } from "./handlers_by_pattern.ts";
 * const registry = new HandlersByPattern();
 * registry.add("payment.*", () => {});
 * registry.matching("payment.processed").length; // 1
 * ```
 */
export class HandlersByPattern {
  readonly #registrations: { patterns: CompiledPattern[]; handler: DurableEventHandler }[] = [];

  /**
   * Registers `handler`; throws `InvalidPatternError` for a malformed pattern.
   *
   * @param patterns one pattern or several (at least one)
   * @param handler the handler
   */
  add(patterns: string | readonly string[], handler: DurableEventHandler): void {
    const list = typeof patterns === "string" ? [patterns] : [...patterns];
    if (list.length === 0) {
      throw new DurableOptionError(COMPONENT, "patterns", list, "at least one pattern");
    }
    this.#registrations.push({ patterns: list.map(compilePattern), handler });
  }

  /**
   * The handlers whose patterns match `eventName`, in registration order.
   *
   * @param eventName the event's name
   */
  matching(eventName: string): DurableEventHandler[] {
    const handlers: DurableEventHandler[] = [];
    for (const { patterns, handler } of this.#registrations) {
      if (patterns.some((pattern) => pattern.test(eventName))) handlers.push(handler);
    }
    return handlers;
  }
}
