/**
 * The handlers module `deno task chaos` gives `tasker worker --handlers`: the examples'
 * publishers and the domain-events handlers, each run recorded in `chaos_runs` on the database at
 * `CHAOS_RUNS_URL` (start and end, by the database's clock, per step and process) and stretched
 * to `CHAOS_STEP_MS` first. The wait honours the step's abort signal, as a well-behaved
 * handler does. The records live on a database the faults never touch, so a run is recorded
 * even while the task engine's database is down.
 *
 * @module
 */

import { openPostgres } from "../../src/durable/db/postgres.ts";
import type { Database } from "../../src/durable/db/database.ts";
import type { PublisherRegistry } from "../../src/events/publisher_registry.ts";
import type { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import type { StepContext, StepResult } from "../../src/worker/step_handler.ts";
import { domainEventsHandlers, examplePublishers } from "../../templates/mod.ts";

/** The table each run is recorded in (created by the orchestrator). */
export const RUNS_TABLE = `CREATE TABLE IF NOT EXISTS chaos_runs (
  id bigserial PRIMARY KEY,
  scenario text NOT NULL,
  step_uuid uuid NOT NULL,
  step_name text NOT NULL,
  attempt integer NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended_at timestamptz,
  outcome text
)`;

let runs: Promise<Database> | undefined;

function runsDatabase(): Promise<Database> {
  runs ??= openPostgres({ url: Deno.env.get("CHAOS_RUNS_URL")!, poolSize: 2 });
  return runs;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Registers the examples' publishers and the domain-events handlers, recorded and slowed. */
export function registerHandlers(handlers: HandlerRegistry, publishers: PublisherRegistry): void {
  for (const publisher of examplePublishers) publishers.register(publisher);
  const scenario = Deno.env.get("CHAOS_SCENARIO") ?? "?";
  const stepMs = Number(Deno.env.get("CHAOS_STEP_MS") ?? "0");
  for (const [callable, handler] of Object.entries(domainEventsHandlers)) {
    handlers.register(callable, async (ctx: StepContext): Promise<StepResult> => {
      const db = await runsDatabase();
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO chaos_runs (scenario, step_uuid, step_name, attempt, pid)
         VALUES ($1::text, $2::uuid, $3::text, $4::integer, $5::integer) RETURNING id::text AS id`,
        [scenario, ctx.step.step_uuid, ctx.step.name, ctx.step.attempts, Deno.pid],
      );
      let outcome = "threw";
      try {
        if (stepMs > 0) await wait(stepMs, ctx.signal);
        const result = await handler(ctx);
        outcome = result.success ? "success" : "failure";
        return result;
      } catch (error) {
        outcome = ctx.signal.aborted ? "aborted" : "threw";
        throw error;
      } finally {
        await db.query(
          "UPDATE chaos_runs SET ended_at = clock_timestamp(), outcome = $2::text WHERE id = $1::bigint",
          [row!.id, outcome],
        );
      }
    });
  }
}
