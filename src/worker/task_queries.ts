/**
 * Finding tasks: a filtered, paged list (namespace, name, state, creation time range,
 * correlation id, tags) in Tasker's page shape, a task looked up by its UUID or its correlation
 * id, and one task in full (each step's timing, every event with its payload) for the
 * inspector, `tasker tasks show` and `GET /v1/tasks/{uuid}` (`task_detail.ts`, exported from
 * here too; the summary shape in `task_summary.ts`).
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import { TASK_STATES as SCHEMA_TASK_STATES } from "./engine_migrations.ts";
import { TaskNotFoundError } from "./task_status.ts";
import { FINAL_TASK_STATES } from "./transitions.ts";
import {
  SUMMARY_COLUMNS,
  type SummaryRow,
  type TaskSummary,
  taskSummaryOf,
} from "./task_summary.ts";

export type { TaskSummary } from "./task_summary.ts";
export { type EventDetail, type StepDetail, type TaskDetail, taskDetail } from "./task_detail.ts";

/** Task states a query may filter on: every state the schema allows. */
const TASK_STATES: readonly string[] = SCHEMA_TASK_STATES;

/** States in which a task is finished (nothing of it runs again unless an operator acts). */
export const FINISHED_TASK_STATES: readonly string[] = FINAL_TASK_STATES;

/** Filters and page of {@link listTasks}; every filter is optional and they combine with AND. */
export interface TaskQuery {
  /** Only this namespace. */
  namespace?: string;
  /** Only this template name. */
  name?: string;
  /** Only tasks in this state, or in any of these. */
  state?: string | readonly string[];
  /** Only tasks created at or after this time. */
  since?: Date;
  /** Only tasks created before this time. */
  until?: Date;
  /** Only tasks with this correlation id. */
  correlation_id?: string;
  /** Only tasks carrying every one of these tags. */
  tags?: readonly string[];
  /** Page number, from 1. Default 1. */
  page?: number;
  /** Tasks per page, 1 to 100. Default 25. */
  per_page?: number;
}

/** Tasker's pagination block. */
export interface Pagination {
  /** This page, from 1. */
  page: number;
  /** Page size. */
  per_page: number;
  /** Tasks matching the filters. */
  total_count: number;
  /** Pages at this size (0 when nothing matches). */
  total_pages: number;
  /** Whether a later page has tasks. */
  has_next: boolean;
  /** Whether this is not the first page. */
  has_previous: boolean;
}

/** What {@link listTasks} returns: newest first. */
export interface TaskPage {
  /** This page's tasks, newest first. */
  tasks: TaskSummary[];
  /** Where this page is. */
  pagination: Pagination;
}

