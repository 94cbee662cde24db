// The cron parser: fields, lists, ranges, steps, names, macros, Vixie's day rule, time zones
// across daylight-saving changes, and errors that name the field and value.
import assert from "node:assert/strict";
import { CronSyntaxError, parseCron } from "../../src/cron.ts";

const next = (expr: string, after: string, zone?: string) =>
  parseCron(expr, zone).next(new Date(after))?.toISOString();

/** The first `n` occurrences after `after`. */
function series(expr: string, after: string, n: number, zone?: string): string[] {
  const cron = parseCron(expr, zone);
  const out: string[] = [];
  let at = new Date(after);
  for (let i = 0; i < n; i++) {
    at = cron.next(at)!;
    out.push(at.toISOString());
  }
  return out;
}

Deno.test("every minute, and strictly after the given instant", () => {
  assert.equal(next("* * * * *", "2026-03-01T10:00:00Z"), "2026-03-01T10:01:00.000Z");
  assert.equal(next("* * * * *", "2026-03-01T10:00:30Z"), "2026-03-01T10:01:00.000Z");
});

Deno.test("steps, ranges and lists", () => {
  assert.deepEqual(series("*/15 * * * *", "2026-03-01T10:00:00Z", 4), [
    "2026-03-01T10:15:00.000Z",
    "2026-03-01T10:30:00.000Z",
    "2026-03-01T10:45:00.000Z",
    "2026-03-01T11:00:00.000Z",
  ]);
  assert.deepEqual(series("0-30/10 9-10 * * *", "2026-03-01T09:15:00Z", 5), [
    "2026-03-01T09:20:00.000Z",
    "2026-03-01T09:30:00.000Z",
    "2026-03-01T10:00:00.000Z",
    "2026-03-01T10:10:00.000Z",
    "2026-03-01T10:20:00.000Z",
  ]);
  assert.deepEqual(series("5 8,17 * * *", "2026-03-01T09:00:00Z", 3), [
    "2026-03-01T17:05:00.000Z",
    "2026-03-02T08:05:00.000Z",
    "2026-03-02T17:05:00.000Z",
  ]);
  // "a/n" runs from a to the field's end.
  assert.deepEqual(series("50/5 * * * *", "2026-03-01T09:00:00Z", 3), [
    "2026-03-01T09:50:00.000Z",
    "2026-03-01T09:55:00.000Z",
    "2026-03-01T10:50:00.000Z",
  ]);
});

Deno.test("month and day names, 7 as Sunday, and macros", () => {
  // 2026-03-01 is a Sunday.
  assert.equal(next("0 9 * * mon-fri", "2026-02-28T12:00:00Z"), "2026-03-02T09:00:00.000Z");
  assert.equal(next("0 9 * * 7", "2026-02-28T12:00:00Z"), "2026-03-01T09:00:00.000Z");
  assert.equal(next("0 9 * * SUN", "2026-02-28T12:00:00Z"), "2026-03-01T09:00:00.000Z");
  assert.equal(next("0 0 1 jun *", "2026-03-01T00:00:00Z"), "2026-06-01T00:00:00.000Z");
  assert.equal(next("@daily", "2026-03-01T10:00:00Z"), "2026-03-02T00:00:00.000Z");
  assert.equal(next("@hourly", "2026-03-01T10:00:00Z"), "2026-03-01T11:00:00.000Z");
  assert.equal(next("@weekly", "2026-03-02T10:00:00Z"), "2026-03-08T00:00:00.000Z");
  assert.equal(next("@yearly", "2026-03-01T10:00:00Z"), "2027-01-01T00:00:00.000Z");
});

Deno.test("day of month and day of week both restricted: either matches (Vixie cron)", () => {
  // The 13th, or any Friday: Friday 2026-03-06 comes before the 13th.
  assert.deepEqual(series("0 0 13 * fri", "2026-03-01T00:00:00Z", 3), [
    "2026-03-06T00:00:00.000Z",
    "2026-03-13T00:00:00.000Z",
    "2026-03-20T00:00:00.000Z",
  ]);
  // Only the day of month restricted: the 31st skips short months.
  assert.deepEqual(series("0 0 31 * *", "2026-03-01T00:00:00Z", 2), [
    "2026-03-31T00:00:00.000Z",
    "2026-05-31T00:00:00.000Z",
  ]);
  assert.equal(next("0 0 29 feb *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00.000Z");
  assert.equal(next("0 0 30 feb *", "2026-03-01T00:00:00Z"), undefined);
});

Deno.test("time zones: wall-clock times, across both daylight-saving changes", () => {
  // Paris is UTC+1 in winter, UTC+2 from the last Sunday of March (2026-03-29, 02:00 → 03:00).
  assert.equal(
    next("30 9 * * *", "2026-01-10T12:00:00Z", "Europe/Paris"),
    "2026-01-11T08:30:00.000Z",
  );
  assert.equal(
    next("30 9 * * *", "2026-07-10T12:00:00Z", "Europe/Paris"),
    "2026-07-11T07:30:00.000Z",
  );
  // 02:30 does not exist on 2026-03-29 in Paris: skipped, the next is the 30th.
  assert.equal(
    next("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Paris"),
    "2026-03-30T00:30:00.000Z",
  );
  // 02:30 happens twice on 2026-10-25 (03:00 → 02:00): it fires once, at the first.
  assert.deepEqual(series("30 2 * * *", "2026-10-24T12:00:00Z", 2, "Europe/Paris"), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:30:00.000Z",
  ]);
  // Hourly across the spring change: 01:00, 03:00 local (02:00 does not exist), no gap or double.
  assert.deepEqual(series("0 * * * *", "2026-03-28T23:30:00Z", 3, "Europe/Paris"), [
    "2026-03-29T00:00:00.000Z",
    "2026-03-29T01:00:00.000Z",
    "2026-03-29T02:00:00.000Z",
  ]);
  // A zone with a half-hour offset.
  assert.equal(
    next("0 9 * * *", "2026-03-01T00:00:00Z", "Asia/Kolkata"),
    "2026-03-01T03:30:00.000Z",
  );
});

Deno.test("bad expressions name the field and the value", () => {
  const cases: [string, RegExp][] = [
    ["* * * *", /expected 5 fields .* got 4/],
    ["60 * * * *", /minute "60": 60 is outside 0-59/],
    ["* 24 * * *", /hour "24": 24 is outside 0-23/],
    ["* * 0 * *", /day of month "0": 0 is outside 1-31/],
    ["* * * 13 *", /month "13"/],
    ["* * * foo *", /month "foo": "foo" is not a number or a name \(jan/],
    ["* * * * 8", /day of week "8": 8 is outside 0-7/],
    ["*/0 * * * *", /step must be a whole number from 1/],
    ["5-1 * * * *", /range 5-1 runs backwards/],
    ["1,,2 * * * *", /empty list item/],
    ["@often", /unknown macro/],
  ];
  for (const [expr, message] of cases) {
    assert.throws(
      () => parseCron(expr),
      (e: unknown) => e instanceof CronSyntaxError && message.test(e.message),
      expr,
    );
  }
  assert.throws(() => parseCron("* * * * *", "Mars/Olympus"), /unknown time zone "Mars\/Olympus"/);
});
