/**
 * graphile-worker 0.18 in the peers benchmark: one task identifier runs every step; a step adds
 * its successor with `helpers.addJob` before it returns (graphile-worker then completes the job),
 * and with events it then sends its PGMQ message through `helpers.withPgClient`. Calling
 * `graphile_worker.add_job` and `pgmq.send` in one SQL statement instead measured 3.6× slower
 * here (178 against 638 steps/s at c=10), so the documented `helpers.addJob` runs.
 *
 * @module
 */

import {
  Logger,
  makeWorkerUtils,
  run,
  runMigrations,
  type Task,
  type TaskList,
} from "npm:graphile-worker@0.18.0";
import {
  CHAIN_STEPS,
  GRAPHILE_LOCAL_QUEUE,
  graphilePoolSize,
  idleQueueNames,
  PEER_EVENTS_QUEUE,
} from "./contenders.ts";
import { nextValue, type PeerSide, type RunningWorker, type WorkerSettings } from "./side.ts";

/** A step job's payload. */
interface StepPayload {
  wf: string;
  step: number;
  n: number;
  events: boolean;
}

const TASK = "step";

/** Only warnings and errors, on stderr. */
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}:`, message);
});

function firstStep(events: boolean): StepPayload {
  return { wf: crypto.randomUUID(), step: 1, n: 0, events };
}

function taskList(settings: WorkerSettings): TaskList {
  const step: Task = async (raw, helpers) => {
    settings.onHandler();
    const payload = raw as StepPayload;
    const n = nextValue(payload.n);
    if (payload.step < CHAIN_STEPS) {
      await helpers.addJob(TASK, { ...payload, step: payload.step + 1, n });
    }
    if (payload.events) {
      const event = JSON.stringify({
        event_name: `chain.s${payload.step}_done`,
        wf: payload.wf,
        step: payload.step,
        n,
      });
      await helpers.withPgClient((client) =>
        client.query("SELECT pgmq.send($1, $2::jsonb)", [PEER_EVENTS_QUEUE, event])
      );
    }
  };
  const list: TaskList = { [TASK]: step };
  for (const name of idleQueueNames(settings.idleQueues)) list[name] = async () => {};
  return list;
}

/** graphile-worker's side. */
export const graphileSide: PeerSide = {
  async setup(url) {
    await runMigrations({ connectionString: url, logger });
    const utils = await makeWorkerUtils({ connectionString: url, logger });
    try {
      await utils.withPgClient(async (client) => {
        await client.query("CREATE EXTENSION IF NOT EXISTS pgmq");
        await client.query("SELECT pgmq.create($1)", [PEER_EVENTS_QUEUE]);
      });
    } finally {
      await utils.release();
    }
  },

  async submit(url, count, events) {
    const utils = await makeWorkerUtils({ connectionString: url, logger });
    try {
      for (let i = 0; i < count; i += 500) {
        await utils.addJobs(
          Array.from({ length: Math.min(500, count - i) }, () => ({
            identifier: TASK,
            payload: firstStep(events),
          })),
        );
      }
    } finally {
      await utils.release();
    }
  },

  async startWorker(url, settings: WorkerSettings): Promise<RunningWorker> {
    const runner = await run({
      logger,
      noHandleSignals: true,
      taskList: taskList(settings),
      preset: {
        worker: {
          connectionString: url,
          concurrentJobs: settings.concurrency,
          maxPoolSize: graphilePoolSize(settings.concurrency),
          localQueue: { size: GRAPHILE_LOCAL_QUEUE },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    });
    return { stop: () => runner.stop() };
  },

  async openSubmitter(url) {
    const utils = await makeWorkerUtils({ connectionString: url, logger });
    return {
      async submitOne() {
        const payload = firstStep(false);
        await utils.addJob(TASK, payload);
        return payload.wf;
      },
      async close() {
        await utils.release();
      },
    };
  },
};