/** Thrown for a filter or page that cannot be used; names the field and the value. */
export class TaskQueryError extends TaskerError {
  /** The offending field. */
  readonly field: string;
  /**
   * Creates the error.
   *
   * @param field the offending filter (`state`, `per_page`, ...)
   * @param message what is wrong with it
   */
  constructor(field: string, message: string) {
    super("E_TASK_QUERY", message);
    this.field = field;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a UUID (any version). */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/**
 * Lists tasks matching `query`, newest first, one page at a time.
 *
 * @throws {TaskQueryError} for an unknown state, a page below 1, a page size outside 1..100, an
 *   invalid time or a correlation id that is not a UUID
 *
 * @example
 * ```ts ignore
 * const { tasks, pagination } = await listTasks(db, {
 *   state: "error",
 *   since: new Date(Date.now() - 3_600_000),
 * });
 * console.log(pagination.total_count, tasks[0]?.task_uuid);
 * ```
 */
export async function listTasks(db: Queryable, query: TaskQuery = {}): Promise<TaskPage> {
  const page = pageNumber(query.page);
  const perPage = pageSize(query.per_page);
  const { where, params } = whereClause(query);
  const counted = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasker.tasks t ${where}`,
    params,
  );
  const total = counted[0]?.n ?? 0;
  const rows = await db.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM tasker.tasks t ${where}
      ORDER BY t.created_at DESC, t.task_uuid DESC
      LIMIT $${params.length + 1}::int OFFSET $${params.length + 2}::int`,
    [...params, perPage, (page - 1) * perPage],
  );
  const totalPages = Math.ceil(total / perPage);
  return {
    tasks: rows.map(taskSummaryOf),
    pagination: {
      page,
      per_page: perPage,
      total_count: total,
      total_pages: totalPages,
      has_next: page < totalPages,
      has_previous: page > 1,
    },
  };
}

/**
 * The task a reference names: a task UUID, or else a correlation id (the newest task carrying
 * it). Resolves to the task's UUID.
 *
 * @throws {TaskNotFoundError} when neither matches (or the reference is not a UUID)
 *
 * @example
 * ```ts ignore
 * const taskUuid = await resolveTaskRef(db, "0190c3a2-...");
 * ```
 */
export async function resolveTaskRef(db: Queryable, ref: string): Promise<string> {
  if (!isUuid(ref)) throw new TaskNotFoundError(ref);
  const rows = await db.query<{ task_uuid: string }>(
    `SELECT task_uuid::text AS task_uuid FROM tasker.tasks
      WHERE task_uuid = $1::uuid OR correlation_id = $2
      ORDER BY (task_uuid = $1::uuid) DESC, created_at DESC LIMIT 1`,
    [ref, ref.toLowerCase()],
  );
  const found = rows[0]?.task_uuid;
  if (found === undefined) throw new TaskNotFoundError(ref);
  return found;
}

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a duration such as `500ms`, `45s`, `15m`, `1h`, `30d` or `2w` into milliseconds.
 *
 * @returns the milliseconds, or undefined when `text` is not a duration
 *
 * @example
 * ```ts
 * import { parseDuration } from "./task_queries.ts";
 * parseDuration("1h"); // 3600000
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * Checks a query's filters and page without running it.
 *
 * @throws {TaskQueryError} as {@link listTasks} would
 */
export function checkTaskQuery(query: TaskQuery): void {
  pageNumber(query.page);
  pageSize(query.per_page);
  whereClause(query);
}

function whereClause(query: TaskQuery): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (query.namespace !== undefined) add((p) => `t.namespace = ${p}`, query.namespace);
  if (query.name !== undefined) add((p) => `t.name = ${p}`, query.name);
  if (query.state !== undefined) {
    const states = typeof query.state === "string" ? [query.state] : [...query.state];
    for (const state of states) {
      if (!TASK_STATES.includes(state)) {
        throw new TaskQueryError(
          "state",
          `unknown task state ${JSON.stringify(state)} (known: ${TASK_STATES.join(", ")})`,
        );
      }
    }
    add((p) => `t.state = ANY(${p}::text[])`, states);
  }
  if (query.since !== undefined) {
    add((p) => `t.created_at >= ${p}::timestamptz`, isoTime("since", query.since));
  }
  if (query.until !== undefined) {
    add((p) => `t.created_at < ${p}::timestamptz`, isoTime("until", query.until));
  }
  if (query.correlation_id !== undefined) {
    if (!isUuid(query.correlation_id)) {
      throw new TaskQueryError(
        "correlation_id",
        `correlation_id must be a UUID, got ${JSON.stringify(query.correlation_id)}`,
      );
    }
    add((p) => `t.correlation_id = ${p}`, query.correlation_id.toLowerCase());
  }
  if (query.tags !== undefined && query.tags.length > 0) {
    add((p) => `t.tags @> ${p}::jsonb`, JSON.stringify([...query.tags]));
  }
  return {
    where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "",
    params,
  };
}

function pageNumber(page: number | undefined): number {
  if (page === undefined) return 1;
  if (!Number.isInteger(page) || page < 1) {
    throw new TaskQueryError("page", `page must be a whole number from 1, got ${page}`);
  }
  return page;
}

function pageSize(perPage: number | undefined): number {
  if (perPage === undefined) return 25;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
    throw new TaskQueryError(
      "per_page",
      `per_page must be a whole number from 1 to 100, got ${perPage}`,
    );
  }
  return perPage;
}

function isoTime(field: string, value: Date): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TaskQueryError(field, `${field} must be a valid time, got ${String(value)}`);
  }
  return value.toISOString();
}
