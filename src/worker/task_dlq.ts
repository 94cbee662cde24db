/**
 * The task dead-letter queue, Tasker's `tasks_dlq`: not a message queue but an investigation
 * table. The staleness detector (staleness.ts) writes an entry per stale task; operators list
 * the entries, repair the task's steps (task_actions.ts) and record what they found by resolving
 * the entry. A task has at most one `pending` entry; resolved ones stay as history.
 *
 * Not to be confused with `{queue}_dlq`, the dead letters of the durable event consumer.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { JsonObject } from "../events/types.ts";
import { isUuid } from "../events/uuid.ts";

/** Why a task is in the DLQ (Tasker's reasons; only staleness writes entries automatically). */
export type DlqReason =
  | "staleness_timeout"
  | "max_retries_exceeded"
  | "dependency_cycle_detected"
  | "worker_unavailable"
  | "manual_dlq";

/** Where an investigation stands. */
export type DlqResolutionStatus =
  | "pending"
  | "manually_resolved"
  | "permanently_failed"
  | "cancelled";

const RESOLUTIONS: readonly DlqResolutionStatus[] = [
  "manually_resolved",
  "permanently_failed",
  "cancelled",
];

/** One DLQ entry. */
export interface DlqEntry {
  /** The entry's UUID. */
  dlq_entry_uuid: string;
  /** The task. */
  task_uuid: string;
  /** The phase the task was in when it was put here. */
  original_state: string;
  /** Why. */
  dlq_reason: DlqReason;
  /** When, RFC 3339. */
  dlq_timestamp: string;
  /** Where the investigation stands. */
  resolution_status: DlqResolutionStatus;
  /** When it was resolved, RFC 3339. */
  resolution_timestamp: string | null;
  /** What the operator found or did. */
  resolution_notes: string | null;
  /** Who resolved it. */
  resolved_by: string | null;
  /** The task row and its steps when it was put here. */
  task_snapshot: JsonObject;
  /** How it was detected (`detection_method`, `time_in_state_minutes`, `threshold_minutes`). */
  metadata: JsonObject;
}

/** Filters of {@link listDlqEntries}. */
export interface DlqListOptions {
  /** Only entries in this status. */
  resolution_status?: DlqResolutionStatus;
  /** Only this task's entries. */
  task_uuid?: string;
  /** 1..1000; default 50. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

/** Thrown when no DLQ entry has the given UUID. */
export class DlqEntryNotFoundError extends TaskerError {
  /**
   * Creates the error naming the entry.
   *
   * @param entry the UUID asked for
   */
  constructor(entry: string) {
    super("E_DLQ_ENTRY_NOT_FOUND", `no DLQ entry ${entry}`);
  }
}

/** Thrown for a resolution that is not one of the allowed ones, or of an entry not pending. */
export class DlqResolutionError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what is wrong
   */
  constructor(message: string) {
    super("E_DLQ_RESOLUTION_INVALID", message);
  }
}

const UTC = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const COLUMNS = `dlq_entry_uuid::text AS dlq_entry_uuid, task_uuid::text AS task_uuid,
  original_state, dlq_reason, to_char(dlq_timestamp AT TIME ZONE 'UTC', ${UTC}) AS dlq_timestamp,
  resolution_status, to_char(resolution_timestamp AT TIME ZONE 'UTC', ${UTC})
    AS resolution_timestamp,
  resolution_notes, resolved_by, task_snapshot, metadata`;

/**
 * DLQ entries, newest first.
 *
 * @example
 * ```ts ignore
 * const pending = await listDlqEntries(db, { resolution_status: "pending" });
 * ```
 */
