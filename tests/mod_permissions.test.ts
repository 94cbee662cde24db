// The library is imported by `deno test` suites under permission sandboxing: importing mod.ts,
// loading a template and building an event must need no permission at all.
import assert from "node:assert/strict";
import { buildDomainEvent, parseDomainEvent, parseTemplate } from "../mod.ts";
import { shouldPublish, stepRetryability } from "../src/events/mod.ts";

const yaml = `
name: sandboxed
namespace_name: sandbox
version: 1.0.0
input_schema:
  type: object
  required: [amount]
  properties:
    amount: { type: number }
steps:
  - name: charge
    handler: { callable: sandbox.charge }
    retry: { max_attempts: 2 }
    publishes_events:
      - name: payment.failed.retryable
        condition: retryable_failure
        delivery_mode: fast
        schema:
          type: object
          required: [reason]
`;

Deno.test({
  name: "mod.ts: template, conditions and events work with permissions none",
  permissions: "none",
  fn() {
    assert.equal(Deno.permissions.querySync({ name: "env" }).state, "prompt");
    assert.equal(Deno.permissions.querySync({ name: "read" }).state, "prompt");
    const template = parseTemplate(yaml);
    assert.deepEqual(template.input_schema!.validate({ amount: "x" }).map((f) => f.pointer), [
      "/amount",
    ]);
    const step = template.steps[0]!;
    const declaration = step.publishes_events[0]!;
    const retryable = stepRetryability({ retryable: true, attempts: 1, max_attempts: 2 });
    assert.equal(shouldPublish(declaration.condition, { succeeded: false, retryable }), true);
    assert.deepEqual(declaration.schema!.validate({}).map((f) => f.pointer), ["/reason"]);
    const event = buildDomainEvent({
      event_name: declaration.name,
      payload: { reason: "timeout" },
      task_sequence_step: {},
      execution_result: { success: false },
      metadata: {
        task_uuid: crypto.randomUUID(),
        step_uuid: crypto.randomUUID(),
        step_name: step.name,
        namespace: template.namespace_name,
        correlation_id: "0193a3c4-0000-7000-8000-0000000000c1",
        fired_by: step.handler.callable,
      },
    });
    assert.deepEqual(parseDomainEvent(JSON.parse(JSON.stringify(event))), event);
  },
});
