/**
 * Recording step outcomes, set-based: a group of outcomes held by one worker is written in ONE
 * transaction that also schedules retries, enqueues successors whose dependencies are all
 * complete, finishes tasks, deletes the queue messages, and stores the domain events the steps
 * fired (their ids fixed here). The transaction first locks its tasks' rows in UUID order, so
 * workers sharing tasks (parallel branches) serialise per task instead of deadlocking.
 *
 * @module
 */

import {
  deleteMessages as deleteQueueMessages,
  sendBatchVisibleNow,
  sendVisibleAfter,
} from "../durable/pgmq/statements.ts";
import type { Database, Queryable } from "../durable/db/database.ts";
import type { TransactionalEvents, WithinEvent } from "../durable/writer/within.ts";
import { applyDynamicOutcomes } from "./dynamic_steps.ts";
import type { PreparedEvent } from "./event_router.ts";
import type { StepState, TaskState } from "./step_store.ts";
import { storeEvents } from "./outcome_events.ts";
import type { StepOutcomeRecord } from "./outcome_record.ts";
import {
  type OutcomeRow,
  SETTLE_TASK,
  WRITE_STEPS,
  writeOutcomes,
  writeStepsParams,
} from "./outcome_statement.ts";
import { requestedRetryDelayMs } from "./backoff.ts";

/** Options of {@link recordOutcomes}. */
export interface RecordOptions {
  /** The DurableWriter's transactional entry point: durable events go in with the outcomes. */
  events?: TransactionalEvents;
  /** Runs last inside the transaction; its writes commit (or roll back) with the outcomes. */
  alsoInTransaction?: (tx: Queryable) => Promise<void>;
  /** Records the transaction's step transitions with this actor (`transitions.ts`). */
  transitionActor?: string;
}

/** The recorded outcome of one step. */
export interface RecordedOutcome {
  /** The step's new state. */
  state: StepState;
  /** The task's state after this group of outcomes. */
  task_state: TaskState;
  /** Successor steps this outcome released into the queue. */
  enqueued: string[];
  /** When a retry was scheduled, its delay. */
  retry_delay_ms?: number;
  /** Events fired, in declaration order, to route now that they are committed. */
  events: PreparedEvent[];
  /**
   * Events this outcome fired that could not be stored (a publisher put a value `jsonb` rejects
   * into one), each with the reason; they are not published, the outcome stands.
   */
  unstorable_events?: string[];
}

interface Planned {
  record: StepOutcomeRecord;
  state: StepState;
  retryable: boolean;
  retryDelayMs?: number;
}

/**
 * Records a group of outcomes held by `workerId` in one transaction. The result lists, per
 * record in order, its outcome, or `null` when its claim was lost (the lease expired and
 * another worker took the step): nothing is written for those.
 *
 * With `alsoInTransaction`, more work commits in the same transaction (the worker claims its
 * next steps there, so that under load one transaction per cycle records outcomes and claims).
 *
 * With `events` (the DurableWriter's transactional entry point, given when the durable queues
 * live in this database), the steps' durable and broadcast events are written into PGMQ in this
 * same transaction: nothing is owed after the commit. Without it they are stored owed, for the
 * writer to send after the commit.
 *
 * @example
 * ```ts ignore
 * const outcomes = await recordOutcomes(db, records, "worker-1", {
 *   events: writer.transactional(),
 * });
 * ```
 */
