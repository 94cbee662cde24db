/**
 * The events a group of recorded outcomes fires: prepared from each step row as written (its
 * persisted retryability), checked against `jsonb`'s rules (an unstorable event is dropped and
 * said why, the outcome stands), and stored — written into PGMQ in the outcomes' transaction
 * when the writer's transactional entry point is given, otherwise kept owed for the writer — each
 * with its history row in `tasker.step_events`.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { Queryable } from "../durable/db/database.ts";
import type { TransactionalEvents, WithinEvent } from "../durable/writer/within.ts";
import { domainEventsQueue } from "../names.ts";
import type { PreparedEvent } from "./event_router.ts";
import type { StepOutcomeRecord } from "./outcome_record.ts";
import { jsonbProblem, jsonbTextProblem } from "./storable.ts";

/** Where a group's durable events go when they are written with the outcomes. */
export interface WithinTransaction {
  /** The writer's transactional entry point. */
  writer: TransactionalEvents;
  /** The queues created before the transaction: only events bound there are written now. */
  ensured: ReadonlySet<string>;
  /** Filled with the events written, for the writer's counters after the commit. */
  written: WithinEvent[];
}

/** An outcome written in this transaction, with the retryability persisted for it. */
export interface FiringOutcome {
  /** The outcome. */
  record: StepOutcomeRecord;
  /** Whether the step stays retryable, as written. */
  retryable: boolean;
}

/** What the outcomes fired: events to route after the commit, and those that cannot be stored. */
export interface Fired<T> {
  /** Per outcome, its stored events, to route once committed. */
  events: Map<T, PreparedEvent[]>;
  /** Per outcome, why each event it fired that cannot be stored was dropped. */
  unstorable: Map<T, string[]>;
}

/**
 * Prepares the events the written outcomes fire (retryability as persisted) and stores each
 * one's row in `tasker.step_events`. With `within`, durable and broadcast events go into PGMQ
 * now and their rows are history only (no envelope copy: the message holds it); otherwise their
 * rows hold the envelope, owed until the writer sends it. Fast events get a history row.
 *
 * @example
 * ```ts ignore
 * const fired = await storeEvents(tx, kept, { writer: events, ensured, written });
 * ```
 */
export async function storeEvents<T extends FiringOutcome>(
  tx: Queryable,
  kept: readonly T[],
  within: WithinTransaction | undefined,
): Promise<Fired<T>> {
  const fired: Fired<T> = { events: new Map(), unstorable: new Map() };
  const rows = new EventRows();
  const toWrite: { row: number; event: WithinEvent }[] = [];
  for (const p of kept) {
    const { task } = p.record.claim;
    const step = { ...p.record.claim.step, retryable: p.retryable };
    const list: PreparedEvent[] = [];
    for (const prepared of p.record.prepareEvents(step, p.record.result)) {
      const { event, delivery_mode: mode } = prepared;
      const queue = mode === "fast" ? null : domainEventsQueue(task.namespace);
      // Delivered with this transaction: fast events (routed after it) and durable ones whose
      // queue was created beforehand. Their rows are history only.
      const now = queue === null || (within?.ensured.has(queue) ?? false);
      let text: string | undefined;
      let problem: string | undefined;
      let written: WithinEvent | undefined;
      try {
        if (queue !== null && now) written = within!.writer.prepare(event, queue);
        text = written?.body ?? JSON.stringify(event);
        const found = jsonbTextProblem(text, "event");
        if (found) problem = `${found.path} holds ${found.reason}`;
      } catch (error) {
        const found = jsonbProblem(event, "event");
        problem = found ? `${found.path} holds ${found.reason}` : errorMessage(error);
      }
      if (problem !== undefined) {
        const reasons = fired.unstorable.get(p) ?? [];
        reasons.push(`${event.event_name}: ${problem}`);
        fired.unstorable.set(p, reasons);
        continue;
      }
      const row = rows.add(p, prepared, queue, now ? null : text!);
      if (written) {
        toWrite.push({ row, event: written });
        list.push({ ...prepared, durable_written: true });
      } else list.push(prepared);
    }
    fired.events.set(p, list);
  }
  if (toWrite.length > 0) {
    const msgIds = await within!.writer.write(tx, toWrite.map((w) => w.event));
    toWrite.forEach((w, i) => rows.msgIds[w.row] = msgIds[i]!);
    within!.written.push(...toWrite.map((w) => w.event));
  }
  await rows.insert(tx);
  return fired;
}

/** The `tasker.step_events` rows of a group, column by column. */
class EventRows {
  readonly ids: string[] = [];
  readonly tasks: string[] = [];
  readonly steps: string[] = [];
  readonly stepNames: string[] = [];
  readonly names: string[] = [];
  readonly modes: string[] = [];
  readonly queues: (string | null)[] = [];
  /** The envelope, for an owed event only (recovery re-sends it). */
  readonly envelopes: (string | null)[] = [];
  readonly payloads: (string | null)[] = [];
  readonly msgIds: (number | null)[] = [];

  /** Adds a row; returns its index. `envelope` null: delivered now, history only. */
  add(
    p: FiringOutcome,
    prepared: PreparedEvent,
    queue: string | null,
    envelope: string | null,
  ): number {
    const { task, step } = p.record.claim;
    this.ids.push(prepared.event.event_id);
    this.tasks.push(task.task_uuid);
    this.steps.push(step.step_uuid);
    this.stepNames.push(step.name);
    this.names.push(prepared.event.event_name);
    this.modes.push(prepared.delivery_mode);
    this.queues.push(queue);
    this.envelopes.push(envelope);
    const payload = prepared.event.payload?.payload;
    this.payloads.push(envelope === null && payload !== undefined ? JSON.stringify(payload) : null);
    this.msgIds.push(null);
    return this.ids.length - 1;
  }

  /** Inserts the rows, one statement; an envelope-less row is marked sent. */
  async insert(tx: Queryable): Promise<void> {
    if (this.ids.length === 0) return;
    await tx.query(
      `INSERT INTO tasker.step_events
         (event_id, task_uuid, step_uuid, step_name, event_name, delivery_mode, queue, envelope,
          payload, msg_id, sent_at)
       SELECT e.event_id, e.task_uuid, e.step_uuid, e.step_name, e.event_name, e.delivery_mode,
              e.queue, e.envelope, e.payload, e.msg_id,
              CASE WHEN e.envelope IS NULL THEN now() END
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::jsonb[], $9::jsonb[], $10::bigint[])
           AS e(event_id, task_uuid, step_uuid, step_name, event_name, delivery_mode, queue,
                envelope, payload, msg_id)`,
      [
        this.ids,
        this.tasks,
        this.steps,
        this.stepNames,
        this.names,
        this.modes,
        this.queues,
        this.envelopes,
        this.payloads,
        this.msgIds,
      ],
    );
  }
}
