// The shared primitives at the top of src/: one copy each of the deadline, the edit distance
// behind "did you mean", the message of a caught value, and the jittered backoff.
import assert from "node:assert/strict";
import { backoffDelay } from "../src/backoff.ts";
import { withinDeadline } from "../src/deadline.ts";
import { editDistance } from "../src/edit_distance.ts";
import { errorMessage } from "../src/error_message.ts";

Deno.test("withinDeadline: work that settles in time wins, and its timer is cleared", async () => {
  // The resource sanitizer fails this test if the timer outlives it.
  assert.deepEqual(await withinDeadline(Promise.resolve(42), 60_000), {
    finished: true,
    value: 42,
  });
});

Deno.test("withinDeadline: work that never settles times out", async () => {
  assert.deepEqual(await withinDeadline(new Promise(() => {}), 5), {
    finished: false,
    reason: "timeout",
  });
});

Deno.test("withinDeadline: a rejection within the limit rejects the wait", async () => {
  await assert.rejects(withinDeadline(Promise.reject(new Error("boom")), 60_000), /boom/);
});

Deno.test("withinDeadline: a rejection after the limit goes unnoticed", async () => {
  let fail!: (error: Error) => void;
  const late = new Promise<never>((_, reject) => (fail = reject));
  assert.equal((await withinDeadline(late, 1)).finished, false);
  fail(new Error("too late")); // an unhandled rejection would fail the test
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("withinDeadline: an abort ends the wait early; an aborted signal does not wait", async () => {
  const controller = new AbortController();
  const waiting = withinDeadline(new Promise(() => {}), 60_000, { signal: controller.signal });
  controller.abort();
  assert.deepEqual(await waiting, { finished: false, reason: "aborted" });
  assert.deepEqual(
    await withinDeadline(Promise.resolve(1), 60_000, { signal: controller.signal }),
    { finished: false, reason: "aborted" },
  );
});

Deno.test("editDistance: swaps count once unless turned off; case matters", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("stpes", "steps"), 1);
  assert.equal(editDistance("stpes", "steps", { transpositions: false }), 2);
  assert.equal(editDistance("Steps", "steps"), 1);
  assert.equal(editDistance("depnds_on", "depends_on"), 1);
});

Deno.test("errorMessage: an Error's message, with its name on request; anything else as text", () => {
  assert.equal(errorMessage(new TypeError("bad input")), "bad input");
  assert.equal(
    errorMessage(new TypeError("bad input"), { withName: true }),
    "TypeError: bad input",
  );
  assert.equal(errorMessage("plain"), "plain");
  assert.equal(errorMessage(42, { withName: true }), "42");
  assert.equal(errorMessage(undefined), "undefined");
});

Deno.test("backoffDelay: full jitter between the floor and a doubling ceiling, bounded", () => {
  assert.equal(backoffDelay(1, 10, 1000, () => 0.999), 10);
  assert.equal(backoffDelay(3, 10, 1000, () => 0.5), 25); // ceiling 40
  assert.equal(backoffDelay(1_000, 10, 1000, () => 1), 1000);
  assert.equal(backoffDelay(3, -5, 1000, () => 1), 0); // a negative floor counts as 0
  assert.equal(backoffDelay(3, 50, 10, () => 1), 50); // a ceiling below the floor is the floor
});