export async function recordOutcomes(
  db: Database,
  records: readonly StepOutcomeRecord[],
  workerId: string,
  options: RecordOptions = {},
): Promise<(RecordedOutcome | null)[]> {
  const { events, alsoInTransaction, transitionActor } = options;
  const planned = records.map(plan);
  // The queues a step's events can go to, created before the transaction (cached: a Set look-up
  // after the first time). An event bound elsewhere is stored owed instead.
  const ensured = new Set<string>();
  if (events) {
    for (const r of records) if (r.eventQueue) ensured.add(r.eventQueue);
    try {
      await events.ensureQueues(ensured);
    } catch {
      // The writer retries creating them when it sends these events itself, after the commit.
      ensured.clear();
    }
  }
  const written: WithinEvent[] = [];
  const outcomes = await db.transaction(async (tx) => {
    written.length = 0; // a retried transaction starts again
    const taskIds = [...new Set(records.map((r) => r.claim.task.task_uuid))].sort();
    // Lock the tasks in UUID order, and mark the transaction as this worker's: the step-queue
    // wake-ups it causes are ignored by this worker (step_wakeups.ts), which claims the
    // successors itself.
    // With a transition actor, the step triggers record this transaction's transitions.
    // Pipelined: the lock, the write and the next claims go to the server in one round trip
    // (none needs another's result); `inOrder` reports the first failure, not the
    // "transaction is aborted" that the statements after it get.
    // On a server the statements after this one run their cached generic plans: re-planning the
    // write and the claim with each group's values cost more than executing them.
    const locked = tx.query(
      `SELECT set_config('tasker.worker_id', $2::text, true), set_config('tasker.actor', $3, true),
              set_config('plan_cache_mode', $4::text, true)
         FROM (SELECT task_uuid FROM tasker.tasks WHERE task_uuid = ANY($1::uuid[])
                ORDER BY task_uuid FOR UPDATE) AS locked`,
      [taskIds, workerId, transitionActor ?? "", PLAN_CACHE_MODE[db.kind] ?? "auto"],
    );
    let kept: Planned[];
    let released: Map<string, string[]>;
    let taskStates: Map<string, TaskState>;
    let claimed: Promise<void> | undefined;
    if (planned.every((p) => !p.record.dynamic?.expansion && !p.record.dynamic?.batch)) {
      // The common case, one statement (outcome_statement.ts).
      const writing = writeOutcomes(tx, planned.map(outcomeRow), workerId);
      // The claims see the successors this statement sends: it runs first, in this transaction.
      claimed = alsoInTransaction?.(tx);
      const [, write] = await inOrder(locked, writing, claimed);
      kept = planned.filter((p) => write.written.has(p.record.claim.step.step_uuid));
      released = creditReleases(kept, write.released);
      taskStates = write.taskStates;
      await scheduleRetries(tx, kept);
    } else {
      await locked;
      kept = await writeSteps(tx, planned, workerId);
      released = await releaseSuccessors(tx, kept);
      // Decision branches, batch workers and what joins them: created with the outcome.
      const created = await applyDynamicOutcomes(
        tx,
        kept.map((p) => ({ claim: p.record.claim, state: p.state, dynamic: p.record.dynamic })),
      );
      for (const [by, names] of created) {
        released.set(by, [...(released.get(by) ?? []), ...names]);
      }
      await scheduleRetries(tx, kept);
      taskStates = await settleTasks(tx, kept);
      await deleteMessages(tx, kept);
    }
    const fired = await storeEvents(tx, kept, events && { writer: events, ensured, written });
    await (claimed ?? alsoInTransaction?.(tx));
    const keptSet = new Set(kept);
    return planned.map((p) => {
      if (!keptSet.has(p)) return null;
      const claim = p.record.claim;
      const outcome: RecordedOutcome = {
        state: p.state,
        task_state: taskStates.get(claim.task.task_uuid) ?? claim.task_state,
        enqueued: released.get(claim.step.step_uuid) ?? [],
        events: fired.events.get(p) ?? [],
        unstorable_events: fired.unstorable.get(p) ?? [],
      };
      if (p.retryDelayMs !== undefined) outcome.retry_delay_ms = p.retryDelayMs;
      return outcome;
    });
  });
  events?.committed(written);
  return outcomes;
}

/**
 * The plan cache mode of a commit's statements, per database kind: prepared statements on a
 * server (generic plans, measured 15% less server CPU per step); PGlite plans each query anyway.
 */
const PLAN_CACHE_MODE: Partial<Record<string, string>> = { postgres: "force_generic_plan" };

/**
 * Awaits pipelined statements of one transaction and throws the first one's failure in the
 * order they were sent: after it, the server refuses the others as "transaction aborted".
 */
async function inOrder<A, B>(
  first: Promise<A>,
  second: Promise<B>,
  third: Promise<unknown> | undefined,
): Promise<[A, B]> {
  const [a, b, c] = await Promise.allSettled([first, second, third]);
  if (a.status === "rejected") throw a.reason;
  if (b.status === "rejected") throw b.reason;
  if (c.status === "rejected") throw c.reason;
  return [a.value, b.value];
}

