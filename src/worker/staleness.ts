/**
 * Staleness detection, Tasker's `detect_and_transition_stale_tasks`: a task that has been in one
 * phase longer than its template's `lifecycle` threshold (or has lived longer than its maximum
 * duration) gets a task-DLQ entry — an investigation record with the reason and a snapshot —
 * and goes to `error`. Its steps are left as they are (Tasker's behaviour); an operator repairs
 * them (task_actions.ts) and records the outcome on the entry (task_dlq.ts).
 *
 * deno-tasker has one running task state, `in_progress`, so the phase Tasker keeps as a task
 * state is derived from the steps, and the time in it is the time since any step of the task
 * last changed state:
 *
 * | phase | when | threshold (template `lifecycle:`, else) |
 * | --- | --- | --- |
 * | `steps_in_process` | a step is enqueued or running | `max_steps_in_process_minutes`, 30 |
 * | `waiting_for_retry` | none is, one waits for its retry | `max_waiting_for_retry_minutes`, 30 |
 * | `waiting_for_dependencies` | neither (nothing can run) | `max_waiting_for_dependencies_minutes`, 60 |
 * | any, by age | the task is older than | `max_duration_minutes`, 1440 |
 *
 * Only tasks whose template declares `lifecycle` are checked unless `checkAllTasks` is set
 * (Tasker checks every task against its global defaults, the "else" column above).
 * `staleness_action` (Tasker reads it but ignores it) is honoured: `dlq` (default) writes the
 * entry and fails the task, `error` only fails it, `none` leaves it alone. A pass runs in one
 * transaction holding a transaction-level advisory lock, so however many workers run the
 * detector, one pass runs at a time and the others skip.
 *
 * @module
 */

import type { Database } from "../durable/db/database.ts";
import { errorMessage } from "../error_message.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import { setTransitionActor } from "./transitions.ts";

/** The advisory-lock key of a detection pass (the ASCII bytes of "tskr-stl"). */
export const STALENESS_LOCK_KEY = 0x74736b72_2d73746cn;

/** Tasker's global thresholds, used where a template sets none. */
export const DEFAULT_THRESHOLDS = {
  waiting_for_dependencies_minutes: 60,
  waiting_for_retry_minutes: 30,
  steps_in_process_minutes: 30,
  max_duration_minutes: 24 * 60,
} as const;

/** The phase a running task is in, as Tasker names its task states. */
export type StalePhase = "steps_in_process" | "waiting_for_retry" | "waiting_for_dependencies";

/** What a pass did to one stale task. */
export type StaleAction =
  | "transitioned_to_dlq_and_error"
  | "transitioned_to_error_only"
  | "moved_to_dlq_only"
  | "transition_failed"
  | "would_transition_to_dlq_and_error"
  | "would_transition_to_error_only";

/** One stale task a pass found. */
export interface StaleTask {
  /** The task. */
  task_uuid: string;
  /** Its template, `namespace/name@version`. */
  template: string;
  /** The phase it was stuck in. */
  state: StalePhase;
  /** Minutes since any of its steps changed state. */
  time_in_state_minutes: number;
  /** The threshold it passed (the phase's, or the maximum duration). */
  threshold_minutes: number;
  /** Whether the task's age, not its phase, made it stale. */
  by_age: boolean;
  /** What was done. */
  action_taken: StaleAction;
}

/** Options of {@link detectStaleTasks}. */
export interface DetectionOptions {
  /** Report what would be done without doing it. Default false. */
  dryRun?: boolean;
  /** At most this many tasks per pass, longest in their phase first. Default 100. */
  batchSize?: number;
  /**
   * Check tasks whose template declares no `lifecycle` block too, against
   * {@link DEFAULT_THRESHOLDS} (Tasker checks every task). Default false: a template opts in by
   * declaring `lifecycle`, so long-running steps of other templates are never failed by age.
   */
  checkAllTasks?: boolean;
}

/** A pass's result; `skipped` when another pass held the lock. */
export interface DetectionResult {
  /** True when another worker's pass was running: nothing was looked at. */
  skipped: boolean;
  /** The stale tasks found, longest in their phase first. */
  stale: StaleTask[];
}

interface CandidateRow {
  task_uuid: string;
  template: string;
  state: StalePhase;
  minutes: number;
  threshold: number;
  by_age: boolean;
  action: "dlq" | "error";
}

