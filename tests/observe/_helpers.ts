// Helpers for the observability tests: a database whose connection can be cut (to see health
// turn unhealthy without destroying the test's database), polling, and a domain event factory.
import type { Database, Queryable } from "../../src/durable/db/database.ts";
import { buildDomainEvent } from "../../src/events/envelope.ts";
import type { DomainEvent } from "../../src/events/types.ts";

/** A Database that forwards to `db` until `cut()`: then every query fails, until `restore()`. */
export interface CuttableDatabase extends Database {
  cut(mode?: "fail" | "hang"): void;
  restore(): void;
}

/**
 * Wraps `db`. `cut("fail")` makes queries reject at once; `cut("hang")` makes them wait until
 * `restore()` (then they reject), like a server that stopped answering.
 */
export function cuttable(db: Database): CuttableDatabase {
  let mode: "up" | "fail" | "hang" = "up";
  const hung = new Set<(error: Error) => void>();
  const gate = <T>(run: () => Promise<T>): Promise<T> => {
    if (mode === "up") return run();
    if (mode === "fail") return Promise.reject(new Error("connection refused (test cut)"));
    return new Promise<T>((_, reject) => {
      hung.add(reject);
    });
  };
  return {
    get kind() {
      return db.kind;
    },
    query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      return gate(() => db.query<T>(sql, params));
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return gate(() => db.transaction(fn));
    },
    listen(channel, onNotify) {
      return db.listen(channel, onNotify);
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
    cut(next = "fail") {
      mode = next;
    },
    restore() {
      mode = "up";
      for (const reject of hung) reject(new Error("connection reset (test restore)"));
      hung.clear();
    },
  };
}

/** Polls `check` every 5 ms until it returns a value other than undefined (at most `ms`). */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 5000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A valid domain event named `name` in `namespace`. */
export function domainEvent(name: string, namespace = "observe_test"): DomainEvent {
  return buildDomainEvent({
    event_name: name,
    payload: { n: 1 },
    task_sequence_step: {},
    execution_result: { success: true },
    metadata: {
      task_uuid: crypto.randomUUID(),
      step_uuid: crypto.randomUUID(),
      step_name: "probe",
      namespace,
      correlation_id: crypto.randomUUID(),
      fired_by: "observe.test",
    },
  });
}

/** GETs `path` on `base` with an optional bearer token; returns status, headers and body text. */
export async function get(
  base: string,
  path: string,
  init: { token?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${base}${path}`, { method: init.method ?? "GET", headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}