/** The successors an outcome lets run once written: a completed step's (or an isolated batch's). */
function releases(p: Planned): readonly string[] {
  // A batch worker of an `isolate` batch that failed for good still lets its convergence run.
  const isolated = p.state === "error" && p.record.dynamic?.batch?.failure_strategy === "isolate";
  return p.state === "complete" || isolated ? p.record.successors : [];
}

/** The one-statement form of a planned outcome. */
function outcomeRow(p: Planned): OutcomeRow {
  const { claim, result } = p.record;
  return {
    step_uuid: claim.step.step_uuid,
    task_uuid: claim.task.task_uuid,
    step_name: claim.step.name,
    queue: claim.source.queue,
    msg_id: claim.source.msg_id,
    state: p.state,
    result: result.success ? JSON.stringify(result.result ?? null) : null,
    error: result.success ? null : JSON.stringify({ ...result.error, metadata: result.metadata }),
    retryable: p.retryable,
    delay_s: p.retryDelayMs === undefined ? null : p.retryDelayMs / 1000,
    releases: releases(p),
  };
}

/**
 * Credits each successor sent to a completed predecessor in the group (for progress reporting),
 * keyed by the releasing step.
 */
function creditReleases(
  kept: readonly Planned[],
  rows: readonly { task_uuid: string; name: string; state: StepState }[],
): Map<string, string[]> {
  const releaser = new Map<string, string>();
  for (const p of kept) {
    for (const name of releases(p)) {
      releaser.set(`${p.record.claim.task.task_uuid}/${name}`, p.record.claim.step.step_uuid);
    }
  }
  const released = new Map<string, string[]>();
  for (const row of rows) {
    if (row.state !== "enqueued") continue;
    const by = releaser.get(`${row.task_uuid}/${row.name}`)!;
    released.set(by, [...(released.get(by) ?? []), row.name]);
  }
  return released;
}

function plan(record: StepOutcomeRecord): Planned {
  const { step } = record.claim;
  const { result } = record;
  // Retryability is the persisted row's: the template's flag, narrowed by a handler that says
  // its failure cannot be retried, and bounded by the attempts left.
  const retryable = step.retryable && (result.success || result.error.retryable);
  const state: StepState = result.success
    ? "complete"
    : retryable && step.attempts < step.max_attempts
    ? "waiting_for_retry"
    : "error";
  const planned: Planned = { record, state, retryable };
  if (state === "waiting_for_retry") {
    // A delay the handler asked for (a server's Retry-After) wins over the policy's, capped.
    planned.retryDelayMs = requestedRetryDelayMs(result) ?? record.retryDelayMs(step.attempts);
  }
  return planned;
}

/** Writes the outcomes whose claims are still ours; returns those (the others were lost). */
async function writeSteps(
  tx: Queryable,
  planned: readonly Planned[],
  workerId: string,
): Promise<Planned[]> {
  const rows = await tx.query<{ step_uuid: string }>(
    `${WRITE_STEPS} RETURNING s.step_uuid::text AS step_uuid`,
    writeStepsParams(planned.map(outcomeRow), workerId),
  );
  const ours = new Set(rows.map((row) => row.step_uuid));
  return planned.filter((p) => ours.has(p.record.claim.step.step_uuid));
}

