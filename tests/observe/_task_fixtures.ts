// A two-step task for the task API and task page tests: `gate` waits (until released, or its
// signal aborts) and fails when asked to, `after` depends on it.
import { TemplateRegistry } from "../../src/template/registry.ts";
import { parseTemplate } from "../../src/template/load.ts";
import type { TaskTemplate } from "../../src/template/types.ts";
import type { Database } from "../../src/durable/db/database.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { Tasker } from "../../src/tasker.ts";
import { failure, success } from "../../src/worker/step_handler.ts";
import { uniqueName } from "../_db.ts";

/** The template in a fresh namespace. */
export function gatedTemplate(): TaskTemplate {
  return parseTemplate(`name: gated
namespace_name: ${uniqueName("gate")}
version: 1.0.0
input_schema:
  type: object
  properties:
    mode: { type: string, enum: [wait, fail, pass] }
steps:
  - name: gate
    handler: { callable: gated.gate }
    retry: { max_attempts: 1 }
  - name: after
    handler: { callable: gated.after }
    dependencies: [gate]
    publishes_events:
      - name: gated.passed
        condition: success
        delivery_mode: durable
`);
}

/** Whether `fail` tasks' gates fail (a retry after setting it false succeeds). */
export const gateSwitch = { failing: true };

/** A started Tasker running the gated template: `wait` steps wait for their signal. */
export async function openGatedTasker(db: Database, template: TaskTemplate): Promise<Tasker> {
  const handlers = new HandlerRegistry()
    .register("gated.gate", (ctx) => {
      const mode = ctx.input("mode");
      if (mode === "fail" && gateSwitch.failing) {
        return failure("the gate is shut", { retryable: false });
      }
      if (mode === "fail") return success("reopened");
      if (mode === "pass") return success("opened");
      return new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
      });
    })
    .register("gated.after", () => success("after"));
  return await Tasker.open({
    templates: TemplateRegistry.fromTemplates([template]),
    database: db,
    handlers,
    pollIntervalMs: 10,
    leaseSeconds: 1,
  });
}
