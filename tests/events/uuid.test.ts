import assert from "node:assert/strict";
import { InvalidUuidError, isUuid, uuidv7, uuidv7Timestamp } from "../../src/events/uuid.ts";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("uuidv7 is canonical lowercase with version 7 and the RFC 9562 variant", () => {
  for (let i = 0; i < 1000; i++) {
    const id = uuidv7();
    assert.match(id, V7);
    const variantNibble = parseInt(id[19]!, 16);
    assert.equal(variantNibble >> 2, 0b10, `variant bits of ${id}`);
    assert.equal(id[14], "7");
  }
});

Deno.test("10k ids generated in a tight loop sort in generation order and are unique", () => {
  const ids: string[] = [];
  for (let i = 0; i < 10_000; i++) ids.push(uuidv7());
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids);
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
  }
});

Deno.test("uuidv7Timestamp returns the generation time in milliseconds", () => {
  const before = Date.now();
  const id = uuidv7();
  const after = Date.now();
  const ms = uuidv7Timestamp(id);
  // The counter may have pushed the timestamp a few ms ahead after an overflow, never behind.
  assert.ok(ms >= before, `${ms} >= ${before}`);
  assert.ok(ms <= after + 100, `${ms} close to ${after}`);
});

Deno.test("uuidv7Timestamp decodes a known id and its 48-bit timestamp", () => {
  // The RFC 9562 appendix A.6 example: 2022-02-22T19:22:22Z = 0x017F22E279B0.
  assert.equal(uuidv7Timestamp("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"), 0x017f22e279b0);
  assert.equal(
    new Date(uuidv7Timestamp("017F22E2-79B0-7CC3-98C4-DC0C0C07398F")).toISOString(),
    "2022-02-22T19:22:22.000Z",
  );
});

Deno.test("uuidv7Timestamp rejects non-v7 ids and garbage with a typed error", () => {
  assert.throws(() => uuidv7Timestamp(crypto.randomUUID()), InvalidUuidError);
  assert.throws(
    () => uuidv7Timestamp("nope"),
    (error: unknown) =>
      error instanceof InvalidUuidError && error.value === "nope" &&
      error.message.includes('"nope"'),
  );
});

Deno.test("isUuid accepts canonical UUIDs of any version and rejects the rest", () => {
  assert.equal(isUuid(uuidv7()), true);
  assert.equal(isUuid(crypto.randomUUID()), true);
  assert.equal(isUuid(crypto.randomUUID().toUpperCase()), true);
  assert.equal(isUuid("00000000-0000-0000-0000-000000000000"), true);
  assert.equal(isUuid("0193-not-a-uuid"), false);
  assert.equal(isUuid(`{${crypto.randomUUID()}}`), false);
  assert.equal(isUuid(crypto.randomUUID().replaceAll("-", "")), false);
  assert.equal(isUuid(42), false);
  assert.equal(isUuid(undefined), false);
});

Deno.test("with the clock frozen or going back, ids stay ordered and the counter overflows into the timestamp", () => {
  const realNow = Date.now;
  const frozen = realNow();
  try {
    Date.now = () => frozen;
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(uuidv7());
    Date.now = () => frozen - 60_000;
    for (let i = 0; i < 100; i++) ids.push(uuidv7());
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    // At most 4096 ids fit in one millisecond, so 10k ids on a frozen clock span several.
    assert.ok(uuidv7Timestamp(ids.at(-1)!) >= frozen + 2);
  } finally {
    Date.now = realNow;
  }
});
