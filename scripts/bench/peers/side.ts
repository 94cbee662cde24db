/**
 * The one shape every contender of the peers benchmark implements, run inside a child process
 * (`child.ts`): set up its database, submit workflows, run one worker, submit one workflow at a
 * time for the latency samples. Each workflow is a 4-step linear chain of trivial handlers; each
 * step's completion enqueues the next step, and with `events` each step also sends one PGMQ
 * message in its own transaction (or, for deno-tasker, declares one durable event).
 *
 * @module
 */

/** How one worker process runs. */
export interface WorkerSettings {
  /** Jobs or steps in flight at once. */
  concurrency: number;
  /** Namespaces or queues served: the chain's, plus `idleQueues - 1` empty ones. */
  idleQueues: number;
  /** Called by every handler; the first call is the start of the measured run. */
  onHandler(): void;
}

/** A running worker. */
export interface RunningWorker {
  /** Stops claiming, finishes what runs, closes every connection. */
  stop(): Promise<void>;
}

/** A client that submits one workflow at a time, for the latency samples. */
export interface Submitter {
  /** Submits one workflow; resolves to the id `workflowDoneSql` takes. */
  submitOne(): Promise<string>;
  close(): Promise<void>;
}

/** One contender. */
export interface PeerSide {
  /** Installs its schema, queues and the PGMQ queue, once per database. */
  setup(url: string, idleQueues: number): Promise<void>;
  /** Submits `count` workflows up front (with or without a PGMQ event per step). */
  submit(url: string, count: number, events: boolean): Promise<void>;
  /** Starts one worker serving both the plain and the events chains. */
  startWorker(url: string, settings: WorkerSettings): Promise<RunningWorker>;
  /** Opens a submitter of plain chains. */
  openSubmitter(url: string): Promise<Submitter>;
}

/** The trivial step: adds one to its input. */
export function nextValue(value: number): number {
  return value + 1;
}
