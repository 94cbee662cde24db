/**
 * Wake-ups for step queues: a worker LISTENs for inserts into its step queues, so a step another
 * process sends (a submit, a successor committed by another worker, an operator's retry) is read
 * at once instead of at the worker's next idle poll. Polling stays the fallback for everything a
 * notification cannot announce (delayed retries becoming visible, lost notifications).
 *
 * The signal is a statement-level trigger, `tasker_wake`, on each step queue's PGMQ table:
 * `AFTER INSERT ... FOR EACH STATEMENT` runs `pg_notify('tasker_wake_<queue>', sender)` once per
 * INSERT statement, so a `send_batch` of 100 messages costs the sender one NOTIFY, and
 * PostgreSQL delivers identical notifications of one transaction once. PGMQ's own
 * `pgmq.enable_notify_insert` (which the domain-event consumer uses) was not taken for step
 * queues: its trigger is per row and UPDATEs the queue's row in `pgmq.notify_insert_throttle` for
 * every inserted message, so concurrent transactions writing one step queue (every worker's
 * outcome commit sends successors) would queue behind each other on that row lock; and its
 * throttle swallows the notifications inside the interval, which is the latency this is for.
 *
 * The trigger is installed where step queues are created (`ensureQueue` in queues.ts, called by
 * submit, operator actions and the worker's start), and by a worker for band queues it finds
 * that lack it (made by an older version). Installation is idempotent and safe when processes
 * race: one `DO` statement checks first, creates (or, from an older version, replaces) the trigger
 * function under an advisory lock, and treats "already exists" from a concurrent installer as
 * done.
 *
 * A worker listens on the channels of every queue it may read — normal and both priority bands
 * of each namespace — from the start, so a band queue created later needs no new LISTEN; a
 * notification naming a band queue the worker has not seen yet makes it look for band queues at
 * once (priority_queues.ts). Notifications delivered together cause one wake-up; the worker
 * remembers a wake-up that arrives while it is reading and reads once more after that read.
 *
 * The payload (`sender`) is the transaction's `tasker.worker_id` setting, empty unless the
 * inserting transaction ran `SET LOCAL tasker.worker_id = '<id>'`: a worker ignores the
 * notifications of its own outcome commits, after which it wakes itself anyway, so a chain of
 * steps costs it no extra empty read per step.
 *
 * Embedded (PGlite) the trigger notifies in process, which wakes a worker for steps another
 * Tasker on the same database sent. On a server, the adapter listens on one connection outside
 * the pool and re-subscribes after a drop; a notification lost meanwhile costs one poll.
 *
 * @module
 */

import { errorMessage as text } from "../error_message.ts";
import type { Database, Queryable } from "../durable/db/database.ts";
import { assertQueueName } from "../names.ts";
import type { PriorityBands } from "./priority_queues.ts";

/** The trigger each step queue's table gets. */
export const WAKE_TRIGGER = "tasker_wake";

/**
 * The channel inserts into `queue` are announced on: `tasker_wake_<queue>` (at most 59
 * characters, so within PostgreSQL's 63).
 *
 * @example
 * ```ts
 * import { wakeChannel } from "./step_wakeups.ts";
 * wakeChannel("worker_payments_queue"); // "tasker_wake_worker_payments_queue"
 * ```
 */
export function wakeChannel(queue: string): string {
  assertQueueName(queue);
  return `tasker_wake_${queue}`;
}

/**
 * Marks the trigger function's current body (its `COMMENT`): an installer that finds another
 * mark (an older version) replaces the body, so upgrades reach databases that already have it.
 */
const FUNCTION_MARK = "deno-tasker step wake-up v1";

/**
 * One statement, so the check and the creation share one transaction whether or not the caller
 * is inside one. Errors are caught in the block (a subtransaction), so a caller's transaction
 * never aborts because a wake-up could not be installed: the worker then polls. Only the queue
 * name is put into the text, after {@link assertQueueName}, as a literal.
 */
