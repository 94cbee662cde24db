/**
 * Retention: finished tasks (complete, error, cancelled, resolved by hand) older than an age are
 * deleted with their steps and events, in batches. Each batch is one short statement that
 * skips rows another transaction holds (`FOR UPDATE SKIP LOCKED`), so purging never waits on a
 * worker and a worker waits on a purge for one batch at most. A task with an event still owed
 * to its PGMQ queue is kept until the event is sent (nothing accepted is lost to a purge), and
 * one with a pending dead-letter entry until that is resolved. Old
 * schedule fire records go too, except each schedule's latest (its catch-up needs it).
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import { FINISHED_TASK_STATES } from "./task_queries.ts";

/** Options of {@link purgeFinishedTasks}. */
export interface PurgeOptions {
  /** Tasks finished longer ago than this many milliseconds are purged. */
  olderThanMs: number;
  /** Tasks deleted per statement. Default 500. */
  batchSize?: number;
  /** Only tasks of these namespaces. Default: every namespace. */
  namespaces?: readonly string[];
  /** Stops between batches when aborted. */
  signal?: AbortSignal;
  /** The current time (tests pass one). */
  now?: Date;
}

/** What a purge deleted. */
export interface PurgeReport {
  /** Tasks deleted. */
  tasks: number;
  /** Their steps. */
  steps: number;
  /** Their events. */
  events: number;
  /** Schedule fire records deleted. */
  schedule_fires: number;
  /** Statements run. */
  batches: number;
  /** The cutoff: tasks finished before it were purged (ISO 8601). */
  cutoff: string;
}

/**
 * Deletes finished tasks older than `olderThanMs`, with their steps and events, in batches.
 *
 * @throws {TaskerError} `E_PURGE_OPTIONS` for a negative age or a batch size below 1
 *
 * @example
 * ```ts ignore
 * const report = await purgeFinishedTasks(db, { olderThanMs: 30 * 86_400_000 });
 * console.log(`${report.tasks} tasks purged`);
 * ```
 */
export async function purgeFinishedTasks(
  db: Queryable,
  options: PurgeOptions,
): Promise<PurgeReport> {
  const { olderThanMs } = options;
  const batchSize = options.batchSize ?? 500;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw new TaskerError(
      "E_PURGE_OPTIONS",
      `olderThanMs must be a number of ms from 0, got ${olderThanMs}`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TaskerError(
      "E_PURGE_OPTIONS",
      `batchSize must be a whole number from 1, got ${batchSize}`,
    );
  }
  const cutoff = new Date((options.now ?? new Date()).getTime() - olderThanMs).toISOString();
  const report: PurgeReport = {
    tasks: 0,
    steps: 0,
    events: 0,
    schedule_fires: 0,
    batches: 0,
    cutoff,
  };
  for (;;) {
    if (options.signal?.aborted) break;
    const [row] = await db.query<{ tasks: number; steps: number; events: number }>(
      `WITH victims AS (
         SELECT t.task_uuid FROM tasker.tasks t
          WHERE t.state = ANY($1::text[])
            AND coalesce(t.completed_at, t.updated_at) < $2::timestamptz
            AND ($4::text[] IS NULL OR t.namespace = ANY($4::text[]))
            AND NOT EXISTS (SELECT 1 FROM tasker.step_events e
                             WHERE e.task_uuid = t.task_uuid AND e.sent_at IS NULL
                               AND e.delivery_mode <> 'fast')
            AND NOT EXISTS (SELECT 1 FROM tasker.tasks_dlq d
                             WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
          ORDER BY coalesce(t.completed_at, t.updated_at)
          LIMIT $3::int
          FOR UPDATE SKIP LOCKED
       ), counts AS (
         SELECT (SELECT count(*) FROM tasker.steps s JOIN victims v USING (task_uuid))::int AS steps,
                (SELECT count(*) FROM tasker.step_events e JOIN victims v USING (task_uuid))::int
                  AS events
       ), deleted AS (
         DELETE FROM tasker.tasks t USING victims v WHERE t.task_uuid = v.task_uuid RETURNING 1
       )
       SELECT (SELECT count(*) FROM deleted)::int AS tasks, counts.steps, counts.events
         FROM counts`,
      [
        [...FINISHED_TASK_STATES],
        cutoff,
        batchSize,
        options.namespaces ? [...options.namespaces] : null,
      ],
    );
    report.batches++;
    const deleted = row?.tasks ?? 0;
    report.tasks += deleted;
    report.steps += deleted > 0 ? row!.steps : 0;
    report.events += deleted > 0 ? row!.events : 0;
    if (deleted < batchSize) break;
  }
  // Fire records carry no namespace: purged only by a purge of every namespace.
  if (options.namespaces !== undefined) return report;
  const fires = await db.query(
    `DELETE FROM tasker.schedule_fires f
      WHERE f.fire_time < $1::timestamptz
        AND f.fire_time < (SELECT max(l.fire_time) FROM tasker.schedule_fires l
                            WHERE l.schedule_name = f.schedule_name)
      RETURNING 1`,
    [cutoff],
  );
  report.schedule_fires = fires.length;
  return report;
}

/** Options of {@link startRetention}. */
export interface RetentionOptions {
  /** Age of finished tasks to purge, ms. */
  olderThanMs: number;
  /** How often to purge, ms. Default one hour. */
  everyMs?: number;
  /** Tasks per statement. Default 500. */
  batchSize?: number;
  /** Only tasks of these namespaces. Default: every namespace. */
  namespaces?: readonly string[];
}

/** A periodic purge; close it on shutdown. */
export interface Retention {
  /** Stops the timer and waits for a purge in progress. */
  close(): Promise<void>;
}

/**
 * Purges at once and then every `everyMs` until closed (what `tasker worker --purge-older-than`
 * runs). Failures are reported on stderr and retried at the next interval.
 *
 * @example
 * ```ts ignore
 * const retention = startRetention(db, { olderThanMs: 30 * 86_400_000 });
 * // ... on shutdown:
 * await retention.close();
 * ```
 */
export function startRetention(db: Queryable, options: RetentionOptions): Retention {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  const run = () => {
    running = purgeFinishedTasks(db, { ...options, signal: controller.signal })
      .then(() => {}, (error) => {
        console.error(`deno-tasker: retention purge failed: ${(error as Error).message}`);
      })
      .finally(() => {
        running = undefined;
        if (!controller.signal.aborted) timer = setTimeout(run, options.everyMs ?? 3_600_000);
      });
  };
  timer = setTimeout(run, 0);
  return {
    async close() {
      controller.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
