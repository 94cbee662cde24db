import assert from "node:assert/strict";
import { createSharedRing, RingReader, RingWriter } from "../../scripts/bench/shared_ring.ts";

Deno.test("shared ring: records come out whole and in order across many wrap-arounds", () => {
  const ring = createSharedRing(4096);
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const out: string[] = [];
  const sent: string[] = [];
  for (let i = 0; i < 2000; i++) {
    // Lengths that do not divide the ring, and multi-byte text, so records straddle the end.
    const text = `${i}:${"é€".repeat(i % 97)}`;
    assert.deepEqual(writer.write(text), true);
    sent.push(text);
    if (i % 3 === 0) {
      for (let t = reader.read(); t !== undefined; t = reader.read()) out.push(t);
    }
  }
  for (let t = reader.read(); t !== undefined; t = reader.read()) out.push(t);
  assert.deepEqual(out, sent);
  assert.deepEqual(writer.used, 0);
});

Deno.test("shared ring: a full ring refuses a record and writes nothing; reading frees room", () => {
  const ring = createSharedRing(4096);
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const text = "x".repeat(400);
  let accepted = 0;
  while (writer.write(text)) accepted++;
  const used = writer.used;
  assert.deepEqual(writer.write(text), false);
  assert.deepEqual(writer.used, used);
  // Room is reserved at 3 bytes per character (UTF-8's bound), so it takes freeing that much.
  let read = 0;
  while (!writer.write(text)) {
    assert.deepEqual(reader.read(), text);
    read++;
  }
  assert.ok(read >= 1 && read <= 3);
  while (reader.read() !== undefined) read++;
  assert.deepEqual(read, accepted + 1);
});

Deno.test("shared ring: invalid sizes and oversized records are RangeErrors", () => {
  assert.throws(
    () => createSharedRing(1000),
    (e: unknown) => e instanceof RangeError && e.message.includes("4096 to 2^30"),
  );
  assert.throws(
    () => createSharedRing(6000),
    (e: unknown) => e instanceof RangeError && e.message.includes("power of two"),
  );
  const writer = new RingWriter(createSharedRing(4096));
  assert.throws(
    () => writer.write("x".repeat(writer.maxChars + 1)),
    (e: unknown) => e instanceof RangeError && e.message.includes("at most"),
  );
});

Deno.test("shared ring: a Worker sleeping in wait() is woken by writes and reads every record in order", async () => {
  const ring = createSharedRing(1 << 16);
  const writer = new RingWriter(ring);
  const worker = new Worker(new URL("../fixtures/ring_reader_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const received: string[] = [];
    const total = 3000;
    const all = new Promise<void>((resolve) => {
      worker.onmessage = (message: MessageEvent<string>) => {
        received.push(message.data);
        if (received.length === total) resolve();
      };
    });
    worker.postMessage(ring);
    const sent: string[] = [];
    for (let i = 0; i < total; i++) {
      const text = JSON.stringify({ seq: i, pad: "p".repeat(i % 300) });
      sent.push(text);
      // The ring may fill while the Worker is behind: yield to let it drain, then retry.
      while (!writer.write(text)) await new Promise((resolve) => setTimeout(resolve, 1));
      // Pauses let the Worker empty the ring and go to sleep, so wake-ups are exercised too.
      if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await all;
    assert.deepEqual(received, sent);
  } finally {
    worker.terminate();
  }
});
