// The inspector page in a real browser: Debian's Chromium, headless, launched by the test and
// driven with puppeteer-core (no browser download). Skipped with a message when /usr/bin/chromium
// is absent or the test runs without permission to start it.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { inspectorRoutes } from "../../src/observe/inspector.ts";
import { withPglite } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { serveRoutes, syntheticEvent } from "./_inspector_helpers.ts";

const CHROMIUM = "/usr/bin/chromium";

// The callbacks below run in the page; Deno's type library has no DOM, so declare what they use.
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
};

function browserUnavailable(): string | undefined {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    return `${CHROMIUM} is not installed (apt-get install -y chromium)`;
  }
  const run = Deno.permissions.querySync({ name: "run", command: CHROMIUM }).state;
  if (run !== "granted") return `no permission to start it (grant --allow-run=${CHROMIUM})`;
  return undefined;
}

const skipReason = browserUnavailable();
if (skipReason !== undefined) {
  console.log(`inspector_browser.test.ts: skipping the browser test: ${skipReason}`);
}

Deno.test({
  name: "the inspector page shows live events in Chromium and its filter narrows them",
  ignore: skipReason !== undefined,
  async fn() {
    const { default: puppeteer } = await import("npm:puppeteer-core@25.16.0");
    await withPglite(async (db: Database) => {
      const template = await exampleTemplate("domain_events/domain_event_publishing.yaml", "web");
      const tasker = await openTasker(db, [template]);
      const routes = inspectorRoutes(tasker, { statsIntervalMs: 200 });
      const { url, server } = serveRoutes(routes);
      const profile = await Deno.makeTempDir({ prefix: "inspector-chromium-" });
      const browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          `--user-data-dir=${profile}`,
        ],
      });
      try {
        const page = await browser.newPage();
        page.setDefaultTimeout(15_000);
        const pageErrors: string[] = [];
        page.on("pageerror", (error) => pageErrors.push(String(error)));
        await page.goto(`${url}/`);
        await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");

        const submit = () =>
          tasker.submit({
            namespace: template.namespace_name,
            name: template.name,
            context: { order_id: "ORD-9", customer_id: "C-9", amount: 19.5 },
          });
        const rowNames = (): Promise<string[]> =>
          page.$$eval(
            "#events tr.event",
            (rows) => rows.map((row) => row.getAttribute("data-name") ?? ""),
          );

        // Events arrive: every event the task fires on the bus shows up as a row.
        const first = await submit();
        await page.waitForSelector('#events tr[data-name="notification.sent"]');
        assert.deepEqual(
          (await rowNames()).sort(),
          ["notification.sent", "order.validated", "payment.processed"],
        );
        // The periodic stats fill the side panels: actors, throughput, the task's steps.
        await page.waitForFunction(
          (uuid: string) => document.getElementById("tasks")?.textContent?.includes(uuid),
          {},
          first.task_uuid.slice(-12),
        );
        const actors = await page.$$eval("#actors tr", (rows) => rows.length);
        assert.ok(actors >= 1, "the page lists the bus's actors");
        assert.ok(await page.$("#rate-written_per_s"), "the page shows writer throughput");

        // The filter: only matching events are shown afterwards.
        await page.type("#pattern", "payment.#");
        await page.click("#apply");
        await page.waitForFunction(() =>
          document.getElementById("filter-note")?.textContent === "showing payment.#"
        );
        assert.deepEqual(await rowNames(), [], "applying a filter starts a fresh list");
        const second = await submit();
        await tasker.waitFor(second.task_uuid, { timeoutMs: 20_000 });
        // Published after the task's own events: once it shows, they have all been through.
        tasker.bus.publish(syntheticEvent("payment.marker", template.namespace_name));
        await page.waitForSelector('#events tr[data-name="payment.marker"]');
        assert.deepEqual(await rowNames(), ["payment.marker", "payment.processed"]);

        // An invalid pattern: the server refuses it and the page says why.
        await page.click("#pattern", { count: 3 });
        await page.type("#pattern", "pay*");
        await page.click("#apply");
        await page.waitForFunction(() =>
          (document.getElementById("filter-error")?.textContent ?? "").includes(
            "invalid event pattern",
          )
        );
        assert.deepEqual(pageErrors, [], "no script error on the page");
      } finally {
        await browser.close();
        await routes.close();
        await server.shutdown();
        await tasker.close();
        await Deno.remove(profile, { recursive: true });
      }
    });
  },
});