/** Decrements successors' pending counts; sends those reaching zero. Keyed by the releasing step. */
async function releaseSuccessors(
  tx: Queryable,
  kept: readonly Planned[],
): Promise<Map<string, string[]>> {
  const tasks: string[] = [];
  const names: string[] = [];
  const releasers: string[] = [];
  const releaserNames: string[] = [];
  for (const p of kept) {
    for (const successor of releases(p)) {
      tasks.push(p.record.claim.task.task_uuid);
      names.push(successor);
      releasers.push(p.record.claim.step.step_uuid);
      releaserNames.push(p.record.claim.step.name);
    }
  }
  const released = new Map<string, string[]>();
  if (tasks.length === 0) return released;
  const releaser = new Map(tasks.map((task, i) => [`${task}/${names[i]}`, releasers[i]!]));
  const rows = await tx.query<
    { task_uuid: string; step_uuid: string; name: string; state: StepState }
  >(
    `UPDATE tasker.steps s
        SET pending_dependencies = s.pending_dependencies - v.done,
            state = CASE WHEN s.pending_dependencies = v.done THEN 'enqueued' ELSE s.state END,
            updated_at = now()
       FROM (SELECT u.task_uuid, u.name, count(*)::int AS done
               FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(task_uuid, name, releaser)
               JOIN tasker.steps w ON w.task_uuid = u.task_uuid AND w.name = u.name
              -- A step created at run time waits only for the steps in its waits_for.
              WHERE w.waits_for IS NULL OR u.releaser = ANY(w.waits_for)
              GROUP BY u.task_uuid, u.name) v
      WHERE s.task_uuid = v.task_uuid AND s.name = v.name AND s.state = 'pending'
      RETURNING s.task_uuid::text AS task_uuid, s.step_uuid::text AS step_uuid, s.name, s.state`,
    [tasks, names, releaserNames],
  );
  const ready = rows.filter((row) => row.state === "enqueued");
  if (ready.length === 0) return released;
  const queueOf = new Map(
    kept.map((p) => [p.record.claim.task.task_uuid, p.record.claim.source.queue]),
  );
  const byQueue = new Map<string, { task_uuid: string; step_uuid: string }[]>();
  for (const row of ready) {
    const queue = queueOf.get(row.task_uuid)!;
    const bodies = byQueue.get(queue) ?? [];
    bodies.push({ task_uuid: row.task_uuid, step_uuid: row.step_uuid });
    byQueue.set(queue, bodies);
    // Credit the release to a completed predecessor in this group (for progress reporting).
    const by = releaser.get(`${row.task_uuid}/${row.name}`)!;
    released.set(by, [...(released.get(by) ?? []), row.name]);
  }
  for (const [queue, bodies] of byQueue) {
    await sendBatchVisibleNow(tx, queue, bodies);
  }
  return released;
}

async function scheduleRetries(tx: Queryable, kept: readonly Planned[]): Promise<void> {
  // Retries are rare and each has its own delay; one send per retry keeps it simple.
  for (const p of kept) {
    if (p.retryDelayMs === undefined) continue;
    const { claim } = p.record;
    await sendVisibleAfter(
      tx,
      claim.source.queue,
      { task_uuid: claim.task.task_uuid, step_uuid: claim.step.step_uuid },
      p.retryDelayMs / 1000,
    );
  }
}

async function settleTasks(
  tx: Queryable,
  kept: readonly Planned[],
): Promise<Map<string, TaskState>> {
  const done = new Map<string, { completed: number; failed: boolean }>();
  for (const p of kept) {
    if (p.state === "waiting_for_retry") continue;
    const id = p.record.claim.task.task_uuid;
    const entry = done.get(id) ?? { completed: 0, failed: false };
    if (p.state === "complete") entry.completed++;
    else entry.failed = true;
    done.set(id, entry);
  }
  const states = new Map<string, TaskState>();
  if (done.size === 0) return states;
  const ids = [...done.keys()];
  const rows = await tx.query<{ task_uuid: string; state: TaskState }>(
    `UPDATE tasker.tasks t
        SET ${SETTLE_TASK}
       FROM unnest($1::uuid[], $2::int[], $3::bool[]) AS v(task_uuid, completed, failed)
      WHERE t.task_uuid = v.task_uuid
      RETURNING t.task_uuid::text AS task_uuid, t.state`,
    [ids, ids.map((id) => done.get(id)!.completed), ids.map((id) => done.get(id)!.failed)],
  );
  for (const row of rows) states.set(row.task_uuid, row.state);
  return states;
}

/**
 * Deletes the messages of the outcomes written. A lost claim's message is left alone: it is
 * the message the step's new holder read, and its outcome deletes it.
 */
async function deleteMessages(tx: Queryable, kept: readonly Planned[]): Promise<void> {
  const byQueue = new Map<string, number[]>();
  for (const { record: { claim: { source } } } of kept) {
    const ids = byQueue.get(source.queue) ?? [];
    ids.push(source.msg_id);
    byQueue.set(source.queue, ids);
  }
  for (const [queue, ids] of byQueue) await deleteQueueMessages(tx, queue, ids);
}
