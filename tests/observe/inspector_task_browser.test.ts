// The inspector's task view in a real browser (Debian's Chromium, headless, driven with
// puppeteer-core): a task opened from the live page shows its DAG, timeline, results and its
// durable event with the payload; a running task is cancelled and a failed one retried from its
// page, token and all.
// Skipped with a message when /usr/bin/chromium is absent or may not be started.
import assert from "node:assert/strict";
import type { Database } from "../../src/durable/db/database.ts";
import { serveObservability } from "../../src/observe/server.ts";
import { withPglite } from "../_db.ts";
import { gatedTemplate, gateSwitch, openGatedTasker } from "./_task_fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "page-token";

declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
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
  console.log(`inspector_task_browser.test.ts: skipping the browser test: ${skipReason}`);
}

Deno.test({
  name: "the task view draws the DAG, shows results and events, cancels and retries tasks",
  ignore: skipReason !== undefined,
  async fn() {
    const { default: puppeteer } = await import("npm:puppeteer-core@25.16.0");
    await withPglite(async (db: Database) => {
      const template = gatedTemplate();
      const ns = template.namespace_name;
      const tasker = await openGatedTasker(db, template);
      const server = serveObservability(tasker, { port: 0, token: TOKEN });
      const profile = await Deno.makeTempDir({ prefix: "inspector-task-chromium-" });
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

        // From the live page: a finished task in "Recent tasks" opens its view.
        await page.goto(`${server.url}/#token=${TOKEN}`);
        await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
        const passed = await tasker.submit({
          namespace: ns,
          name: "gated",
          context: { mode: "pass" },
        });
        await tasker.waitFor(passed.task_uuid, { timeoutMs: 20_000 });
        await tasker.flush();
        const link = `a.open-task[href="/tasks/${passed.task_uuid}#token=${TOKEN}"]`;
        await page.waitForSelector(link);
        // The list is redrawn every stats tick: find and click the link in one step.
        await Promise.all([
          page.waitForNavigation(),
          page.$eval(link, (a) => (a as unknown as { click(): void }).click()),
        ]);
        assert.equal(new URL(page.url()).pathname, `/tasks/${passed.task_uuid}`);

        // The graph: one node per step with its state, one edge per dependency.
        await page.waitForSelector('#dag g.node[data-step="after"][data-state="complete"]');
        assert.deepEqual(
          await page.$$eval(
            "#dag g.node",
            (nodes) =>
              nodes.map((n) => [n.getAttribute("data-step"), n.getAttribute("data-state")]),
          ),
          [["gate", "complete"], ["after", "complete"]],
        );
        assert.deepEqual(
          await page.$$eval(
            "#dag path.edge",
            (edges) => edges.map((e) => [e.getAttribute("data-from"), e.getAttribute("data-to")]),
          ),
          [["gate", "after"]],
        );
        assert.equal(await page.$$eval("#timeline-svg rect.bar", (bars) => bars.length), 2);
        const results = await page.$eval(
          '#steps tr[data-step="gate"]',
          (row) => row.textContent ?? "",
        );
        assert.match(results, /"opened"/);
        // The durable event, with its payload.
        await page.waitForSelector('#events tr[data-name="gated.passed"][data-mode="durable"]');
        const eventRow = await page.$eval(
          '#events tr[data-name="gated.passed"]',
          (row) => row.textContent ?? "",
        );
        assert.match(eventRow, /in \S+_domain_events/);
        assert.match(eventRow, /"after"/, "the payload shows the step's result");
        assert.equal(
          await page.$eval("#cancel", (b) => (b as unknown as { disabled: boolean }).disabled),
          true,
        );

        // A running task: cancelled from its page.
        const waiting = await tasker.submit({
          namespace: ns,
          name: "gated",
          context: { mode: "wait" },
        });
        await page.goto(`${server.url}/tasks/${waiting.task_uuid}#token=${TOKEN}`);
        await page.waitForSelector('#dag g.node[data-step="gate"][data-state="in_progress"]');
        await page.waitForFunction(() =>
          document.getElementById("status")?.textContent === "in_progress"
        );
        // Tasker's derived state beside the stored one: the gate's handler is running.
        await page.waitForFunction(() =>
          document.getElementById("tasker-state")?.textContent === "tasker: steps_in_process"
        );
        await page.click("#cancel");
        await page.waitForFunction(() =>
          document.getElementById("status")?.textContent === "cancelled"
        );
        await page.waitForSelector('#dag g.node[data-step="gate"][data-state="cancelled"]');
        assert.match(
          await page.$eval("#action-result", (e) => e.textContent ?? ""),
          /cancel: task cancelled/,
        );
        assert.equal((await tasker.task(waiting.task_uuid)).status, "cancelled");

        // A failed task: retried from its page, it completes.
        gateSwitch.failing = true;
        const failing = await tasker.submit({
          namespace: ns,
          name: "gated",
          context: { mode: "fail" },
        });
        await tasker.waitFor(failing.task_uuid, { timeoutMs: 20_000 });
        await page.goto(`${server.url}/tasks/${failing.task_uuid}#token=${TOKEN}`);
        await page.waitForSelector('#dag g.node[data-step="gate"][data-state="error"]');
        assert.match(
          await page.$eval('#steps tr[data-step="gate"]', (row) => row.textContent ?? ""),
          /the gate is shut/,
        );
        await page.waitForFunction(() =>
          document.getElementById("tasker-state")?.textContent === "tasker: blocked_by_failures"
        );
        gateSwitch.failing = false;
        await page.click("#retry");
        await page.waitForFunction(() =>
          document.getElementById("status")?.textContent === "complete"
        );
        await page.waitForSelector('#dag g.node[data-step="after"][data-state="complete"]');

        // Without the token the page says so instead of showing data.
        await page.goto(`${server.url}/tasks/${waiting.task_uuid}`);
        await page.waitForFunction(() =>
          (document.getElementById("error")?.textContent ?? "").includes("unauthorized")
        );
        assert.deepEqual(pageErrors, [], "no script error on the page");
      } finally {
        await browser.close();
        await server.close();
        await tasker.close();
        await Deno.remove(profile, { recursive: true });
      }
    });
  },
});
