// SSE framing and the bounded per-client stream; the inspector's rates and recent-task list.
import assert from "node:assert/strict";
import { formatSseComment, formatSseEvent, SseStream } from "../../src/observe/sse.ts";
import { ratesBetween, RecentTasks } from "../../src/observe/inspector_stats.ts";
import { TemplateRegistry } from "../../src/template/registry.ts";
import { parseTemplate } from "../../src/template/load.ts";
import type { RecordedOutcome } from "../../src/worker/step_outcomes.ts";
import type { ClaimedStep } from "../../src/worker/step_store.ts";
import { parseFrame } from "./_inspector_helpers.ts";

Deno.test("an SSE event is framed with event, id and one data line per line", () => {
  const text = formatSseEvent({ event: "stats", id: "42", retry: 1500, data: "a\nb\r\nc" });
  assert.equal(text, "event: stats\nid: 42\nretry: 1500\ndata: a\ndata: b\ndata: c\n\n");
  const json = formatSseEvent({ data: { name: "x", lines: "1\n2" } });
  assert.equal(json, 'data: {"name":"x","lines":"1\\n2"}\n\n', "JSON escapes its own newlines");
  const parsed = parseFrame(text.slice(0, -2));
  assert.deepEqual([parsed.event, parsed.id, parsed.data], ["stats", "42", "a\nb\nc"]);
  assert.equal(formatSseComment("keep-alive"), ": keep-alive\n\n");
});

Deno.test("a line break in an SSE event type or id is refused", () => {
  assert.throws(() => formatSseEvent({ event: "a\nb", data: 1 }), /event must not contain/);
  assert.throws(() => formatSseEvent({ id: "1\r", data: 1 }), /id must not contain/);
});

Deno.test("an SseStream holds at most highWaterMark unread frames; writers wait for room", async () => {
  let closedHook = 0;
  const stream = new SseStream({ highWaterMark: 2, keepAliveMs: 0, onClose: () => closedHook++ });
  assert.equal(stream.send({ data: 1 }), true);
  assert.equal(stream.send({ data: 2 }), true);
  assert.equal(stream.hasRoom, false);
  assert.equal(stream.send({ data: 3 }), false, "a full queue skips instead of growing");
  assert.equal(stream.skipped, 1);

  let ready: boolean | undefined;
  const waiting = stream.ready().then((value) => (ready = value));
  await Promise.resolve();
  assert.equal(ready, undefined, "the writer waits while the client reads nothing");
  const reader = stream.readable.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "data: 1\n\n");
  await waiting;
  assert.equal(ready, true, "reading makes room");
  assert.equal(stream.sent, 2);

  const abort = new AbortController();
  assert.equal(stream.send({ data: 4 }), true);
  const aborted = stream.ready(abort.signal);
  abort.abort();
  assert.equal(await aborted, false, "a wait ends when its signal aborts");

  await reader.cancel();
  assert.equal(stream.closed, true, "the client cancelling closes the stream");
  assert.equal(closedHook, 1);
  stream.close();
  assert.equal(closedHook, 1, "close is idempotent");
  assert.equal(stream.send({ data: 5 }), false);
  assert.equal(await stream.ready(), false);
});

Deno.test("an SseStream ends when its signal aborts and delivers what was queued", async () => {
  const abort = new AbortController();
  const stream = new SseStream({ keepAliveMs: 10_000, signal: abort.signal });
  stream.send({ event: "hello", data: "x" });
  abort.abort();
  assert.equal(stream.closed, true);
  assert.equal(await new Response(stream.readable).text(), "event: hello\ndata: x\n\n");
});

Deno.test("rates are per second between two samples, zero when nothing can be computed", () => {
  const a = { atMs: 1000, steps: 10, routed: 20, written: 30, published: 40 };
  const b = { atMs: 3000, steps: 30, routed: 21, written: 90, published: 40 };
  assert.deepEqual(ratesBetween(a, b), {
    steps_per_s: 10,
    routed_per_s: 0.5,
    written_per_s: 30,
    published_per_s: 0,
  });
  assert.equal(ratesBetween(a, a).steps_per_s, 0, "no time passed");
  assert.equal(ratesBetween(b, { ...b, atMs: 4000, steps: 0 }).steps_per_s, 0, "reset counter");
});

const template = parseTemplate(`
name: pair
namespace_name: demo
version: 1.0.0
steps:
  - name: first
    handler: { callable: demo.first }
  - name: second
    depends_on: [first]
    handler: { callable: demo.second }
`);

function outcomeOf(taskUuid: string, step: string, state: RecordedOutcome["state"], extra: {
  enqueued?: string[];
  task_state?: RecordedOutcome["task_state"];
  attempts?: number;
} = {}): [ClaimedStep, RecordedOutcome] {
  const claim = {
    source: { queue: "q", msg_id: 1, message: { task_uuid: taskUuid, step_uuid: "s" } },
    task: {
      task_uuid: taskUuid,
      namespace: "demo",
      name: "pair",
      version: "1.0.0",
      context: {},
      correlation_id: "c",
    },
    task_state: "in_progress",
    step: {
      step_uuid: crypto.randomUUID(),
      name: step,
      attempts: extra.attempts ?? 1,
      max_attempts: 3,
      retryable: true,
      handler_callable: `demo.${step}`,
    },
    completed_results: {},
  } satisfies ClaimedStep;
  const outcome: RecordedOutcome = {
    state,
    task_state: extra.task_state ?? "in_progress",
    enqueued: extra.enqueued ?? [],
    events: [],
  };
  return [claim, outcome];
}

Deno.test("recent tasks show every template step's state, newest task first, bounded", () => {
  const recent = new RecentTasks(TemplateRegistry.fromTemplates([template]), 2);
  recent.record(...outcomeOf("t1", "first", "waiting_for_retry"));
  assert.deepEqual(recent.list()[0]!.steps, [
    { name: "first", state: "waiting_for_retry", attempts: 1 },
    { name: "second", state: "pending", attempts: 0 },
  ]);
  recent.record(...outcomeOf("t1", "first", "complete", { attempts: 2, enqueued: ["second"] }));
  assert.deepEqual(recent.list()[0]!.steps.map((s) => s.state), ["complete", "enqueued"]);
  recent.record(...outcomeOf("t2", "first", "complete"));
  recent.record(...outcomeOf("t1", "second", "complete", { task_state: "complete" }));
  assert.deepEqual(recent.list().map((t) => [t.task_uuid, t.state]), [
    ["t1", "complete"],
    ["t2", "in_progress"],
  ]);
  recent.record(...outcomeOf("t3", "first", "error", { task_state: "error" }));
  assert.deepEqual(recent.list().map((t) => t.task_uuid), ["t3", "t1"], "the oldest is evicted");
});
