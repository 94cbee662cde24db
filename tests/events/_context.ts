// A step context as the worker would build it, for the publisher tests.
import type { StepEventContext, StepEventResult } from "../../src/events/context.ts";
import { buildStepEventContext } from "../../src/events/wire.ts";
import type { EventDeclaration } from "../../src/events/declaration.ts";

export function stepContext(
  result: StepEventResult,
  event: Partial<EventDeclaration> = {},
): StepEventContext {
  return buildStepEventContext({
    event: { name: "payment.processed", condition: "success", delivery_mode: "durable", ...event },
    task: {
      task_uuid: "0193a3c4-1111-7000-8000-000000000001",
      namespace: "payments",
      name: "process_payment",
      version: "1.0.0",
      context: { order_id: 7 },
      correlation_id: "0193a3c4-0000-7000-8000-000000000007",
    },
    step: {
      step_uuid: "0193a3c4-2222-7000-8000-000000000002",
      name: "charge",
      attempts: 1,
      max_attempts: 3,
      retryable: true,
      handler_callable: "payments.charge",
    },
    result,
  });
}
