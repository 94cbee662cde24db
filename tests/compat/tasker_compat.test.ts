// The tasker-compat adapters: a publisher and a subscriber written with tasker-core's class
// hooks, and a handler using its context helpers and positional failure(), running on a Tasker.
import assert from "node:assert/strict";
import { SubscriberRegistry } from "../../src/bus/subscriber_registry.ts";
import { PublisherRegistry } from "../../src/events/publisher_registry.ts";
import {
  BasePublisher,
  BaseSubscriber,
  fromTaskerSubscriber,
  taskerContext,
  type TaskerDomainEvent,
  type TaskerEventDeclaration,
  taskerFailure,
  type TaskerStepEventContext,
  type TaskerStepResult,
} from "../../src/tasker_compat/mod.ts";
import { buildStepContext } from "../../src/worker/context.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { success } from "../../src/worker/step_handler.ts";
import { dbTest, uniqueName } from "../_db.ts";
import { openTasker, parseTemplateIn } from "../worker/_engine.ts";

const calls: string[] = [];

class PaymentEventPublisher extends BasePublisher {
  readonly publisherName = "PaymentEventPublisher";
  override shouldPublish(stepResult: TaskerStepResult): boolean {
    return stepResult.success ? stepResult.result?.transaction_id != null : true;
  }
  override transformPayload(
    stepResult: TaskerStepResult,
    declaration?: TaskerEventDeclaration,
    step?: TaskerStepEventContext,
  ): Record<string, unknown> {
    if (!stepResult.success) {
      return {
        error_code: stepResult.metadata?.error_code,
        error_message: stepResult.metadata?.error_message,
      };
    }
    return {
      transaction_id: stepResult.result?.transaction_id,
      event: declaration?.name,
      mode: declaration?.deliveryMode,
      step: step?.stepName,
    };
  }
  override additionalMetadata(): Record<string, unknown> {
    return { publisher_type: "ported" };
  }
  override beforePublish(name: string, payload: Record<string, unknown>): boolean {
    calls.push(`before ${name} ${JSON.stringify(payload)}`);
    return true;
  }
  override afterPublish(name: string, _payload: unknown, metadata: Record<string, unknown>): void {
    calls.push(`after ${name} ${metadata.publisher_type}`);
  }
}

const received: TaskerDomainEvent[] = [];
class PaymentSubscriber extends BaseSubscriber {
  static override subscribesTo(): string[] {
    return ["payment.*"];
  }
  override beforeHandle(event: TaskerDomainEvent): boolean {
    return event.metadata.namespace !== "ignored";
  }
  handle(event: TaskerDomainEvent): void {
    received.push(event);
  }
}

