// A step context for unit tests of handlers and ad-hoc publishing: one fixed demo task and step.
import { buildStepContext, type DomainEventSink } from "../../src/worker/context.ts";
import type { StepContext } from "../../src/worker/step_handler.ts";

/** The context of step `hello` (attempt 1 of 3) of task `demo/greet`; `publish` gets its events. */
export function demoStepContext(publish?: DomainEventSink): StepContext {
  return buildStepContext({
    task: {
      task_uuid: "0193a3c4-1111-7000-8000-000000000001",
      namespace: "demo",
      name: "greet",
      version: "1.0.0",
      context: {},
      correlation_id: "req-1",
    },
    step: {
      step_uuid: "0193a3c4-2222-7000-8000-000000000002",
      name: "hello",
      attempts: 1,
      max_attempts: 3,
      retryable: true,
    },
    ...(publish ? { publish } : {}),
  });
}
