/** Shared helpers of the bus, ready-actor and capture tests. */

import type { DomainEvent } from "../../src/events/types.ts";

let sequence = 0;

/** A complete domain event named `name`; `seq` in the metadata numbers events per test. */
export function makeEvent(
  name: string,
  options: { seq?: number; namespace?: string; success?: boolean } = {},
): DomainEvent {
  const seq = options.seq ?? ++sequence;
  return {
    event_id: `0190a8c2-0000-7000-8000-${String(seq).padStart(12, "0")}`,
    event_name: name,
    event_version: "1.0",
    payload: {
      task_sequence_step: { task: { namespace: options.namespace ?? "payments" } },
      execution_result: { success: options.success ?? true, result: {} },
      payload: { amount: 10 },
    },
    metadata: {
      task_uuid: "0190a8c2-1111-7000-8000-000000000001",
      step_uuid: "0190a8c2-2222-7000-8000-000000000002",
      step_name: "charge_card",
      namespace: options.namespace ?? "payments",
      correlation_id: "corr-1",
      fired_at: "2025-01-02T03:04:05.678Z",
      fired_by: "PaymentHandler",
      seq,
    },
  };
}

/** Polls `predicate` every millisecond until it holds or `timeoutMs` passes (then throws). */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 2000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

/** A promise to await in a handler, released by the test. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
