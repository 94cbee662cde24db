/**
 * Recurring schedules: a cron expression in a time zone that submits a task each time it comes
 * round. Every worker that knows a schedule runs it; exactly one fires each occurrence.
 *
 * How one fires: in one transaction a worker takes the schedule's advisory lock, reads the last
 * fire time from `tasker.schedule_fires`, inserts the row for the occurrence that is due (the
 * primary key is (schedule, fire time)) and submits the task. A second worker waits on the lock,
 * then finds the row and does nothing; a crash rolls back both the row and the task.
 *
 * Catch-up after downtime (no worker running when occurrences came round): `latest` (the
 * default) fires once, for the most recent missed occurrence, and skips the older ones;
 * `skip` fires nothing late: missed occurrences are recorded as skipped (no task) and the
 * schedule resumes at its next occurrence. An occurrence counts as missed when it is more than
 * `graceMs` (default 60 s) old when a worker first sees it. A schedule that has never fired
 * starts from the moment a worker first runs it: nothing before that is caught up.
 *
 * @module
 */

import type { Database, Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { JsonObject } from "../events/types.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import { type CronExpression, parseCron } from "../cron.ts";
import { submitTask, type SubmittedTask, templateKey } from "./submit.ts";

/** What to do with occurrences missed while no worker ran. */
export type CatchUpPolicy = "latest" | "skip";

/** A recurring schedule: which task to submit, and when. */
export interface ScheduleDefinition {
  /** Unique name of the schedule (its fire records are kept under it). */
  name: string;
  /** Five-field cron expression or a macro such as `@hourly`. */
  cron: string;
  /** IANA time zone the cron times are read in. Default `UTC`. */
  timezone?: string;
  /** Template namespace of the task to submit. */
  namespace: string;
  /** Template name of the task to submit. */
  task: string;
  /** Template version; the latest registered when omitted. */
  version?: string;
  /** The task's context, validated against the template's input_schema when added. Default `{}`. */
  context?: JsonObject;
  /** Tags of every task it submits (`schedule:<name>` is always added). */
  tags?: string[];
  /** Missed occurrences: `latest` (default) fires the most recent once; `skip` fires none. */
  catch_up?: CatchUpPolicy;
}

/** A schedule as {@link Scheduler.list} reports it. */
export interface ScheduleInfo {
  /** Its name. */
  name: string;
  /** Its cron expression. */
  cron: string;
  /** Its time zone. */
  timezone: string;
  /** `namespace/name` of the task it submits. */
  task: string;
  /** Its catch-up policy. */
  catch_up: CatchUpPolicy;
  /** Its next occurrence (ISO 8601) from now, or null. */
  next_fire_at: string | null;
}

/** What one fire did. */
export interface ScheduleFire {
  /** The schedule. */
  schedule: string;
  /** The occurrence fired (or skipped). */
  fire_time: Date;
  /** The submitted task, or undefined when the occurrence was skipped by `catch_up: skip`. */
  task?: SubmittedTask;
  /** Older missed occurrences passed over by `catch_up: latest`. */
  passed_over: number;
}

/** Thrown for a schedule that cannot run: bad cron, unknown template, duplicate name. */
export class ScheduleError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param schedule the schedule's name
   * @param message what is wrong
   * @param options the cause
   */
  constructor(schedule: string, message: string, options?: ErrorOptions) {
    super("E_SCHEDULE_INVALID", `schedule ${JSON.stringify(schedule)}: ${message}`, options);
  }
}

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  /** The task engine's database. */
  db: Database;
  /** Where the schedules' templates are looked up. */
  templates: TemplateRegistry;
  /** Recorded as `fired_by`. */
  workerId: string;
  /** How often due schedules are checked, ms. Default 1000. */
  tickMs?: number;
  /** How late an occurrence may be and still count as on time, ms. Default 60,000. */
  graceMs?: number;
  /** Called after a fire committed (the Tasker wakes its worker). */
  onFire?: (fire: ScheduleFire) => void;
}

const SCHEDULE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;
const YEAR_MS = 366 * 86_400_000;

