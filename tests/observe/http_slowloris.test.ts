// Slow-loris: connections that send their request headers too slowly (or not at all) are closed
// after the header timeout, while the server keeps answering, and an idle keep-alive connection
// between requests is not mistaken for one. Raw TCP on localhost, bounded loops.
import assert from "node:assert/strict";
import { serveObservability } from "../../src/observe/server.ts";
import { withPglite } from "../_db.ts";
import { exampleTemplate, openTasker } from "../worker/_engine.ts";
import { get } from "./_helpers.ts";

const LINEAR = "linear_workflow/mathematical_sequence.yaml";
const HEADER_TIMEOUT_MS = 300;
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until the server closes the connection (true) or `waitMs` passes (false). */
async function closedWithin(
  conn: Deno.Conn,
  waitMs: number,
): Promise<{ closed: boolean; text: string }> {
  const buffer = new Uint8Array(4096);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), waitMs));
  try {
    for (;;) {
      const result = await Promise.race([conn.read(buffer), late]);
      if (result === "late") return { closed: false, text };
      if (result === null) return { closed: true, text };
      text += new TextDecoder().decode(buffer.subarray(0, result));
    }
  } catch {
    return { closed: true, text }; // reset by the server: closed as well
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("connections that send headers too slowly are closed; the server keeps serving", async () => {
  await withPglite(async (db) => {
    await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
    await using server = serveObservability(tasker, {
      port: 0,
      inspector: false,
      headerTimeoutMs: HEADER_TIMEOUT_MS,
    });
    const { port } = server.addr;
    const connect = () => Deno.connect({ hostname: "127.0.0.1", port });

    // 60 slow-loris clients: a partial head, then one more header byte every 50 ms, for ever.
    const lorises = await Promise.all(Array.from({ length: 60 }, connect));
    const silent = await Promise.all(Array.from({ length: 10 }, connect)); // never send a byte
    for (const conn of lorises) {
      await conn.write(encoder.encode("GET /health HTTP/1.1\r\nHost: x\r\n"));
    }
    let dribbling = true;
    const dribble = (async () => {
      for (let round = 0; dribbling && round < 400; round++) {
        await sleep(50);
        for (const conn of lorises) await conn.write(encoder.encode("X")).catch(() => 0);
      }
    })();
    try {
      // While they hang on, real requests are answered.
      assert.equal((await get(server.url, "/health/live")).status, 200);
      // Generous bound: 30 header timeouts. Before the front, none was ever closed.
      const results = await Promise.all(
        [...lorises, ...silent].map((conn) => closedWithin(conn, HEADER_TIMEOUT_MS * 30)),
      );
      const open = results.filter((r) => !r.closed).length;
      assert.equal(open, 0, `${open} of ${results.length} slow connections still open`);
      assert.ok(
        results.every((r) => r.text === "" || r.text.startsWith("HTTP/1.1 408")),
        "a timed-out first request gets 408 or nothing",
      );
      assert.equal((await get(server.url, "/health/live")).status, 200);
    } finally {
      dribbling = false;
      await dribble;
      for (const conn of [...lorises, ...silent]) conn.close();
    }
  });
});

Deno.test("a keep-alive connection idle between requests, and a slow but timely head, are served", async () => {
  await withPglite(async (db) => {
    await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
    await using server = serveObservability(tasker, {
      port: 0,
      inspector: false,
      headerTimeoutMs: HEADER_TIMEOUT_MS,
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    try {
      const request = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
      const readResponse = async () => {
        const buffer = new Uint8Array(8192);
        let text = "";
        for (let reads = 0; reads < 50 && !/\r\n\r\n[\s\S]*\}\n$/.test(text); reads++) {
          const n = await conn.read(buffer);
          if (n === null) break;
          text += new TextDecoder().decode(buffer.subarray(0, n));
        }
        return text;
      };
      await conn.write(encoder.encode(request));
      assert.match(await readResponse(), /^HTTP\/1.1 200/);
      // Idle for several header timeouts: the clock of the next head starts with its first byte.
      await sleep(HEADER_TIMEOUT_MS * 4);
      // The next head arrives in two parts, within the timeout.
      await conn.write(encoder.encode(request.slice(0, 10)));
      await sleep(HEADER_TIMEOUT_MS / 4);
      await conn.write(encoder.encode(request.slice(10)));
      assert.match(await readResponse(), /^HTTP\/1.1 200/);
    } finally {
      conn.close();
    }
  });
});

Deno.test("oversized heads get 431, stalled bodies and idle keep-alive connections are closed", async () => {
  await withPglite(async (db) => {
    await using tasker = await openTasker(db, [await exampleTemplate(LINEAR)]);
    await using server = serveObservability(tasker, {
      port: 0,
      inspector: false,
      headerTimeoutMs: HEADER_TIMEOUT_MS,
      idleTimeoutMs: HEADER_TIMEOUT_MS * 2,
    });
    const connect = () => Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });

    // The size limit, not the clock: a server whose header timeout cannot fire first (on a
    // loaded machine the 40 kB may arrive slower than HEADER_TIMEOUT_MS allows).
    {
      await using patient = serveObservability(tasker, {
        port: 0,
        inspector: false,
        headerTimeoutMs: 60_000,
      });
      const huge = await Deno.connect({ hostname: "127.0.0.1", port: patient.addr.port });
      await huge.write(encoder.encode(`GET /health HTTP/1.1\r\nX-Big: ${"a".repeat(40_000)}`));
      const refused = await closedWithin(huge, HEADER_TIMEOUT_MS * 30);
      huge.close();
      assert.ok(refused.closed, "an oversized head closes the connection");
      assert.match(refused.text, /^HTTP\/1.1 431/);
    }

    // A body announced and never sent in full: dropped like a slow head.
    const stalled = await connect();
    await stalled.write(
      encoder.encode("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"),
    );
    assert.ok((await closedWithin(stalled, HEADER_TIMEOUT_MS * 30)).closed, "a stalled body");
    stalled.close();

    // A complete body passes through the front: the server answers (405 for POST /metrics).
    const posted = await connect();
    await posted.write(
      encoder.encode(
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
      ),
    );
    const answer = await closedWithin(posted, HEADER_TIMEOUT_MS * 30);
    posted.close();
    assert.match(answer.text, /^HTTP\/1.1 405/);

    // Idle between requests for longer than idleTimeoutMs: closed.
    const idle = await connect();
    await idle.write(encoder.encode("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
    const first = await closedWithin(idle, HEADER_TIMEOUT_MS * 30);
    idle.close();
    assert.ok(first.closed, "an idle keep-alive connection is closed");
    assert.match(first.text, /^HTTP\/1.1 200/, "after its response");
  });
});
