/**
 * A step's stored checkpoint (Tasker's `CheckpointRecord`): types only, so that the step row, the
 * handler contract and the claim can name it without importing the checkpoint logic.
 *
 * @module
 */

/** One saved yield in a checkpoint's history. */
export interface CheckpointHistoryEntry {
  /** The cursor saved. */
  cursor: unknown;
  /** When, RFC 3339. */
  timestamp: string;
}

/** A step's stored checkpoint (Tasker's `CheckpointRecord`). */
export interface CheckpointRecord {
  /** Where to resume: a number, string or object. */
  cursor: unknown;
  /** Items processed so far, cumulative. */
  items_processed: number;
  /** When it was saved, RFC 3339. */
  timestamp: string;
  /** What the handler carries across yields; null when it gave none. */
  accumulated_results: Record<string, unknown> | null;
  /** Every yield of the step so far, oldest first; the last is this one. */
  history: CheckpointHistoryEntry[];
}
