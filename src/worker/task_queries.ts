/**
 * Finding tasks: a filtered, paged list (namespace, name, state, creation time range,
 * correlation id, tags) in Tasker's page shape, a task looked up by its UUID or its correlation
 * id, and one task in full (each step's timing, every event with its payload) for the
 * inspector, `tasker tasks show` and `GET /v1/tasks/{uuid}`.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { JsonObject } from "../events/types.ts";
import { TASK_STATES as SCHEMA_TASK_STATES } from "./engine_migrations.ts";
import {
  TASKER_STATE_COLUMNS,
  taskerStateOf,
  type TaskerStateRow,
  type TaskerTaskState,
  TaskNotFoundError,
} from "./task_status.ts";
import { FINAL_TASK_STATES } from "./transitions.ts";

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

/** One task of a {@link TaskPage}. */
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

/** One step of a {@link TaskDetail}, with its timing. */
export interface StepDetail {
  /** The step's UUID. */
  step_uuid: string;
  /** Step name. */
  name: string;
  /** Its state. */
  state: string;
  /** Attempts made. */
  attempts: number;
  /** Attempts allowed. */
  max_attempts: number;
  /** The result, once complete. */
  result: unknown;
  /** The last error, or null. */
  error: JsonObject | null;
  /** When the step row was created (ISO 8601). */
  created_at: string;
  /** When its current (or last) attempt started, or null. */
  started_at: string | null;
  /** When it finished, or null. */
  completed_at: string | null;
  /** When its next attempt is due, or null. */
  next_attempt_at: string | null;
}

/** One event of a {@link TaskDetail}, with its payload. */
export interface EventDetail {
  /** The event's UUIDv7. */
  event_id: string;
  /** Its name. */
  event_name: string;
  /** `durable`, `fast` or `broadcast`. */
  delivery_mode: string;
  /** The step that fired it. */
  step_name: string | null;
  /** The PGMQ queue (durable and broadcast), or null. */
  queue: string | null;
  /** The event's business payload (`payload.payload` of its envelope, as its schema describes). */
  payload: unknown;
  /** When it was fired (ISO 8601). */
  created_at: string;
  /** When it reached its queue (ISO 8601), null while owed or for fast events. */
  sent_at: string | null;
}

/** A task in full: what the inspector's task view and `GET /v1/tasks/{uuid}` show. */
export interface TaskDetail extends TaskSummary {
  /** The task's input. */
  context: JsonObject;
  /** Who asked, or null. */
  initiator: string | null;
  /** Where the request came from, or null. */
  source_system: string | null;
  /** Why it runs, or null. */
  reason: string | null;
  /** Priority, -100 to 100. */
  priority: number;
  /** Steps in template order. */
  steps: StepDetail[];
  /** Every event its steps fired (durable, fast and broadcast), in firing order. */
  events: EventDetail[];
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

const SUMMARY_COLUMNS = `t.task_uuid::text AS task_uuid, t.namespace, t.name, t.version,
  t.state AS status, t.correlation_id, t.tags, t.step_count, t.steps_complete,
  t.created_at, t.updated_at, t.completed_at, t.run_at, ${TASKER_STATE_COLUMNS}`;

interface SummaryRow extends TaskerStateRow {
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
    tasks: rows.map(summary),
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

/**
 * One task in full: its request fields, every step with its timing, every event with its
 * payload (durable and broadcast ones included, owed or sent).
 *
 * @throws {TaskNotFoundError} when there is no such task
 *
 * @example
 * ```ts ignore
 * const detail = await taskDetail(db, task.task_uuid);
 * for (const step of detail.steps) console.log(step.name, step.state, step.started_at);
 * ```
 */
export async function taskDetail(db: Queryable, taskUuid: string): Promise<TaskDetail> {
  if (!isUuid(taskUuid)) throw new TaskNotFoundError(taskUuid);
  const rows = await db.query<
    SummaryRow & {
      context: JsonObject;
      initiator: string | null;
      source_system: string | null;
      reason: string | null;
      priority: number;
      steps: StepDetail[];
      events: EventDetail[];
    }
  >(
    `SELECT ${SUMMARY_COLUMNS}, t.context, t.initiator, t.source_system, t.reason, t.priority,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('step_uuid', s.step_uuid,
                      'name', s.name, 'state', s.state, 'attempts', s.attempts,
                      'max_attempts', s.max_attempts, 'result', s.result, 'error', s.error,
                      'created_at', s.created_at, 'started_at', s.started_at,
                      'completed_at', s.completed_at, 'next_attempt_at', s.next_attempt_at)
                      ORDER BY s.position), '[]'::jsonb)
               FROM tasker.steps s WHERE s.task_uuid = t.task_uuid) AS steps,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('event_id', e.event_id,
                      'event_name', e.event_name, 'delivery_mode', e.delivery_mode,
                      'step_name', coalesce(e.step_name, e.envelope->'metadata'->>'step_name'),
                      'queue', e.queue,
                      'payload', coalesce(e.payload, e.envelope->'payload'->'payload'), 'created_at', e.created_at,
                      'sent_at', e.sent_at)
                      ORDER BY e.event_id), '[]'::jsonb)
               FROM tasker.step_events e WHERE e.task_uuid = t.task_uuid) AS events
       FROM tasker.tasks t WHERE t.task_uuid = $1::uuid`,
    [taskUuid],
  );
  const row = rows[0];
  if (!row) throw new TaskNotFoundError(taskUuid);
  return {
    ...summary(row),
    context: row.context,
    initiator: row.initiator,
    source_system: row.source_system,
    reason: row.reason,
    priority: row.priority,
    steps: row.steps.map((s) => ({
      ...s,
      created_at: jsonTime(s.created_at)!,
      started_at: jsonTime(s.started_at),
      completed_at: jsonTime(s.completed_at),
      next_attempt_at: jsonTime(s.next_attempt_at),
    })),
    events: row.events.map((e) => ({
      ...e,
      payload: e.payload ?? null,
      created_at: jsonTime(e.created_at)!,
      sent_at: jsonTime(e.sent_at),
    })),
  };
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

function summary(row: SummaryRow): TaskSummary {
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

/** A timestamp as ISO 8601 (PGlite gives Dates, jsonb gives Postgres text). */
function jsonTime(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}
