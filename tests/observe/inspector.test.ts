// The live inspector over HTTP: the page, pattern validation, the event stream with its stats,
// bounded per-client delivery, and clean shutdown on disconnect and on close().
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import type { DomainEvent } from "../../src/events/types.ts";
import { type InspectorOptions, inspectorRoutes } from "../../src/observe/inspector.ts";
import { serveObservability } from "../../src/observe/server.ts";
import type { InspectorStats } from "../../src/observe/inspector.ts";
import type { Tasker } from "../../src/tasker.ts";
import { withPglite } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { eventually, serveRoutes, SseReader, syntheticEvent } from "./_inspector_helpers.ts";

interface Served {
  tasker: Tasker;
  url: string;
  namespace: string;
  templateName: string;
  routes: ReturnType<typeof inspectorRoutes>;
}

/** A Tasker running the domain-events example, its inspector served on a free port. */
async function withInspector(
  fn: (served: Served) => Promise<void>,
  options: InspectorOptions = {},
): Promise<void> {
  await withPglite(async (db: Database) => {
    const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "insp");
    const tasker = await openTasker(db, [template]);
    const routes = inspectorRoutes(tasker, { statsIntervalMs: 50, ...options });
    const { url, server } = serveRoutes(routes);
    try {
      await fn({
        tasker,
        url,
        namespace: template.namespace_name,
        templateName: template.name,
        routes,
      });
    } finally {
      await routes.close();
      await server.shutdown();
      await tasker.close();
    }
  });
}

const inspectorClients = (tasker: Tasker) =>
  tasker.bus.subscribers().filter((s) => s.name.startsWith("inspector_client_"));

