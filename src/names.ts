/**
 * The naming rules every part agrees on: event names, namespaces and PGMQ queue names.
 *
 * Namespaces are capped at 29 characters so that `{namespace}_domain_events_dlq` (the longest
 * queue the framework derives) fits PGMQ's 47-character queue-name limit.
 *
 * @module
 */

import { TaskerError } from "./errors.ts";

/** A dotted event name with at least two segments, e.g. `payment.processed`. */
export const EVENT_NAME_PATTERN: RegExp = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

/** A namespace: 1 to 29 of `[a-z0-9_]`. */
export const NAMESPACE_PATTERN: RegExp = /^[a-z0-9_]{1,29}$/;

/** PGMQ's limit on a queue name's length (its tables are `q_<name>` and `a_<name>`). */
export const MAX_QUEUE_NAME_LENGTH = 47;

/** A PGMQ queue name as this library accepts it: a letter or `_` first, then `[a-z0-9_]`. */
export const QUEUE_NAME_PATTERN: RegExp = /^[a-z_][a-z0-9_]{0,46}$/;

/** Thrown when a name breaks one of the rules above; `value` holds the offending name. */
export class InvalidNameError extends TaskerError {
  /** The name that was rejected. */
  readonly value: string;
  /**
   * Creates the error naming the rejected value and the rule.
   *
   * @param kind what kind of name it is (`event name`, `namespace`, `queue name`)
   * @param value the rejected name
   * @param rule the rule it breaks, in words
   */
  constructor(kind: string, value: string, rule: string) {
    super("E_INVALID_NAME", `invalid ${kind} ${JSON.stringify(value)}: ${rule}`);
    this.value = value;
  }
}

/**
 * Whether `name` is a valid event name.
 *
 * @example
 * ```ts
 * import { isValidEventName } from "./names.ts";
 * isValidEventName("payment.processed"); // true
 * isValidEventName("Payment"); // false
 * ```
 */
export function isValidEventName(name: string): boolean {
  return EVENT_NAME_PATTERN.test(name);
}

/**
 * Throws {@link InvalidNameError} unless `name` is a valid event name.
 *
 * @example
 * ```ts
 * import { assertEventName } from "./names.ts";
 * assertEventName("order.validated");
 * ```
 */
export function assertEventName(name: string): void {
  if (!isValidEventName(name)) {
    throw new InvalidNameError(
      "event name",
      name,
      "expected lowercase dot-separated segments of [a-z0-9_], at least two (namespace.action)",
    );
  }
}

/**
 * Whether `namespace` is a valid namespace.
 *
 * @example
 * ```ts
 * import { isValidNamespace } from "./names.ts";
 * isValidNamespace("payments"); // true
 * ```
 */
export function isValidNamespace(namespace: string): boolean {
  return NAMESPACE_PATTERN.test(namespace);
}

/**
 * Throws {@link InvalidNameError} unless `namespace` is valid.
 *
 * @example
 * ```ts
 * import { assertNamespace } from "./names.ts";
 * assertNamespace("payments");
 * ```
 */
export function assertNamespace(namespace: string): void {
  if (!isValidNamespace(namespace)) {
    throw new InvalidNameError(
      "namespace",
      namespace,
      "expected 1 to 29 characters of [a-z0-9_] (so {namespace}_domain_events_dlq fits PGMQ's 47)",
    );
  }
}

/**
 * Throws {@link InvalidNameError} unless `queue` is a valid PGMQ queue name. Called before any
 * SQL that names a queue runs.
 *
 * @example
 * ```ts
 * import { assertQueueName } from "./names.ts";
 * assertQueueName("payments_domain_events");
 * ```
 */
export function assertQueueName(queue: string): void {
  if (!QUEUE_NAME_PATTERN.test(queue)) {
    throw new InvalidNameError(
      "queue name",
      queue,
      `expected a letter or _ then [a-z0-9_], at most ${MAX_QUEUE_NAME_LENGTH} characters`,
    );
  }
}

/**
 * The durable domain-event queue of a namespace: `{namespace}_domain_events`.
 *
 * @example
 * ```ts
 * import { domainEventsQueue } from "./names.ts";
 * domainEventsQueue("payments"); // "payments_domain_events"
 * ```
 */
export function domainEventsQueue(namespace: string): string {
  assertNamespace(namespace);
  return `${namespace}_domain_events`;
}

/**
 * The dead-letter queue of a queue: `{queue}_dlq`.
 *
 * @example
 * ```ts
 * import { deadLetterQueue } from "./names.ts";
 * deadLetterQueue("payments_domain_events"); // "payments_domain_events_dlq"
 * ```
 */
export function deadLetterQueue(queue: string): string {
  assertQueueName(queue);
  const dlq = `${queue}_dlq`;
  assertQueueName(dlq);
  return dlq;
}

/**
 * The step queue a namespace's workers read: `worker_{namespace}_queue`.
 *
 * @example
 * ```ts
 * import { stepQueue } from "./names.ts";
 * stepQueue("payments"); // "worker_payments_queue"
 * ```
 */
export function stepQueue(namespace: string): string {
  assertNamespace(namespace);
  return `worker_${namespace}_queue`;
}
