/**
 * Inspects durable domain events in tests: reads a namespace's PGMQ queue table directly
 * (`pgmq.q_{namespace}_domain_events`), ignoring visibility timeouts, so nothing a consumer has
 * hidden is missed and nothing is consumed. `cleanup()` deletes only the messages this capture
 * saw, so tests sharing a namespace do not disturb each other.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import type { DomainEvent } from "../events/types.ts";
import { assertNamespace, domainEventsQueue } from "../names.ts";
import { matchPattern } from "../bus/pattern.ts";
import { CaptureError } from "./fast_capture.ts";

/** One message found in a queue table. */
export interface CapturedMessage {
  /** PGMQ message id. */
  msg_id: number;
  /** The namespace whose queue holds it. */
  namespace: string;
  /** How many times consumers have read it. */
  read_ct: number;
  /** When it was enqueued. */
  enqueued_at: Date;
  /** The domain event (the message body). */
  event: DomainEvent;
  /** The PGMQ headers (`x-event-name`, ...), `{}` when none. */
  headers: Record<string, unknown>;
}

/** Options of {@link DurableEventCapture}. */
export interface DurableEventCaptureOptions {
  /** Namespaces `forTask` searches in addition to those already inspected. */
  namespaces?: readonly string[];
}

/** Options of {@link DurableEventCapture.waitFor}. */
export interface DurableWaitOptions {
  /** How long to wait, in ms. Default 5,000. */
  timeoutMs?: number;
  /** How often to look, in ms. Default 25. */
  intervalMs?: number;
}

/** What {@link DurableEventCapture.cleanup} removed. */
export interface DurableCleanupResult {
  /** Messages deleted. */
  deleted: number;
  /** Seen messages that were already gone (consumed by someone). */
  missing: number;
}

interface Row {
  msg_id: number | string;
  read_ct: number;
  enqueued_at: Date | string;
  message: DomainEvent;
  headers: Record<string, unknown> | null;
}

/**
 * Reads durable events straight from PGMQ's queue tables for assertions in tests.
 *
 * @example
 * ```ts
 * import { DurableEventCapture } from "@deno-tasker/tasker/testing";
 * import type { Database } from "@deno-tasker/tasker/durable";
 *
 * async function check(db: Database): Promise<void> {
 *   await using capture = new DurableEventCapture(db);
 *   // ... run the step that publishes ...
 *   const message = await capture.waitFor("payments", "payment.processed", { timeoutMs: 2000 });
 *   console.log(message.event.event_id);
 *   await capture.assertNotPublished("payments", "payment.failed");
 * } // disposing deletes the messages the capture saw
 * ```
 */
export class DurableEventCapture implements AsyncDisposable {
  readonly #db: Queryable;
  readonly #namespaces = new Set<string>();
  readonly #seen = new Map<string, Set<number>>();

  /**
   * Creates a capture; it reads only when asked.
   *
   * @param db the database holding the queues
   * @param options extra namespaces for `forTask`
   */
  constructor(db: Queryable, options: DurableEventCaptureOptions = {}) {
    this.#db = db;
    for (const namespace of options.namespaces ?? []) {
      assertNamespace(namespace);
      this.#namespaces.add(namespace);
    }
  }

  /**
   * Every event in the namespace's queue, oldest first (visible or not).
   *
   * @param namespace the namespace
   */
  async events(namespace: string): Promise<CapturedMessage[]> {
    return await this.#select(namespace, "", []);
  }

  /**
   * The events whose name matches `pattern` (the bus's pattern semantics).
   *
   * @param namespace the namespace
   * @param pattern e.g. `payment.*` or `#.failed`
   */
  async matching(namespace: string, pattern: string): Promise<CapturedMessage[]> {
    const all = await this.events(namespace);
    return all.filter((message) => matchPattern(pattern, message.event.event_name));
  }