function installSql(queue: string): string {
  return `DO $wake$
DECLARE
  tbl regclass := to_regclass('pgmq.q_${queue}');
  fn regprocedure := to_regprocedure('tasker.wake_step_workers()');
BEGIN
  IF tbl IS NULL THEN
    RETURN;
  END IF;
  IF fn IS NULL OR obj_description(fn, 'pg_proc') IS DISTINCT FROM '${FUNCTION_MARK}' THEN
    -- Several processes may get here at once: one creates the function, the others wait and
    -- find it (a REPEATABLE READ caller cannot see it yet and may fail to: still fine).
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('tasker.wake_step_workers'));
      fn := to_regprocedure('tasker.wake_step_workers()');
      IF fn IS NULL OR obj_description(fn, 'pg_proc') IS DISTINCT FROM '${FUNCTION_MARK}' THEN
        CREATE OR REPLACE FUNCTION tasker.wake_step_workers() RETURNS trigger
        LANGUAGE plpgsql AS $fn$
        BEGIN
          PERFORM pg_notify('tasker_wake_' || substr(TG_TABLE_NAME, 3),
            coalesce(current_setting('tasker.worker_id', true), ''));
          RETURN NULL;
        END
        $fn$;
        COMMENT ON FUNCTION tasker.wake_step_workers() IS '${FUNCTION_MARK}';
      END IF;
    EXCEPTION WHEN OTHERS THEN
      IF to_regprocedure('tasker.wake_step_workers()') IS NULL THEN
        RAISE;
      END IF;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = '${WAKE_TRIGGER}') THEN
    RETURN;
  END IF;
  -- CREATE TRIGGER locks the table against itself: a racing installer waits, then finds the
  -- trigger there (duplicate_object below).
  EXECUTE format(
    'CREATE TRIGGER ${WAKE_TRIGGER} AFTER INSERT ON %s FOR EACH STATEMENT '
    'EXECUTE FUNCTION tasker.wake_step_workers()', tbl);
EXCEPTION
  WHEN duplicate_object THEN
    NULL; -- another process installed it first
  WHEN OTHERS THEN
    RAISE WARNING 'deno-tasker: no wake-up trigger on step queue %: % (%)',
      '${queue}', SQLERRM, SQLSTATE;
END
$wake$`;
}

/**
 * Installs the wake-up trigger on `queue`'s table unless it is there; a no-op when the queue
 * does not exist. Never throws for a trigger it cannot create (missing privileges): it reports
 * through {@link hasWakeTrigger} instead, and PostgreSQL's log says why.
 *
 * @param db the database or an open transaction
 * @param queue the step queue (validated)
 *
 * @example
 * ```ts ignore
 * import { installWakeTrigger } from "./step_wakeups.ts";
 * await installWakeTrigger(db, "worker_payments_queue");
 * ```
 */
export async function installWakeTrigger(db: Queryable, queue: string): Promise<void> {
  assertQueueName(queue);
  await db.query(installSql(queue));
}

/**
 * The queues among `queues` whose table exists and has the wake-up trigger.
 *
 * @example
 * ```ts ignore
 * import { hasWakeTrigger } from "./step_wakeups.ts";
 * const ready = await hasWakeTrigger(db, ["worker_payments_queue"]);
 * ```
 */
export async function hasWakeTrigger(
  db: Queryable,
  queues: readonly string[],
): Promise<Set<string>> {
  for (const queue of queues) assertQueueName(queue);
  const rows = await db.query<{ queue: string }>(
    `SELECT q.queue FROM unnest($1::text[]) AS q(queue)
      JOIN pg_trigger t ON t.tgrelid = to_regclass('pgmq.q_' || q.queue) AND t.tgname = $2::text`,
    [queues, WAKE_TRIGGER],
  );
  return new Set(rows.map((row) => row.queue));
}

/** Options of {@link StepWakeups}. */
export interface StepWakeupsOptions {
  /** The worker's database. */
  db: Database;
  /** The worker's queues: every band of every namespace is listened for. */
  bands: PriorityBands;
  /** Called when a step queue got messages; cheap and idempotent (`Worker.wake`). */
  onWake: () => void;
  /**
   * The worker's id: notifications whose payload is this id come from the worker's own commits
   * (which wake it locally) and are ignored.
   */
  selfId?: string;
  /** Who is listening, for log lines (`worker <id>`). */
  label: string;
  /** The worker's poll interval, for log lines. */
  pollIntervalMs: number;
}

/** Counters of one {@link StepWakeups}. */
export interface StepWakeupsStats {
  /** Notifications received. */
  notifications: number;
  /** Wake-ups handed to the worker (notifications delivered together count once). */
  wakeups: number;
  /** Notifications of the worker's own commits, ignored. */
  own: number;
}

