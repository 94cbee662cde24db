// HTTP hardening that needs no sockets: the inspector reads its token from the URL fragment only
// (a query string reaches the server and its logs), and redactUrl hides query-string passwords.
import assert from "node:assert/strict";
import { redactUrl } from "../../src/durable/db/pg_url.ts";
import { inspectorPage } from "../../src/observe/inspector_page.ts";

/** Runs the page script's token line against a fake `location`. */
function pageToken(location: { search: string; hash: string }): string | null {
  const script = inspectorPage("n");
  const line = /^const token = .*$/m.exec(script)?.[0];
  assert.ok(line !== undefined, "the page script defines its token in one line");
  const params = new URLSearchParams(location.search);
  return new Function("location", "params", `${line}\nreturn token;`)(location, params);
}

Deno.test("the inspector takes its token from the URL fragment, never the query string", () => {
  assert.equal(pageToken({ search: "", hash: "#token=from-fragment" }), "from-fragment");
  assert.equal(pageToken({ search: "?token=from-query", hash: "" }), null);
  assert.equal(
    pageToken({ search: "?token=from-query", hash: "#token=from-fragment" }),
    "from-fragment",
  );
  assert.equal(pageToken({ search: "?pattern=a.%23&token=q", hash: "#x=1" }), null);
});

Deno.test("redactUrl hides passwords in the user info and in the query string", () => {
  const cases: [string, string][] = [
    ["postgres://app:s3cret@db:5432/tasker", "postgres://app:***@db:5432/tasker"],
    ["postgres://db:5432/tasker?password=s3cret", "postgres://db:5432/tasker?password=***"],
    [
      "postgres://app@db/tasker?sslmode=require&password=s3cret&application_name=w",
      "postgres://app@db/tasker?sslmode=require&password=***&application_name=w",
    ],
    ["postgres://db/tasker?PASSWORD=s3cret#frag", "postgres://db/tasker?PASSWORD=***#frag"],
    ["postgres://db/tasker?sslpassword=k3y", "postgres://db/tasker?sslpassword=***"],
    ["postgres://u:p@w@db/x?password=s3cret", "postgres://u:***@db/x?password=***"],
    // Not a URL: still scrubbed.
    ["not a url //u:pw@h?password=s3cret&x=1", "not a url //u:***@h?password=***&x=1"],
  ];
  for (const [input, expected] of cases) {
    const output = redactUrl(input);
    assert.equal(output, expected, input);
    assert.ok(!output.includes("s3cret") && !output.includes("k3y"), output);
  }
  assert.equal(
    redactUrl("postgres://db/tasker?user=password"),
    "postgres://db/tasker?user=password",
  );
});