  /**
   * The events of one task (`metadata.task_uuid`), across the namespaces given here, passed to
   * the constructor, or inspected before.
   *
   * @param taskUuid the task's UUID
   * @param namespaces more namespaces to search
   */
  async forTask(taskUuid: string, namespaces: readonly string[] = []): Promise<CapturedMessage[]> {
    for (const namespace of namespaces) {
      assertNamespace(namespace);
      this.#namespaces.add(namespace);
    }
    const found: CapturedMessage[] = [];
    for (const namespace of this.#namespaces) {
      found.push(
        ...await this.#select(namespace, "WHERE message -> 'metadata' ->> 'task_uuid' = $1", [
          taskUuid,
        ]),
      );
    }
    return found;
  }

  /**
   * How many messages the namespace's queue holds.
   *
   * @param namespace the namespace
   */
  async count(namespace: string): Promise<number> {
    const table = await this.#table(namespace);
    if (table === undefined) return 0;
    const rows = await this.#db.query<{ n: number | string }>(
      `SELECT count(*)::int AS n FROM ${table}`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Returns the first event named `name`, or throws `CaptureError` listing what is there.
   *
   * @param namespace the namespace
   * @param name the event name
   */
  async assertPublished(namespace: string, name: string): Promise<CapturedMessage> {
    const all = await this.events(namespace);
    const found = all.find((message) => message.event.event_name === name);
    if (found === undefined) {
      throw new CaptureError(
        `expected ${JSON.stringify(name)} in ${domainEventsQueue(namespace)}; found ${
          describe(all)
        }`,
      );
    }
    return found;
  }

  /**
   * Throws `CaptureError` when an event named `name` is in the namespace's queue.
   *
   * @param namespace the namespace
   * @param name the event name
   */
  async assertNotPublished(namespace: string, name: string): Promise<void> {
    const all = await this.events(namespace);
    const found = all.filter((message) => message.event.event_name === name);
    if (found.length > 0) {
      throw new CaptureError(
        `expected no ${JSON.stringify(name)} in ${
          domainEventsQueue(namespace)
        }; found ${found.length} (msg_id ${found.map((message) => message.msg_id).join(", ")})`,
      );
    }
  }

  /**
   * Polls until an event named `name` appears; throws `CaptureError` after `timeoutMs`.
   *
   * @param namespace the namespace
   * @param name the event name
   * @param options timeout and poll interval
   */
  async waitFor(
    namespace: string,
    name: string,
    options: DurableWaitOptions = {},
  ): Promise<CapturedMessage> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const intervalMs = Math.max(1, options.intervalMs ?? 25);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const all = await this.events(namespace);
      const found = all.find((message) => message.event.event_name === name);
      if (found !== undefined) return found;
      if (performance.now() >= deadline) {
        throw new CaptureError(
          `no ${JSON.stringify(name)} in ${domainEventsQueue(namespace)} within ${timeoutMs} ms; ` +
            `found ${describe(all)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Deletes the messages this capture has seen (and only those). */
  async cleanup(): Promise<DurableCleanupResult> {
    let deleted = 0;
    let missing = 0;
    for (const [namespace, ids] of this.#seen) {
      if (ids.size === 0) continue;
      const table = await this.#table(namespace);
      const wanted = [...ids];
      ids.clear();
      if (table === undefined) {
        missing += wanted.length;
        continue;
      }
      const rows = await this.#db.query(
        `DELETE FROM ${table} WHERE msg_id = ANY($1::bigint[]) RETURNING msg_id`,
        [wanted],
      );
      deleted += rows.length;
      missing += wanted.length - rows.length;
    }
    return { deleted, missing };
  }

  /** Same as `cleanup()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.cleanup();
  }

  /** The quoted queue table of `namespace`, or undefined when the queue does not exist. */
  async #table(namespace: string): Promise<string | undefined> {
    const queue = domainEventsQueue(namespace);
    this.#namespaces.add(namespace);
    const rows = await this.#db.query<{ present: boolean }>(
      "SELECT to_regclass($1::text) IS NOT NULL AS present",
      [`pgmq.q_${queue}`],
    );
    return rows[0]?.present === true ? `pgmq."q_${queue}"` : undefined;
  }

  async #select(namespace: string, where: string, params: unknown[]): Promise<CapturedMessage[]> {
    const table = await this.#table(namespace);
    if (table === undefined) return [];
    const rows = await this.#db.query<Row>(
      `SELECT msg_id, read_ct, enqueued_at, message, headers FROM ${table} ${where} ORDER BY msg_id`,
      params,
    );
    let seen = this.#seen.get(namespace);
    if (seen === undefined) this.#seen.set(namespace, seen = new Set());
    return rows.map((row) => {
      const msgId = Number(row.msg_id);
      seen.add(msgId);
      return {
        msg_id: msgId,
        namespace,
        read_ct: Number(row.read_ct),
        enqueued_at: row.enqueued_at instanceof Date ? row.enqueued_at : new Date(row.enqueued_at),
        event: row.message,
        headers: row.headers ?? {},
      };
    });
  }
}

function describe(messages: readonly CapturedMessage[]): string {
  if (messages.length === 0) return "no events";
  const names = messages.slice(0, 10).map((message) => message.event.event_name);
  const more = messages.length > 10 ? `, ... (${messages.length} in all)` : "";
  return `${names.join(", ")}${more}`;
}
