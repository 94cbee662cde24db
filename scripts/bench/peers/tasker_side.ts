/**
 * deno-tasker in the peers benchmark, through the public API only: `Tasker.open` with the
 * database URL, templates parsed from YAML, handlers in a `HandlerRegistry`.
 *
 * @module
 */

import {
  HandlerRegistry,
  parseTemplate,
  type StepContext,
  success,
  Tasker,
  type TaskTemplate,
  TemplateRegistry,
} from "../../../mod.ts";
import { CHAIN_QUEUE, CHAIN_STEPS, idleQueueNames } from "./contenders.ts";
import { nextValue, type PeerSide, type RunningWorker, type WorkerSettings } from "./side.ts";

const stepNames = Array.from({ length: CHAIN_STEPS }, (_, i) => `s${i + 1}`);

/** The 4-step chain; with `events`, each step declares one durable event. */
function chainTemplate(events: boolean): TaskTemplate {
  const steps = stepNames.map((name, i) =>
    [
      `  - name: ${name}`,
      `    handler: { callable: ${CHAIN_QUEUE}.${name} }`,
      i === 0 ? "" : `    dependencies: [${stepNames[i - 1]}]`,
      events
        ? `    publishes_events: [{ name: ${CHAIN_QUEUE}.${name}_done, delivery_mode: durable }]`
        : "",
    ].filter((line) => line !== "").join("\n")
  );
  return parseTemplate(
    `name: ${events ? "linear4_events" : "linear4"}\nnamespace_name: ${CHAIN_QUEUE}\n` +
      `version: 1.0.0\nsteps:\n${steps.join("\n")}\n`,
  );
}

function idleTemplate(namespace: string): TaskTemplate {
  return parseTemplate(
    `name: idle\nnamespace_name: ${namespace}\nversion: 1.0.0\n` +
      `steps:\n  - name: noop\n    handler: { callable: idle.noop }\n`,
  );
}

function templates(idleQueues: number): TemplateRegistry {
  return TemplateRegistry.fromTemplates([
    chainTemplate(false),
    chainTemplate(true),
    ...idleQueueNames(idleQueues).map(idleTemplate),
  ]);
}

function handlers(onHandler: () => void): HandlerRegistry {
  const registry = new HandlerRegistry().register("idle.noop", () => success({}));
  stepNames.forEach((name, i) => {
    registry.register(`${CHAIN_QUEUE}.${name}`, (ctx: StepContext) => {
      onHandler();
      const input = i === 0
        ? ctx.input<number>("n")!
        : ctx.dependency<number>(stepNames[i - 1]!, "n")!;
      return success({ n: nextValue(input) });
    });
  });
  return registry;
}

const noop = () => {};

/** deno-tasker's side. */
export const taskerSide: PeerSide = {
  async setup(url, idleQueues) {
    // Opening migrates and creates the step queues of every namespace it serves.
    const tasker = await Tasker.open({
      templates: templates(idleQueues),
      handlers: handlers(noop),
      database: { url },
      startWorker: false,
      recovery: false,
      namespaces: [CHAIN_QUEUE, ...idleQueueNames(idleQueues)],
    });
    // The writer creates the events queue on first use; the driver counts its rows from the start.
    await tasker.db.query("SELECT pgmq.create($1::text)", [`${CHAIN_QUEUE}_domain_events`]);
    await tasker.close();
  },

  async submit(url, count, events) {
    const tasker = await Tasker.open({
      templates: templates(1),
      handlers: handlers(noop),
      database: { url },
      startWorker: false,
      recovery: false,
    });
    try {
      const name = events ? "linear4_events" : "linear4";
      for (let i = 0; i < count; i += 20) {
        const batch = Array.from(
          { length: Math.min(20, count - i) },
          () => tasker.submit({ namespace: CHAIN_QUEUE, name, context: { n: 0 } }),
        );
        await Promise.all(batch);
      }
    } finally {
      await tasker.close();
    }
  },

  async startWorker(url, settings: WorkerSettings): Promise<RunningWorker> {
    const tasker = await Tasker.open({
      templates: templates(settings.idleQueues),
      handlers: handlers(settings.onHandler),
      database: { url },
      concurrency: settings.concurrency,
      namespaces: [CHAIN_QUEUE, ...idleQueueNames(settings.idleQueues)],
    });
    return { stop: () => tasker.close() };
  },

  async openSubmitter(url) {
    const tasker = await Tasker.open({
      templates: templates(1),
      handlers: handlers(noop),
      database: { url },
      startWorker: false,
      recovery: false,
    });
    return {
      async submitOne() {
        const task = await tasker.submit({
          namespace: CHAIN_QUEUE,
          name: "linear4",
          context: { n: 0 },
        });
        return task.task_uuid;
      },
      close: () => tasker.close(),
    };
  },
};
