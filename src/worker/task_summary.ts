/**
 * A task as lists show it: the {@link TaskSummary} shape of Tasker's task pages, the columns it
 * is read from and how a row becomes one (`task_queries.ts` lists them, `task_detail.ts` adds
 * the rest of a task).
 *
 * @module
 */

import {
  TASKER_STATE_COLUMNS,
  taskerStateOf,
  type TaskerStateRow,
  type TaskerTaskState,
} from "./task_status.ts";

/** One task of a task page (`listTasks`). */
export interface TaskSummary {
  /** The task's UUID. */
  task_uuid: string;
  /** Template namespace. */
  namespace: string;
  /** Template name. */
  name: string;
  /** Template version. */
  version: string;
  /** The task's state. */
  status: string;
  /** Tasker's task state, derived from `status` and the steps' states (see `taskerState`). */
  tasker_state: TaskerTaskState;
  /** Correlation id. */
  correlation_id: string;
  /** Tags given at submit. */
  tags: string[];
  /** Steps of the task. */
  step_count: number;
  /** Steps complete. */
  steps_complete: number;
  /** When it was created (ISO 8601). */
  created_at: string;
  /** When it last changed (ISO 8601). */
  updated_at: string;
  /** When it finished (ISO 8601), or null. */
  completed_at: string | null;
  /** When its first steps become visible to workers (ISO 8601), or null when at once. */
  run_at: string | null;
}

/** The columns of a {@link SummaryRow}, from `tasker.tasks t`. */
export const SUMMARY_COLUMNS: string =
  `t.task_uuid::text AS task_uuid, t.namespace, t.name, t.version,
  t.state AS status, t.correlation_id, t.tags, t.step_count, t.steps_complete,
  t.created_at, t.updated_at, t.completed_at, t.run_at, ${TASKER_STATE_COLUMNS}`;

/** A task row as {@link SUMMARY_COLUMNS} reads it. */
export interface SummaryRow extends TaskerStateRow {
  task_uuid: string;
  namespace: string;
  name: string;
  version: string;
  status: string;
  correlation_id: string;
  tags: string[];
  step_count: number;
  steps_complete: number;
  created_at: Date | string;
  updated_at: Date | string;
  completed_at: Date | string | null;
  run_at: Date | string | null;
}

/**
 * The summary of a row read with {@link SUMMARY_COLUMNS}.
 *
 * @example
 * ```ts ignore
 * const rows = await db.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM tasker.tasks t`);
 * const tasks = rows.map(taskSummaryOf);
 * ```
 */
export function taskSummaryOf(row: SummaryRow): TaskSummary {
  return {
    task_uuid: row.task_uuid,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    status: row.status,
    tasker_state: taskerStateOf(row.status, row),
    correlation_id: row.correlation_id,
    tags: row.tags ?? [],
    step_count: row.step_count,
    steps_complete: row.steps_complete,
    created_at: jsonTime(row.created_at)!,
    updated_at: jsonTime(row.updated_at)!,
    completed_at: jsonTime(row.completed_at),
    run_at: jsonTime(row.run_at),
  };
}

/**
 * A timestamp as ISO 8601 (PGlite gives Dates, jsonb gives Postgres text).
 *
 * @example
 * ```ts ignore
 * jsonTime(new Date(0)); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function jsonTime(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}
