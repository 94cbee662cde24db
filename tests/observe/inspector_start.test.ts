// `deno task start --serve`: the demo keeps running behind the inspector, prints its URL, keeps
// events flowing, and stops cleanly on SIGINT.
import assert from "node:assert/strict";
import type { DomainEvent } from "../../src/events/types.ts";
import { SseReader, withDeadline } from "./_inspector_helpers.ts";

const START = new URL("../../src/cli/start.ts", import.meta.url).pathname;

Deno.test({
  name: "start --serve prints the inspector URL, streams events and stops on SIGINT",
  ignore: Deno.permissions.querySync({ name: "run", command: "deno" }).state !== "granted",
  async fn() {
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=127.0.0.1",
        START,
        "--serve",
        "--port",
        "0",
      ],
      env: { NO_COLOR: "1", OTEL_DENO: "" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let printed = "";
    let reader: SseReader | undefined;
    try {
      let url: string | undefined;
      while (url === undefined) {
        const chunk = await withDeadline(lines.read(), 60_000, "the inspector URL");
        if (chunk.done) throw new Error(`start exited early:\n${printed}\n${await stderr}`);
        printed += chunk.value;
        url = /inspector: (http:\/\/127\.0\.0\.1:\d+)\//.exec(printed)?.[1];
      }
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /live inspector/);
      reader = new SseReader(await fetch(`${url}/events/stream?pattern=payment.*`));
      // Events keep flowing after the example tasks: wait for two distinct tasks' payments.
      const tasks = new Set<string>();
      await reader.until((frame) => {
        if (frame.event !== "domain_event") return false;
        tasks.add((JSON.parse(frame.data) as DomainEvent).metadata.task_uuid);
        return tasks.size >= 2;
      }, 30_000);
      child.kill("SIGINT");
      while (await reader.next(30_000) !== undefined) { /* the stream ends at shutdown */ }
      const status = await withDeadline(child.status, 30_000, "the demo to exit");
      for (;;) {
        const chunk = await lines.read();
        if (chunk.done) break;
        printed += chunk.value;
      }
      assert.equal(status.code, 0, `${printed}\n${await stderr}`);
      assert.match(printed, /stopping: \d+ tasks submitted/);
    } finally {
      await reader?.cancel();
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await lines.cancel().catch(() => {});
      await child.status;
      await stderr;
    }
  },
});