export async function listDlqEntries(
  db: Queryable,
  options: DlqListOptions = {},
): Promise<DlqEntry[]> {
  const limit = options.limit ?? 50;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new DlqResolutionError(`limit must be an integer from 1 to 1000, got ${limit}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new DlqResolutionError(`offset must be an integer ≥ 0, got ${offset}`);
  }
  if (options.task_uuid !== undefined && !isUuid(options.task_uuid)) return [];
  return await db.query<DlqEntry>(
    `SELECT ${COLUMNS} FROM tasker.tasks_dlq
      WHERE ($1::text IS NULL OR resolution_status = $1) AND ($2::uuid IS NULL OR task_uuid = $2)
      ORDER BY dlq_timestamp DESC, dlq_entry_uuid LIMIT $3 OFFSET $4`,
    [options.resolution_status ?? null, options.task_uuid ?? null, limit, offset],
  );
}

/** How an entry is resolved. */
export interface DlqResolution {
  /** The outcome of the investigation. */
  resolution_status: Exclude<DlqResolutionStatus, "pending">;
  /** Who resolved it. */
  by: string;
  /** What was found or done. */
  notes?: string;
}

/**
 * Resolves a pending DLQ entry.
 *
 * @throws {DlqEntryNotFoundError} for an unknown entry
 * @throws {DlqResolutionError} for a status other than `manually_resolved`,
 *   `permanently_failed` or `cancelled`, or an entry already resolved
 *
 * @example
 * ```ts ignore
 * await resolveDlqEntry(db, entry.dlq_entry_uuid, {
 *   resolution_status: "manually_resolved",
 *   by: "ops@example.com",
 *   notes: "payment gateway was down; step reset",
 * });
 * ```
 */
export async function resolveDlqEntry(
  db: Queryable,
  entryUuid: string,
  resolution: DlqResolution,
): Promise<DlqEntry> {
  if (!RESOLUTIONS.includes(resolution.resolution_status)) {
    throw new DlqResolutionError(
      `resolution_status ${JSON.stringify(resolution.resolution_status)} is not one of ${
        RESOLUTIONS.join(", ")
      }`,
    );
  }
  if (typeof resolution.by !== "string" || resolution.by.trim() === "") {
    throw new DlqResolutionError("resolving a DLQ entry needs `by`, a non-empty string");
  }
  if (!isUuid(entryUuid)) throw new DlqEntryNotFoundError(entryUuid);
  const [row] = await db.query<DlqEntry>(
    `UPDATE tasker.tasks_dlq
        SET resolution_status = $2, resolved_by = $3, resolution_notes = $4,
            resolution_timestamp = now()
      WHERE dlq_entry_uuid = $1::uuid AND resolution_status = 'pending'
      RETURNING ${COLUMNS}`,
    [entryUuid, resolution.resolution_status, resolution.by, resolution.notes ?? null],
  );
  if (row) return row;
  const [existing] = await db.query<{ resolution_status: string }>(
    "SELECT resolution_status FROM tasker.tasks_dlq WHERE dlq_entry_uuid = $1::uuid",
    [entryUuid],
  );
  if (!existing) throw new DlqEntryNotFoundError(entryUuid);
  throw new DlqResolutionError(
    `DLQ entry ${entryUuid} is already ${existing.resolution_status}; only a pending entry can be resolved`,
  );
}

/** Counts per reason, as Tasker's `GET /v1/dlq/stats`. */
export interface DlqStats {
  /** The reason. */
  dlq_reason: DlqReason;
  /** Entries in all. */
  total: number;
  /** Still pending. */
  pending: number;
  /** Resolved `manually_resolved`. */
  manually_resolved: number;
  /** Resolved `permanently_failed`. */
  permanent_failures: number;
  /** Resolved `cancelled`. */
  cancelled: number;
}

/**
 * DLQ counts per reason.
 *
 * @example
 * ```ts ignore
 * const stats = await dlqStats(db);
 * ```
 */
export function dlqStats(db: Queryable): Promise<DlqStats[]> {
  return db.query<DlqStats>(
    `SELECT dlq_reason, count(*)::int AS total,
            count(*) FILTER (WHERE resolution_status = 'pending')::int AS pending,
            count(*) FILTER (WHERE resolution_status = 'manually_resolved')::int
              AS manually_resolved,
            count(*) FILTER (WHERE resolution_status = 'permanently_failed')::int
              AS permanent_failures,
            count(*) FILTER (WHERE resolution_status = 'cancelled')::int AS cancelled
       FROM tasker.tasks_dlq GROUP BY dlq_reason ORDER BY dlq_reason`,
  );
}
