/**
 * deno-tasker: workflow step workers that publish domain events.
 *
 * Task templates (YAML) declare steps, their handlers and dependencies, a retry policy, and per
 * step the domain events it publishes. Workers execute the steps on PostgreSQL with PGMQ (an
 * embedded PGlite by default) and route each fired event by its delivery mode: `fast` to an
 * in-process bus of supervised actor subscribers, `durable` to the PGMQ queue
 * `{namespace}_domain_events` through one pooled batching writer, or `broadcast` to both.
 *
 * @example Load a template and build an event (no permissions needed)
 * ```ts
 * import { buildDomainEvent, parseTemplate } from "./mod.ts";
 *
 * const template = parseTemplate(`
 * name: checkout
 * namespace_name: payments
 * version: 1.0.0
 * steps:
 *   - name: charge
 *     handler: { callable: payments.charge }
 *     publishes_events:
 *       - name: payment.processed
 *         delivery_mode: broadcast
 * `);
 * const event = buildDomainEvent({
 *   event_name: template.steps[0]!.publishes_events[0]!.name,
 *   payload: { amount: 42 },
 *   task_sequence_step: {},
 *   execution_result: { success: true },
 *   metadata: {
 *     task_uuid: crypto.randomUUID(),
 *     step_uuid: crypto.randomUUID(),
 *     step_name: "charge",
 *     namespace: template.namespace_name,
 *     correlation_id: "order-1001",
 *     fired_by: "payments.charge",
 *   },
 * });
 * console.log(event.event_id, event.event_name);
 * ```
 *
 * @example Subscribe to fast events with glob patterns
 * ```ts
 * import { EventBus } from "./mod.ts";
 *
 * await using bus = new EventBus();
 * bus.subscribe("payment.#", (event) => console.log("got", event.event_name));
 * ```
 *
 * @module
 */

export { TaskerError } from "./src/errors.ts";
export {
  assertEventName,
  assertNamespace,
  assertQueueName,
  deadLetterQueue,
  domainEventsQueue,
  EVENT_NAME_PATTERN,
  InvalidNameError,
  isValidEventName,
  isValidNamespace,
  MAX_QUEUE_NAME_LENGTH,
  NAMESPACE_PATTERN,
  QUEUE_NAME_PATTERN,
  stepQueue,
} from "./src/names.ts";
export {
  type CompiledSchema,
  compileJsonSchema,
  InvalidSchemaError,
  type SchemaFailure,
  SchemaValidationError,
} from "./src/json_schema.ts";
export * from "./src/events/mod.ts";
export * from "./src/template/mod.ts";
export * from "./src/actors/mod.ts";
export * from "./src/bus/mod.ts";
export * from "./src/durable/mod.ts";
export * from "./src/worker/mod.ts";
export * from "./actors/mod.ts";
export * from "./src/observe/mod.ts";