dbTest("a ported publisher and subscriber run unchanged on the Tasker", async (db) => {
  calls.length = 0;
  received.length = 0;
  const namespace = uniqueName("port");
  const template = parseTemplateIn(
    `name: checkout
namespace_name: x
version: 1.0.0
steps:
  - name: charge
    handler: { callable: port.charge, initialization: { currency: EUR } }
    retry: { max_attempts: 2, backoff_base_ms: 10, max_backoff_ms: 20 }
    publishes_events:
      - name: payment.processed
        description: Charged
        delivery_mode: fast
        publisher: PaymentEventPublisher
        schema: { type: object, required: [transaction_id] }
      - name: payment.failed
        description: Not charged
        condition: failure
        delivery_mode: fast
        publisher: PaymentEventPublisher
        schema: { type: object, required: [error_code] }
`,
    namespace,
  );
  const handlers = new HandlerRegistry().register("port.charge", (ctx) => {
    const context = taskerContext(ctx);
    if (!context.isRetry()) {
      return taskerFailure("gateway timeout", "timeout", true, { try: 1 }, "GATEWAY_TIMEOUT");
    }
    return success({
      transaction_id: "TXN-1",
      amount: context.getInput<number>("amount"),
      currency: context.getConfig<string>("currency"),
      last: context.isLastRetry(),
    });
  });
  const tasker = await openTasker(db, [template], {
    handlers,
    publishers: new PublisherRegistry([new PaymentEventPublisher().toPublisher()]),
    subscribers: new SubscriberRegistry().register(fromTaskerSubscriber(PaymentSubscriber)),
  });
  try {
    const task = await tasker.submit({ namespace, name: "checkout", context: { amount: 42 } });
    const status = await tasker.waitFor(task.task_uuid, { timeoutMs: 20_000 });
    assert.equal(status.status, "complete");
    await tasker.bus.close({ deadlineMs: 5000 });
  } finally {
    await tasker.close();
  }
  assert.deepEqual(received.map((e) => e.eventName), ["payment.failed", "payment.processed"]);
  const [failed, processed] = received as [TaskerDomainEvent, TaskerDomainEvent];
  assert.deepEqual(failed.payload, {
    error_code: "GATEWAY_TIMEOUT",
    error_message: "gateway timeout",
  });
  assert.equal(failed.executionResult.success, false);
  assert.deepEqual(processed.payload, {
    transaction_id: "TXN-1",
    event: "payment.processed",
    mode: "fast",
    step: "charge",
  });
  assert.equal(processed.metadata.stepName, "charge");
  assert.equal(processed.metadata.namespace, namespace);
  assert.equal(processed.metadata.publisher, "PaymentEventPublisher");
  assert.equal(processed.metadata.publisher_type, "ported");
  assert.deepEqual(processed.executionResult.result, {
    transaction_id: "TXN-1",
    amount: 42,
    currency: "EUR",
    last: true,
  });
  assert.equal(processed.raw.event_name, "payment.processed");
  assert.deepEqual(calls, [
    'before payment.failed {"error_code":"GATEWAY_TIMEOUT","error_message":"gateway timeout"}',
    "after payment.failed ported",
    `before payment.processed ${JSON.stringify(processed.payload)}`,
    "after payment.processed ported",
  ]);
});

Deno.test("taskerContext mirrors tasker-core's accessors", () => {
  const ctx = buildStepContext({
    task: {
      task_uuid: "0193a3c4-1111-7000-8000-000000000001",
      namespace: "batch",
      name: "csv",
      version: "1.0.0",
      context: { batch_size: 0, file: "a.csv" },
      correlation_id: "0193a3c4-0000-7000-8000-0000000000c1",
    },
    step: {
      step_uuid: "0193a3c4-2222-7000-8000-000000000002",
      name: "sum",
      attempts: 1,
      max_attempts: 3,
      retryable: true,
    },
    initialization: { limit: 5 },
    dependencyResults: {
      process_batch_001: { count: 2 },
      process_batch_002: { count: 3 },
      analyze: { meta: { rows: 5 } },
      empty: null,
    },
  });
  const context = taskerContext(ctx);
  assert.equal(context.getInputOr("batch_size", 100), 0, "only undefined falls back");
  assert.equal(context.getInputOr("missing", 100), 100);
  assert.equal(context.getConfig("limit"), 5);
  assert.equal(context.getConfig("toString"), undefined, "own keys only");
  assert.deepEqual(context.getAllDependencyResults("process_batch_"), [{ count: 2 }, { count: 3 }]);
  assert.equal(context.getDependencyField("analyze", "meta", "rows"), 5);
  assert.equal(context.getDependencyField("analyze", "nope"), null);
  assert.equal(context.getDependencyResult("unknown"), null);
  assert.equal(context.getDependencyResult("empty"), null);
  assert.equal(context.retryCount, 0);
  assert.equal(context.isRetry(), false);
  assert.equal(context.isLastRetry(), false);
  const failed = taskerFailure("bad input");
  assert.deepEqual(failed.error, {
    message: "bad input",
    error_type: "handler_error",
    retryable: true,
  });
});