/**
 * Runs one detection pass.
 *
 * @param templates the loaded templates, whose `lifecycle` thresholds apply to their tasks
 *
 * @example
 * ```ts ignore
 * const { stale } = await detectStaleTasks(db, templates);
 * for (const task of stale) console.log(task.task_uuid, task.state, task.action_taken);
 * ```
 */
export function detectStaleTasks(
  db: Database,
  templates: TemplateRegistry,
  options: DetectionOptions = {},
): Promise<DetectionResult> {
  const dryRun = options.dryRun ?? false;
  const batch = Math.max(1, Math.floor(options.batchSize ?? 100));
  const list = templates.list().filter((t) => t.lifecycle !== undefined);
  const pick = <T>(f: (t: (typeof list)[number]) => T) => list.map(f);
  return db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked",
      [STALENESS_LOCK_KEY.toString()],
    );
    if (!lock?.locked) return { skipped: true, stale: [] };
    const d = DEFAULT_THRESHOLDS;
    const candidates = await tx.query<CandidateRow>(
      `WITH thresholds AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[],
                              $7::int[], $8::text[])
           AS x(namespace, name, version, deps, retry, in_process, lifetime, action)
       ), live AS (
         SELECT t.task_uuid, t.namespace, t.name, t.version, t.created_at,
                bool_or(s.state IN ('enqueued', 'in_progress')) AS in_process,
                bool_or(s.state = 'waiting_for_retry') AS retrying,
                max(s.updated_at) AS last_change
           FROM tasker.tasks t
           JOIN tasker.steps s ON s.task_uuid = t.task_uuid
          WHERE t.state = 'in_progress'
            AND NOT EXISTS (SELECT 1 FROM tasker.tasks_dlq q
                             WHERE q.task_uuid = t.task_uuid AND q.resolution_status = 'pending')
          GROUP BY t.task_uuid
       ), measured AS (
         SELECT l.task_uuid, l.namespace || '/' || l.name || '@' || l.version AS template,
                CASE WHEN l.in_process THEN 'steps_in_process'
                     WHEN l.retrying THEN 'waiting_for_retry'
                     ELSE 'waiting_for_dependencies' END AS state,
                extract(epoch FROM now() - l.last_change) / 60 AS minutes,
                extract(epoch FROM now() - l.created_at) / 60 AS age,
                CASE WHEN l.in_process THEN coalesce(x.in_process, $9)
                     WHEN l.retrying THEN coalesce(x.retry, $10)
                     ELSE coalesce(x.deps, $11) END AS phase_threshold,
                coalesce(x.lifetime, $12) AS lifetime,
                coalesce(x.action, 'dlq') AS action,
                x.namespace IS NOT NULL AS declared
           FROM live l
           LEFT JOIN thresholds x
             ON x.namespace = l.namespace AND x.name = l.name AND x.version = l.version
       )
       SELECT task_uuid::text AS task_uuid, template, state,
              round(minutes::numeric, 2)::float8 AS minutes,
              CASE WHEN minutes >= phase_threshold THEN phase_threshold ELSE lifetime END
                AS threshold,
              minutes < phase_threshold AS by_age, action
         FROM measured
        WHERE action <> 'none' AND (declared OR $14)
          AND (minutes >= phase_threshold OR age >= lifetime)
        ORDER BY minutes DESC
        LIMIT $13`,
      [
        pick((t) => t.namespace_name),
        pick((t) => t.name),
        pick((t) => t.version),
        pick((t) => t.lifecycle?.max_waiting_for_dependencies_minutes ?? null),
        pick((t) => t.lifecycle?.max_waiting_for_retry_minutes ?? null),
        pick((t) => t.lifecycle?.max_steps_in_process_minutes ?? null),
        pick((t) => t.lifecycle?.max_duration_minutes ?? null),
        pick((t) => t.lifecycle?.staleness_action ?? null),
        d.steps_in_process_minutes,
        d.waiting_for_retry_minutes,
        d.waiting_for_dependencies_minutes,
        d.max_duration_minutes,
        batch,
        options.checkAllTasks ?? false,
      ],
    );
    if (dryRun || candidates.length === 0) {
      return {
        skipped: false,
        stale: candidates.map((c) =>
          staleTask(
            c,
            c.action === "dlq"
              ? "would_transition_to_dlq_and_error"
              : "would_transition_to_error_only",
          )
        ),
      };
    }
    await setTransitionActor(tx, {
      by: "staleness_detector",
      reason: "staleness_timeout",
      metadata: { detection_method: "automatic_staleness" },
    });
    const toDlq = candidates.filter((c) => c.action === "dlq");
    const entered = await tx.query<{ task_uuid: string }>(
      `INSERT INTO tasker.tasks_dlq
         (dlq_entry_uuid, task_uuid, original_state, dlq_reason, task_snapshot, metadata)
       SELECT gen_random_uuid(), t.task_uuid, v.state, 'staleness_timeout',
              to_jsonb(t) || jsonb_build_object('steps', (
                SELECT coalesce(jsonb_agg(jsonb_build_object('name', s.name, 'state', s.state,
                         'attempts', s.attempts, 'max_attempts', s.max_attempts,
                         'error', s.error, 'updated_at', s.updated_at) ORDER BY s.position),
                       '[]'::jsonb)
                  FROM tasker.steps s WHERE s.task_uuid = t.task_uuid)),
              jsonb_build_object('detection_method', 'automatic_staleness',
                'time_in_state_minutes', v.minutes, 'threshold_minutes', v.threshold,
                'by_age', v.by_age)
         FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::int[], $5::bool[])
           AS v(task_uuid, state, minutes, threshold, by_age)
         JOIN tasker.tasks t ON t.task_uuid = v.task_uuid
       ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING
       RETURNING task_uuid::text AS task_uuid`,
      [
        toDlq.map((c) => c.task_uuid),
        toDlq.map((c) => c.state),
        toDlq.map((c) => c.minutes),
        toDlq.map((c) => c.threshold),
        toDlq.map((c) => c.by_age),
      ],
    );
    // Compare-and-swap: a task that finished meanwhile is left alone.
    const failed = await tx.query<{ task_uuid: string }>(
      `UPDATE tasker.tasks SET state = 'error', completed_at = now(), updated_at = now()
        WHERE task_uuid = ANY($1::uuid[]) AND state = 'in_progress'
        RETURNING task_uuid::text AS task_uuid`,
      [candidates.map((c) => c.task_uuid)],
    );
    const inDlq = new Set(entered.map((r) => r.task_uuid));
    const inError = new Set(failed.map((r) => r.task_uuid));
    return {
      skipped: false,
      stale: candidates.map((c) => {
        const dlq = inDlq.has(c.task_uuid);
        const error = inError.has(c.task_uuid);
        return staleTask(
          c,
          dlq && error
            ? "transitioned_to_dlq_and_error"
            : error
            ? "transitioned_to_error_only"
            : dlq
            ? "moved_to_dlq_only"
            : "transition_failed",
        );
      }),
    };
  });
}

