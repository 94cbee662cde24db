import assert from "node:assert/strict";
import {
  compilePattern,
  InvalidPatternError,
  matchPattern,
  toPgmqPattern,
} from "../../src/bus/pattern.ts";
import { TaskerError } from "../../src/errors.ts";

/** [pattern, event name, expected match] */
const TABLE: Array<[string, string, boolean]> = [
  ["*", "a.b", true],
  ["#", "a.b", true],
  ["*", "a.b.c.d", true],
  ["#", "a.b.c.d", true],
  ["a.*", "a.b", true],
  ["a.*", "a.b.c", false],
  ["a.*", "b.a", false],
  ["a.#", "a.b", true],
  ["a.#", "a.b.c", true],
  ["a.#", "b.a.c", false],
  ["#.failed", "payment.failed", true],
  ["#.failed", "payment.x.failed", true],
  ["#.failed", "payment.failed.not", false],
  ["a.#.c", "a.x.c", true],
  ["a.#.c", "a.x.y.c", true],
  ["a.#.c", "a.c", false],
  ["a.#.c", "a.x.y.d", false],
  ["*.*", "a.b", true],
  ["*.*", "a.b.c", false],
  ["*.b", "a.b", true],
  ["*.b", "a.b.c", false],
  ["*.b", "a.c", false],
  ["payment.processed", "payment.processed", true],
  ["payment.processed", "payment.processed.x", false],
  ["payment.processed", "payment.failed", false],
  ["payment.processed", "order.processed", false],
  ["#.#", "a.b", true],
  ["#.#", "a.b.c", true],
  ["a.#.#", "a.b", false],
  ["a.#.#", "a.b.c", true],
  ["a.#.#", "a.b.c.d", true],
  ["#.b.#", "a.b.c", true],
  ["#.b.#", "x.y.b.z.w", true],
  ["#.b.#", "a.b", false],
  ["#.b.#", "b.c", false],
  ["*.#", "a.b", true],
  ["*.#", "a.b.c", true],
  ["#.*.c", "a.b.c", true],
  ["#.*.c", "a.c", false],
  ["a.*.#", "a.b", false],
  ["a.*.#", "a.b.c", true],
  ["a.b.*", "a.b.c", true],
  ["a.b.*", "a.bc.c", false],
  ["order_1.*", "order_1.created", true],
];

Deno.test("patterns follow PGMQ topic semantics (conformance table)", () => {
  for (const [pattern, name, expected] of TABLE) {
    assert.equal(matchPattern(pattern, name), expected, `${pattern} vs ${name}`);
    assert.equal(compilePattern(pattern).test(name), expected, `compiled ${pattern} vs ${name}`);
  }
});

Deno.test("compilePattern exposes segments and the match-all flag", () => {
  const all = compilePattern("*");
  assert.equal(all.matchesAll, true);
  assert.equal(compilePattern("#").matchesAll, true);
  const some = compilePattern("payment.#");
  assert.equal(some.matchesAll, false);
  assert.deepEqual(some.segments, ["payment", "#"]);
  assert.equal(some.source, "payment.#");
});

Deno.test("invalid patterns are rejected with a typed error naming pattern and reason", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /empty/],
    ["a..b", /segment 2 is empty/],
    [".a", /segment 1 is empty/],
    ["a.", /segment 2 is empty/],
    ["a.**", /"\*\*"/],
    ["##.b", /"##"/],
    ["pay*", /mixes a wildcard/],
    ["a#", /mixes a wildcard/],
    ["a.*#", /mixes a wildcard/],
    ["Payment.x", /contains "P"/],
    ["a.b-c", /contains "-"/],
    ["a b", /contains " "/],
  ];
  for (const [pattern, reason] of cases) {
    assert.throws(
      () => compilePattern(pattern),
      (error: unknown) => {
        assert.ok(error instanceof InvalidPatternError, `${pattern} gives InvalidPatternError`);
        assert.ok(error instanceof TaskerError);
        assert.equal(error.code, "E_INVALID_PATTERN");
        assert.equal(error.pattern, pattern);
        assert.match(error.message, reason);
        assert.ok(error.message.includes(JSON.stringify(pattern)), error.message);
        return true;
      },
    );
    assert.throws(() => matchPattern(pattern, "a.b"), InvalidPatternError);
  }
});

Deno.test("toPgmqPattern translates the bare * and validates", () => {
  assert.equal(toPgmqPattern("*"), "#");
  assert.equal(toPgmqPattern("#"), "#");
  assert.equal(toPgmqPattern("payment.*"), "payment.*");
  assert.equal(toPgmqPattern("a.#.c"), "a.#.c");
  assert.throws(() => toPgmqPattern("pay*"), InvalidPatternError);
});

Deno.test("matchPattern keeps working past its cache limit", () => {
  for (let i = 0; i < 1100; i++) {
    assert.equal(matchPattern(`ns${i}.*`, `ns${i}.created`), true);
  }
  assert.equal(matchPattern("ns0.*", "ns1.created"), false);
});

/** A plain recursive reference matcher, independent of the DP in pattern.ts. */
function reference(pattern: string[], names: string[]): boolean {
  if (pattern.length === 0) return names.length === 0;
  const [head, ...rest] = pattern;
  if (head === "#") {
    for (let take = 1; take <= names.length; take++) {
      if (reference(rest, names.slice(take))) return true;
    }
    return false;
  }
  if (names.length === 0) return false;
  return (head === "*" || head === names[0]) && reference(rest, names.slice(1));
}

Deno.test("the matcher agrees with a recursive reference on every small pattern", () => {
  const alphabet = ["a", "b", "*", "#"];
  const patterns: string[][] = [];
  const build = (prefix: string[]) => {
    if (prefix.length > 0) patterns.push(prefix);
    if (prefix.length === 4) return;
    for (const symbol of alphabet) build([...prefix, symbol]);
  };
  build([]);
  const names: string[][] = [];
  const buildNames = (prefix: string[]) => {
    if (prefix.length >= 2) names.push(prefix);
    if (prefix.length === 5) return;
    for (const symbol of ["a", "b"]) buildNames([...prefix, symbol]);
  };
  buildNames([]);
  let checked = 0;
  for (const pattern of patterns) {
    const source = pattern.join(".");
    if (source === "*" || source === "#") continue; // the documented "every event" case
    const compiled = compilePattern(source);
    for (const name of names) {
      assert.equal(compiled.test(name.join(".")), reference(pattern, name), `${source} vs ${name}`);
      checked++;
    }
  }
  assert.ok(checked > 10_000);
});