interface Entry {
  definition: ScheduleDefinition;
  cron: CronExpression;
  /** The schedule's epoch in this process: occurrences before it are not caught up on a first fire. */
  since: Date;
  /** The next occurrence after the last fire this process knows of: nothing to do before it. */
  due: Date | undefined;
  lastError: string | undefined;
}

/**
 * Runs recurring schedules; one per Tasker (`tasker.schedule(...)` adds to it).
 *
 * @example
 * ```ts ignore
 * const scheduler = new Scheduler({ db, templates, workerId: "w1" });
 * scheduler.add({ name: "nightly", cron: "0 3 * * *", timezone: "Europe/Paris",
 *   namespace: "reports", task: "nightly_report" });
 * scheduler.start();
 * // ...
 * await scheduler.close();
 * ```
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #entries = new Map<string, Entry>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<unknown> | undefined;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /**
   * Adds a schedule (also after `start`).
   *
   * @throws {ScheduleError} for a bad name, cron or time zone, an unknown template, a context
   *   failing the template's input_schema, or a name already added
   */
  add(definition: ScheduleDefinition, now: Date = new Date()): void {
    const name = definition.name;
    if (typeof name !== "string" || !SCHEDULE_NAME.test(name)) {
      throw new ScheduleError(String(name), "the name must be 1-200 of A-Z a-z 0-9 _ . : -");
    }
    if (this.#entries.has(name)) throw new ScheduleError(name, "is already defined");
    if (definition.catch_up !== undefined && !["latest", "skip"].includes(definition.catch_up)) {
      throw new ScheduleError(
        name,
        `catch_up must be "latest" or "skip", got ${JSON.stringify(definition.catch_up)}`,
      );
    }
    let cron: CronExpression;
    let template;
    try {
      cron = parseCron(definition.cron, definition.timezone ?? "UTC");
      template = this.#options.templates.require(
        definition.namespace,
        definition.task,
        definition.version,
      );
    } catch (error) {
      throw new ScheduleError(name, (error as Error).message, { cause: error });
    }
    const failures = template.input_schema?.validate(definition.context ?? {}) ?? [];
    if (failures.length > 0) {
      throw new ScheduleError(
        name,
        `context for ${templateKey(template)} fails its input_schema: ${
          failures.map((f) => `${f.pointer || "(root)"} ${f.message}`).join("; ")
        }`,
      );
    }
    this.#entries.set(name, { definition, cron, since: now, due: undefined, lastError: undefined });
  }

  /**
   * Adds the `schedules:` of every template in the registry (once each), named
   * `<namespace>.<template>.<schedule>`, submitting the template's own version.
   *
   * @throws {ScheduleError} when one cannot run (e.g. its context fails the input_schema)
   */
  addTemplateSchedules(now: Date = new Date()): void {
    for (const template of this.#options.templates.list()) {
      for (const s of template.schedules ?? []) {
        const name = `${template.namespace_name}.${template.name}.${s.name}`;
        if (this.#entries.has(name)) continue;
        this.add({
          name,
          cron: s.cron,
          timezone: s.timezone,
          namespace: template.namespace_name,
          task: template.name,
          version: template.version,
          context: s.context as JsonObject,
          catch_up: s.catch_up,
        }, now);
      }
    }
  }

  /** The schedules with their next occurrence. */
  list(now: Date = new Date()): ScheduleInfo[] {
    return [...this.#entries.values()].map(({ definition: d, cron }) => ({
      name: d.name,
      cron: d.cron,
      timezone: cron.timezone,
      task: `${d.namespace}/${d.task}`,
      catch_up: d.catch_up ?? "latest",
      next_fire_at: cron.next(now)?.toISOString() ?? null,
    }));
  }

  /** Starts checking every `tickMs`. Idempotent. */
  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const loop = () => {
      this.#ticking = this.tick().catch((error) => {
        console.error(`deno-tasker: schedules could not be checked: ${(error as Error).message}`);
      }).finally(() => {
        this.#ticking = undefined;
        if (!this.#closed) this.#timer = setTimeout(loop, this.#options.tickMs ?? 1000);
      });
    };
    this.#timer = setTimeout(loop, 0);
  }

  /** Stops checking and waits for a check in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }

  /**
   * Fires every schedule that is due at `now` (what the timer calls; tests call it directly).
   *
   * @returns the fires this worker made (none when another worker fired first)
   */
  async tick(now: Date = new Date()): Promise<ScheduleFire[]> {
    const fires: ScheduleFire[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.due !== undefined && entry.due.getTime() > now.getTime()) continue;
      try {
        const fire = await this.#fireDue(entry, now);
        entry.lastError = undefined;
        if (fire) {
          fires.push(fire);
          this.#options.onFire?.(fire);
        }
      } catch (error) {
        const message = (error as Error).message;
        // Retried at every tick; said once until it changes.
        if (message !== entry.lastError) {
          console.error(
            `deno-tasker: schedule ${entry.definition.name} could not fire: ${message}`,
          );
        }
        entry.lastError = message;
      }
    }
    return fires;
  }

  async #fireDue(entry: Entry, now: Date): Promise<ScheduleFire | undefined> {
    const { definition: d, cron } = entry;
    const { db } = this.#options;
    // Only once the transaction commits does this process move on to the next occurrence: a
    // fire that failed is tried again at the next tick.
    let nextDue: Date | undefined;
    const fire = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)", [
        `tasker.schedule:${d.name}`,
      ]);
      const rows = await tx.query<{ last: Date | string | null }>(
        "SELECT max(fire_time) AS last FROM tasker.schedule_fires WHERE schedule_name = $1",
        [d.name],
      );
      const last = rows[0]?.last == null ? undefined : new Date(rows[0].last);
      let from = last ?? entry.since;
      if (now.getTime() - from.getTime() > YEAR_MS) from = new Date(now.getTime() - YEAR_MS);
      // The most recent occurrence in (from, now], counting those passed over.
      let latest: Date | undefined;
      let passedOver = -1;
      for (
        let at = cron.next(from);
        at !== undefined && at.getTime() <= now.getTime();
        at = cron.next(at)
      ) {
        latest = at;
        passedOver++;
      }
      nextDue = cron.next(latest ?? last ?? from);
      if (latest === undefined) return undefined;
      const late = now.getTime() - latest.getTime() > (this.#options.graceMs ?? 60_000);
      const skip = (d.catch_up ?? "latest") === "skip" && late;
      const inserted = await tx.query(
        `INSERT INTO tasker.schedule_fires (schedule_name, fire_time, fired_by)
         VALUES ($1, $2::timestamptz, $3) ON CONFLICT DO NOTHING RETURNING fire_time`,
        [d.name, latest.toISOString(), this.#options.workerId],
      );
      if (inserted.length === 0) return undefined;
      const result: ScheduleFire = { schedule: d.name, fire_time: latest, passed_over: passedOver };
      if (skip) return result;
      result.task = await submitTask(inTransaction(db, tx), this.#options.templates, {
        namespace: d.namespace,
        name: d.task,
        ...(d.version !== undefined ? { version: d.version } : {}),
        context: d.context ?? {},
        tags: [...(d.tags ?? []), `schedule:${d.name}`],
        source_system: "tasker.schedule",
        reason: `schedule ${d.name} at ${latest.toISOString()}`,
      });
      await tx.query(
        "UPDATE tasker.schedule_fires SET task_uuid = $3::uuid WHERE schedule_name = $1 AND fire_time = $2::timestamptz",
        [d.name, latest.toISOString(), result.task.task_uuid],
      );
      return result;
    });
    entry.due = nextDue;
    return fire;
  }
}

/**
 * `db` seen from inside an open transaction: statements and nested transactions run on `tx`,
 * so a task submitted while firing commits (or rolls back) with its fire record.
 */
function inTransaction(db: Database, tx: Queryable): Database {
  return {
    kind: db.kind,
    query: (sql, params) => tx.query(sql, params),
    transaction: (fn) => fn(tx),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}