function staleTask(row: CandidateRow, action: StaleAction): StaleTask {
  return {
    task_uuid: row.task_uuid,
    template: row.template,
    state: row.state,
    time_in_state_minutes: row.minutes,
    threshold_minutes: row.threshold,
    by_age: row.by_age,
    action_taken: action,
  };
}

/** Options of {@link StalenessDetector}. */
export interface StalenessDetectorOptions extends DetectionOptions {
  /** Between passes. Default 300 000 (Tasker's five minutes). */
  intervalMs?: number;
}

/**
 * Runs {@link detectStaleTasks} every `intervalMs` (the first pass one interval after start).
 * Every worker process may run one: the advisory lock lets one pass run at a time.
 */
export class StalenessDetector implements AsyncDisposable {
  readonly #db: Database;
  readonly #templates: TemplateRegistry;
  readonly #options: StalenessDetectorOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<unknown> | undefined;
  /** Stale tasks found by this detector's passes so far. */
  found = 0;

  /**
   * Creates a detector; nothing runs until `start()`.
   *
   * @param db the task engine's database
   * @param templates whose thresholds apply
   * @param options interval, batch size, dry run
   */
  constructor(db: Database, templates: TemplateRegistry, options: StalenessDetectorOptions = {}) {
    this.#db = db;
    this.#templates = templates;
    this.#options = options;
  }

  /** Starts the periodic passes (idempotent). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.runOnce().catch((error) => {
        console.error(
          `deno-tasker: staleness detection failed: ${errorMessage(error)}`,
        );
      }).finally(() => (this.#running = undefined));
    }, this.#options.intervalMs ?? 300_000);
  }

  /** One pass now. */
  async runOnce(): Promise<DetectionResult> {
    const result = await detectStaleTasks(this.#db, this.#templates, this.#options);
    this.found += result.stale.length;
    return result;
  }

  /** Stops the passes and waits for a running one. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
