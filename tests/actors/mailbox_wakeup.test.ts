/**
 * The missed wake-up of `Mailbox.offerAndWait`. It lives in its own file because the window only
 * opens on the first `setTimeout` of a test worker: under `deno test` that call runs the queued
 * microtasks before it returns. Keep this the file's only test and call no timer before it.
 */

import assert from "node:assert/strict";
import { Mailbox } from "../../src/actors/mailbox.ts";

Deno.test("mailbox: room freed while offerAndWait arms its timer admits the waiter at once", async () => {
  const mailbox = new Mailbox<string>({ capacity: 1, overflow: "backpressure" });
  mailbox.offer("a");
  // This poll runs inside offerAndWait's setTimeout call, between the room check and the point
  // where the timer exists: the waiter must already be listed so the poll admits it.
  let taken: string | undefined;
  queueMicrotask(() => {
    taken = mailbox.poll();
  });
  const outcome = await mailbox.offerAndWait("b", { deadlineMs: 300 });
  assert.equal(taken, "a");
  assert.deepEqual(outcome, { accepted: true, dropped: null });
  assert.equal(mailbox.poll(), "b");
  // The admitted waiter's deadline timer is cleared (the sanitizer fails the test otherwise) and
  // no deadline drop is counted for it.
  assert.deepEqual(mailbox.dropped(), { full: 0, evicted: 0, deadline: 0, stopped: 0 });
});
