/** Helpers of the worker-isolation tests: events for the fixtures and their reports. */

import type { DomainEvent } from "../../src/events/types.ts";
import type { IsolatedReport } from "../fixtures/isolated_handlers.ts";
import { makeEvent, until } from "./_helpers.ts";

/** The fixture module the isolated subscribers of the tests load. */
export const HANDLERS = new URL("../fixtures/isolated_handlers.ts", import.meta.url);

/** Reads what isolated fixture handlers report (JSON lines in a temp file); `close()` removes it. */
export class Reports {
  /** The file to put in events (`payload.payload.log`). */
  readonly log = Deno.makeTempFileSync({ prefix: "isolated-reports-" });

  /** Every report so far, in arrival order. */
  get received(): IsolatedReport[] {
    const text = Deno.readTextFileSync(this.log);
    return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  }

  /** The `seq` of every report from `handler`, in arrival order. */
  seqs(handler: string): number[] {
    return this.received.filter((report) => report.handler === handler).map((r) => r.seq);
  }

  /** Waits until `handler` reported `count` events (a Worker takes a moment to start). */
  async waitFor(handler: string, count: number, timeoutMs = 20_000): Promise<void> {
    await until(
      () => this.seqs(handler).length >= count,
      `${count} reports from ${handler} (got ${this.seqs(handler).length})`,
      timeoutMs,
    );
  }

  /** Removes the file. */
  close(): void {
    Deno.removeSync(this.log);
  }
}

/** An event for the fixtures: `payload.payload` carries the report file and the given fields. */
export function fixtureEvent(
  name: string,
  seq: number,
  reports: Reports,
  fields: Record<string, unknown> = {},
): DomainEvent {
  const event = makeEvent(name, { seq });
  event.payload.payload = { log: reports.log, ...fields };
  return event;
}
