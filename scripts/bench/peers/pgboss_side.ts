/**
 * pg-boss 12 in the peers benchmark: one queue holds every step's job; a transactional batch
 * handler inserts the successors with `{ db: tx }` (and, with events, one PGMQ message per step
 * by `pgmq.send_batch`) so a batch's completions, successors and events commit together.
 *
 * @module
 */

import { type Db, type Job, PgBoss } from "npm:pg-boss@12.38.0";
import {
  CHAIN_QUEUE,
  CHAIN_STEPS,
  idleQueueNames,
  PEER_EVENTS_QUEUE,
  pgbossShape,
} from "./contenders.ts";
import { nextValue, type PeerSide, type RunningWorker, type WorkerSettings } from "./side.ts";

/** A step job's data. */
interface StepData {
  wf: string;
  step: number;
  n: number;
  events: boolean;
}

function firstStep(events: boolean): StepData {
  return { wf: crypto.randomUUID(), step: 1, n: 0, events };
}

/** The event one step sends. */
export function stepEvent(step: StepData, n: number): string {
  return JSON.stringify({
    event_name: `chain.s${step.step}_done`,
    wf: step.wf,
    step: step.step,
    n,
  });
}

async function started(options: ConstructorParameters<typeof PgBoss>[0]): Promise<PgBoss> {
  const boss = new PgBoss(options);
  boss.on("error", (error: unknown) => console.error("pg-boss:", error));
  await boss.start();
  return boss;
}

/** An instance that only sends: no maintenance, no cron. */
function sender(url: string): Promise<PgBoss> {
  return started({ connectionString: url, supervise: false, schedule: false, migrate: false });
}

/** pg-boss's side. */
export const pgbossSide: PeerSide = {
  async setup(url, idleQueues) {
    const boss = await started({ connectionString: url, supervise: false, schedule: false });
    try {
      for (const name of [CHAIN_QUEUE, ...idleQueueNames(idleQueues)]) {
        if (!(await boss.getQueue(name))) await boss.createQueue(name, { notify: true });
      }
      const db = boss.getDb();
      await db.executeSql("CREATE EXTENSION IF NOT EXISTS pgmq", []);
      await db.executeSql("SELECT pgmq.create($1)", [PEER_EVENTS_QUEUE]);
    } finally {
      await boss.stop({ graceful: false });
    }
  },

  async submit(url, count, events) {
    const boss = await sender(url);
    try {
      for (let i = 0; i < count; i += 500) {
        const jobs = Array.from({ length: Math.min(500, count - i) }, () => ({
          data: firstStep(events),
        }));
        await boss.insert(CHAIN_QUEUE, jobs);
      }
    } finally {
      await boss.stop({ graceful: false });
    }
  },

  async startWorker(url, settings: WorkerSettings): Promise<RunningWorker> {
    const shape = pgbossShape(settings.concurrency);
    const boss = await started({ connectionString: url, useListenNotify: true });
    await boss.work(CHAIN_QUEUE, {
      ...shape,
      transactional: true as const,
      burstWhenBatchFull: true,
    }, async (jobs: Job<StepData>[], tx: Db) => {
      const successors: { data: StepData }[] = [];
      const events: string[] = [];
      for (const job of jobs) {
        settings.onHandler();
        const n = nextValue(job.data.n);
        if (job.data.events) events.push(stepEvent(job.data, n));
        if (job.data.step < CHAIN_STEPS) {
          successors.push({ data: { ...job.data, step: job.data.step + 1, n } });
        }
      }
      if (successors.length > 0) await boss.insert(CHAIN_QUEUE, successors, { db: tx });
      if (events.length > 0) {
        await tx.executeSql("SELECT pgmq.send_batch($1, $2::jsonb[])", [PEER_EVENTS_QUEUE, events]);
      }
    });
    for (const name of idleQueueNames(settings.idleQueues)) {
      await boss.work(
        name,
        { ...shape, transactional: true, burstWhenBatchFull: true },
        async () => {},
      );
    }
    return { stop: () => boss.stop({ graceful: true, timeout: 10_000 }) };
  },

  async openSubmitter(url) {
    const boss = await sender(url);
    return {
      async submitOne() {
        const data = firstStep(false);
        await boss.send(CHAIN_QUEUE, data);
        return data.wf;
      },
      close: () => boss.stop({ graceful: false }),
    };
  },
};