/**
 * Listens for inserts into a worker's step queues and wakes the worker.
 *
 * @example
 * ```ts ignore
 * const wakeups = new StepWakeups({ db, bands, onWake: () => worker.wake(), label, pollIntervalMs });
 * await wakeups.start(); // false: not listening, the worker polls
 * await wakeups.close();
 * ```
 */
export class StepWakeups {
  readonly #options: StepWakeupsOptions;
  readonly #unlisten: (() => Promise<void>)[] = [];
  readonly #stats: StepWakeupsStats = { notifications: 0, wakeups: 0, own: 0 };
  #scheduled = false;
  #unfound: (() => void) | undefined;
  #installing = new Set<Promise<void>>();
  #closed = false;

  /**
   * Creates the listener; nothing happens until {@link StepWakeups.start}.
   *
   * @param options database, bands and the wake callback
   */
  constructor(options: StepWakeupsOptions) {
    this.#options = options;
  }

  /** Whether notifications are subscribed to now. */
  get listening(): boolean {
    return this.#unlisten.length > 0;
  }

  /** A snapshot of the counters. */
  stats(): StepWakeupsStats {
    return { ...this.#stats };
  }

  /**
   * Subscribes to every queue's channel and reports queues without the trigger. Resolves false,
   * after logging once, when the database cannot LISTEN: the worker then only polls.
   */
  async start(): Promise<boolean> {
    const { db, bands } = this.#options;
    const queues = bands.all();
    try {
      for (const queue of queues) {
        this.#unlisten.push(
          await db.listen(wakeChannel(queue), (sender) => this.#notified(queue, sender)),
        );
        if (this.#closed) break;
      }
    } catch (error) {
      this.#log(
        `cannot LISTEN for new steps, it polls its queues every ${this.#options.pollIntervalMs} ms instead: ${
          text(error)
        }`,
      );
      await this.#unlistenAll();
      return false;
    }
    if (this.#closed) {
      await this.#unlistenAll();
      return false;
    }
    // Band queues made before their creator installed triggers get one when the worker finds them.
    this.#unfound = bands.onFound((found) => {
      const work = this.#install(found);
      this.#installing.add(work);
      work.finally(() => this.#installing.delete(work));
    });
    await this.#checkTriggers(queues.filter((queue) => !bands.isBand(queue)));
    return true;
  }

  /** Stops listening (no wake-up is delivered afterwards). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unfound?.();
    this.#unfound = undefined;
    await Promise.allSettled([...this.#installing]);
    await this.#unlistenAll();
  }

  #notified(queue: string, sender: string): void {
    if (this.#closed) return;
    this.#stats.notifications++;
    if (sender !== "" && sender === this.#options.selfId) {
      this.#stats.own++;
      return;
    }
    this.#options.bands.expect(queue);
    if (this.#scheduled) return;
    // Notifications that arrive together (one network read) become one wake-up.
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#closed) return;
      this.#stats.wakeups++;
      this.#options.onWake();
    });
  }

  async #install(queues: readonly string[]): Promise<void> {
    if (this.#closed) return;
    const { db } = this.#options;
    try {
      for (const queue of queues) await installWakeTrigger(db, queue);
      await this.#checkTriggers(queues);
    } catch (error) {
      this.#log(`could not install wake-up triggers on ${queues.join(", ")}: ${text(error)}`);
    }
  }

  /** Says once per queue when it has no trigger: its steps wait for the worker's poll. */
  async #checkTriggers(queues: readonly string[]): Promise<void> {
    if (queues.length === 0 || this.#closed) return;
    let installed: Set<string>;
    try {
      installed = await hasWakeTrigger(this.#options.db, queues);
    } catch (error) {
      this.#log(`could not check its wake-up triggers: ${text(error)}`);
      return;
    }
    const missing = queues.filter((queue) => !installed.has(queue));
    if (missing.length > 0) {
      this.#log(
        `no wake-up trigger on ${missing.join(", ")} (the PostgreSQL log says why): ` +
          `steps sent there wait for its poll (every ${this.#options.pollIntervalMs} ms)`,
      );
    }
  }

  async #unlistenAll(): Promise<void> {
    const all = this.#unlisten.splice(0);
    const results = await Promise.allSettled(all.map((unlisten) => unlisten()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) this.#log(`could not stop listening: ${text(failed.reason)}`);
  }

  #log(message: string): void {
    console.error(`deno-tasker: ${this.#options.label} ${message}`);
  }
}
