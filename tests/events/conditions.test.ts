import assert from "node:assert/strict";
import { shouldPublish, type StepOutcome, stepRetryability } from "../../src/events/conditions.ts";
import type { PublicationCondition } from "../../src/events/types.ts";

const outcomes: Record<string, StepOutcome> = {
  success: { succeeded: true },
  retryable_failure: { succeeded: false, retryable: true },
  permanent_failure: { succeeded: false, retryable: false },
};

// condition → [success, retryable failure, permanent failure]
const truthTable: Record<PublicationCondition, [boolean, boolean, boolean]> = {
  success: [true, false, false],
  failure: [false, true, true],
  retryable_failure: [false, true, false],
  permanent_failure: [false, false, true],
  always: [true, true, true],
};

Deno.test("shouldPublish follows the full truth table of conditions × outcomes", () => {
  for (const [condition, expected] of Object.entries(truthTable)) {
    const [onSuccess, onRetryable, onPermanent] = expected;
    const c = condition as PublicationCondition;
    assert.equal(shouldPublish(c, outcomes.success!), onSuccess, `${c} on success`);
    assert.equal(shouldPublish(c, outcomes.retryable_failure!), onRetryable, `${c} on retryable`);
    assert.equal(shouldPublish(c, outcomes.permanent_failure!), onPermanent, `${c} on permanent`);
  }
});

Deno.test("a success ignores any retryable flag", () => {
  assert.equal(shouldPublish("success", { succeeded: true, retryable: false }), true);
  assert.equal(shouldPublish("retryable_failure", { succeeded: true, retryable: true }), false);
  assert.equal(shouldPublish("permanent_failure", { succeeded: true, retryable: false }), false);
});

Deno.test("a failure of unknown retryability fires only failure and always", () => {
  const unknown = { succeeded: false };
  assert.equal(shouldPublish("failure", unknown), true);
  assert.equal(shouldPublish("always", unknown), true);
  assert.equal(shouldPublish("retryable_failure", unknown), false);
  assert.equal(shouldPublish("permanent_failure", unknown), false);
  assert.equal(shouldPublish("success", unknown), false);
});

Deno.test("stepRetryability is retryable && attempts < max_attempts", () => {
  assert.equal(stepRetryability({ retryable: true, attempts: 1, max_attempts: 3 }), true);
  assert.equal(stepRetryability({ retryable: true, attempts: 2, max_attempts: 3 }), true);
  // The boundary: the last allowed attempt failed, so the failure is permanent.
  assert.equal(stepRetryability({ retryable: true, attempts: 3, max_attempts: 3 }), false);
  assert.equal(stepRetryability({ retryable: true, attempts: 4, max_attempts: 3 }), false);
  assert.equal(stepRetryability({ retryable: false, attempts: 0, max_attempts: 3 }), false);
  assert.equal(stepRetryability({ retryable: true, attempts: 1, max_attempts: 1 }), false);
});

Deno.test("an exhausted step fires permanent_failure, not retryable_failure", () => {
  const retryable = stepRetryability({ retryable: true, attempts: 3, max_attempts: 3 });
  const outcome = { succeeded: false, retryable };
  assert.equal(shouldPublish("permanent_failure", outcome), true);
  assert.equal(shouldPublish("retryable_failure", outcome), false);
  const early = {
    succeeded: false,
    retryable: stepRetryability({ retryable: true, attempts: 2, max_attempts: 3 }),
  };
  assert.equal(shouldPublish("retryable_failure", early), true);
  assert.equal(shouldPublish("permanent_failure", early), false);
});

Deno.test("an unknown condition from untyped code is a typed error naming it", () => {
  assert.throws(
    () => shouldPublish("sometimes" as PublicationCondition, { succeeded: true }),
    (error: unknown) =>
      error instanceof Error && (error as { code?: string }).code === "E_INVALID_CONDITION" &&
      error.message.includes('"sometimes"'),
  );
});