Deno.test("the inspector serves one self-contained page and leaves other paths alone", async () => {
  await withInspector(async ({ url }) => {
    const response = await fetch(`${url}/`);
    const html = await response.text();
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/html/);
    const csp = response.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'none'/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    assert.ok(html.includes(`<script nonce="${nonce}">`), "the inline script carries the nonce");
    assert.ok(html.includes("/events/stream") || html.includes("events/stream?pattern="));
    assert.doesNotMatch(html, /\b(src|href)\s*=/i, "nothing is loaded from elsewhere");
    assert.doesNotMatch(html, /<link\b/i);

    const head = await fetch(`${url}/`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const post = await fetch(`${url}/events/stream`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
    const other = await fetch(`${url}/health`);
    assert.equal(other.status, 404, "paths the inspector does not serve fall through");
    await other.body?.cancel();
  });
});

Deno.test("an invalid filter pattern is refused with a 400 naming the reason", async () => {
  await withInspector(async ({ url, tasker }) => {
    for (const pattern of ["pay*", "payment..failed", "Payment.#"]) {
      const response = await fetch(`${url}/events/stream?pattern=${encodeURIComponent(pattern)}`);
      assert.equal(response.status, 400, pattern);
      assert.match(response.headers.get("content-type")!, /application\/json/);
      const body = await response.json();
      assert.equal(body.error.code, "E_INVALID_PATTERN");
      assert.equal(body.error.pattern, pattern);
      assert.ok(body.error.message.includes(JSON.stringify(pattern)), body.error.message);
    }
    assert.equal(inspectorClients(tasker).length, 0, "no subscriber is left behind");
  });
});

Deno.test("the stream carries the matching domain events and stats with recent tasks", async () => {
  await withInspector(async ({ url, tasker, namespace, templateName }) => {
    const response = await fetch(`${url}/events/stream?pattern=payment.%23,notification.*`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    const reader = new SseReader(response);
    try {
      const ready = await reader.until((f) => f.event === "ready");
      assert.deepEqual(JSON.parse(ready.data).patterns, ["payment.#", "notification.*"]);

      const task = await tasker.submit({
        namespace,
        name: templateName,
        context: { order_id: "ORD-7", customer_id: "C-7", amount: 12.5 },
      });
      await reader.until((f) =>
        f.event === "domain_event" && JSON.parse(f.data).event_name === "notification.sent"
      );
      assert.deepEqual(reader.eventNames(), ["payment.processed", "notification.sent"]);
      for (const frame of reader.frames.filter((f) => f.event === "domain_event")) {
        const event = JSON.parse(frame.data) as DomainEvent;
        assert.equal(frame.id, event.event_id, "the SSE id is the event id");
        assert.equal(event.metadata.task_uuid, task.task_uuid);
      }

      const stats = await reader.until((f) => {
        if (f.event !== "stats") return false;
        const s = JSON.parse(f.data) as InspectorStats;
        return s.tasks.some((t) => t.task_uuid === task.task_uuid && t.state === "complete");
      });
      const snapshot = JSON.parse(stats.data) as InspectorStats & {
        client: { subscriber: string; patterns: string[]; dropped: number; sent: number };
      };
      const recent = snapshot.tasks.find((t) => t.task_uuid === task.task_uuid)!;
      assert.deepEqual(
        recent.steps.map((s) => [s.name, s.state]),
        [
          ["validate_order", "complete"],
          ["process_payment", "complete"],
          ["update_inventory", "complete"],
          ["send_notification", "complete"],
        ],
      );
      assert.equal(recent.events, 4, "four events fired on success");
      assert.ok(snapshot.worker.processed >= 4);
      assert.ok(snapshot.router.total_routed >= 4);
      assert.ok(snapshot.writer.enqueued >= 3);
      const me = snapshot.actors.find((a) => a.name === snapshot.client.subscriber);
      assert.ok(me, "the client's own subscriber is among the actors");
      assert.equal(me.mailboxCapacity, 256);
      assert.equal(snapshot.client.dropped, 0);
      for (const key of ["steps_per_s", "routed_per_s", "written_per_s", "published_per_s"]) {
        assert.equal(typeof snapshot.rates[key as keyof typeof snapshot.rates], "number");
      }
    } finally {
      await reader.cancel();
    }
  });
});

Deno.test("a client that stops reading loses its oldest events, never blocking the bus", async () => {
  await withInspector(async ({ url, tasker }) => {
    const response = await fetch(`${url}/events/stream?pattern=load.*`);
    const reader = new SseReader(response);
    try {
      await reader.until((f) => f.event === "ready");
      // One synchronous burst: the client's subscriber cannot run in between, so everything
      // beyond its mailbox is dropped oldest-first while publish returns at once each time.
      let dropped = 0;
      for (let i = 1; i <= 500; i++) {
        dropped += tasker.bus.publish(syntheticEvent(`load.n_${i}`)).dropped;
      }
      assert.equal(dropped, 496, "each publish beyond the mailbox evicts the oldest event");
      await reader.until((f) => f.event === "domain_event" && f.data.includes('"load.n_500"'));
      assert.deepEqual(reader.eventNames(), [
        "load.n_497",
        "load.n_498",
        "load.n_499",
        "load.n_500",
      ]);
      const stats = await reader.until((f) => f.event === "stats");
      assert.equal(JSON.parse(stats.data).client.dropped, 496, "the page is told what it lost");
    } finally {
      await reader.cancel();
    }
  }, { clientMailboxCapacity: 4 });
});

Deno.test("a client that goes away leaves the bus, and close() ends the others", async () => {
  await withInspector(async ({ url, tasker, routes }) => {
    const first = new SseReader(await fetch(`${url}/events/stream`));
    const second = new SseReader(await fetch(`${url}/events/stream?pattern=*`));
    await first.until((f) => f.event === "ready");
    await second.until((f) => f.event === "ready");
    assert.equal(inspectorClients(tasker).length, 2);

    await first.cancel();
    await eventually(() => inspectorClients(tasker).length === 1, "the first client left");

    await routes.close();
    assert.equal(inspectorClients(tasker).length, 0);
    while (await second.next() !== undefined) { /* read what was queued, then the end */ }
    assert.ok(second.done, "close() ended the open stream");

    const late = await fetch(`${url}/events/stream`);
    assert.equal(late.status, 503);
    await late.body?.cancel();
  });
});

Deno.test("keep-alive comments flow on an idle stream", async () => {
  await withInspector(async ({ url }) => {
    const reader = new SseReader(await fetch(`${url}/events/stream?pattern=nothing.here`));
    try {
      const frame = await reader.until((f) => f.comments.includes("keep-alive"));
      assert.equal(frame.data, "");
    } finally {
      await reader.cancel();
    }
  }, { keepAliveMs: 30, statsIntervalMs: 60_000 });
});

Deno.test("through serveObservability: bearer token on the stream, shutdown ends it", async () => {
  await withPglite(async (db: Database) => {
    const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "obs");
    const tasker = await openTasker(db, [template]);
    const server = serveObservability(tasker, { port: 0, token: "s3cret" });
    try {
      const auth = { authorization: "Bearer s3cret" };
      const page = await fetch(`${server.url}/`, { headers: auth });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /live inspector/);
      const refused = await fetch(`${server.url}/events/stream`);
      assert.equal(refused.status, 401, "the stream needs the token");
      await refused.body?.cancel();
      const reader = new SseReader(await fetch(`${server.url}/events/stream`, { headers: auth }));
      await reader.until((f) => f.event === "ready");
      const health = await fetch(`${server.url}/health/live`);
      assert.equal(health.status, 200, "the server's own routes still answer");
      await health.body?.cancel();
      await server.close();
      while (await reader.next() !== undefined) { /* drain to the end */ }
      assert.ok(reader.done, "closing the server ended the stream");
      assert.equal(inspectorClients(tasker).length, 0);
    } finally {
      await server.close();
      await tasker.close();
    }
  });
});
