/**
 * One worker's claim rounds: which queues to read (high-priority bands first; with several
 * queues, one probe for those with a visible message), reading and claiming each in one
 * statement (`step_claims.ts`), deleting stale messages, and saying once per template content
 * when steps are left for a worker that has their template. A round runs through any
 * `Queryable` — the pool, or a commit's transaction (the committer's follow-on claims) — and
 * starts nothing: its claims exist once that transaction commits.
 *
 * @module
 */

import { deleteMessages as deleteQueueMessages } from "../durable/pgmq/statements.ts";
import type { Queryable } from "../durable/db/database.ts";
import type { TemplateRegistry } from "../template/registry.ts";
import type { PriorityBands } from "./priority_queues.ts";
import { readyQueues } from "./ready_queues.ts";
import { readAndClaimSteps } from "./step_claims.ts";
import type { ClaimBatch, ClaimScope, ForeignStep, QueuedStep } from "./step_store.ts";
import { templateHash } from "./template_hash.ts";

/** What one claim round read and claimed. */
export interface ClaimRound {
  /** Messages read (claimed, stale, busy or foreign). */
  read: number;
  /** Per queue read. */
  batches: ClaimBatch[];
  /** Every slot was filled: the queues may hold more. */
  filled: boolean;
}

/** What a {@link StepClaimer} needs. */
export interface StepClaimerOptions {
  /** The worker's id (the claims' holder). */
  workerId: string;
  /** The lease, in seconds. */
  leaseSeconds: number;
  /** After how long a step no worker could run is settled (see `ClaimScope`). */
  foreignTimeoutSeconds: number;
  /** The worker's step queues, in reading order. */
  bands: PriorityBands;
  /** The worker's templates. */
  templates: TemplateRegistry;
}

/**
 * Claim rounds for one worker.
 *
 * @example
 * ```ts ignore
 * const claimer = new StepClaimer({ workerId, leaseSeconds: 30, foreignTimeoutSeconds: 600, bands, templates });
 * const round = await claimer.claim(db, 10);
 * ```
 */
export class StepClaimer {
  readonly #options: StepClaimerOptions;
  #scope: { count: number; scope: Promise<ClaimScope> } | undefined;
  /** Templates this worker lacks, by `template#hash`, each reported once. */
  readonly #foreign = new Map<string, string>();

  /**
   * Creates the claimer.
   *
   * @param options the worker's identity, lease, queues and templates
   */
  constructor(options: StepClaimerOptions) {
    this.#options = options;
  }

  /** What the worker said about templates it lacks, one line per template content. */
  foreignTemplates(): string[] {
    return [...this.#foreign.values()];
  }

  /** Reads and claims up to `slots` steps through `q`. */
  async claim(q: Queryable, slots: number): Promise<ClaimRound> {
    const { bands, workerId, leaseSeconds } = this.#options;
    let free = slots;
    const round: ClaimRound = { read: 0, batches: [], filled: false };
    // With several namespaces, one probe finds the queues worth reading, so an idle worker's
    // cost does not grow with its namespaces.
    const all = await bands.queues(q);
    const queues = all.length === 1 ? all : await readyQueues(q, all);
    const scope = await this.#claimScope();
    for (const queue of queues) {
      if (free <= 0) break;
      const claimed = await readAndClaimSteps(q, queue, free, workerId, leaseSeconds, scope);
      round.read += claimed.read;
      free -= claimed.read;
      round.batches.push(claimed.batch);
      if (claimed.batch.stale.length > 0) await deleteMessages(q, claimed.batch.stale);
      if (claimed.batch.foreign.length > 0) this.#reportForeign(claimed.batch.foreign);
    }
    // Filled every slot: the queues may hold more, so a freed slot should read again.
    round.filled = free <= 0;
    return round;
  }

  /** The content hashes of the templates this worker has (recomputed when templates are added). */
  #claimScope(): Promise<ClaimScope> {
    const templates = this.#options.templates.list();
    if (this.#scope?.count !== templates.length) {
      this.#scope = {
        count: templates.length,
        scope: Promise.all(templates.map(templateHash)).then((hashes) => ({
          templateHashes: hashes,
          foreignTimeoutSeconds: this.#options.foreignTimeoutSeconds,
        })),
      };
    }
    return this.#scope.scope;
  }

  /** Says once per template content that this worker leaves its steps to others, and why. */
  #reportForeign(steps: readonly ForeignStep[]): void {
    const names = new Set(
      this.#options.templates.list().map((t) => `${t.namespace_name}/${t.name}@${t.version}`),
    );
    for (const step of steps) {
      const key = `${step.template}#${step.template_hash}`;
      if (this.#foreign.has(key)) continue;
      const short = step.template_hash.slice(0, 12);
      const message = names.has(step.template)
        ? `template ${step.template} changed without a version bump: its tasks were created from content ${short}, this worker loaded other content; their steps are left for a worker with the original`
        : `no template ${step.template} (content ${short}) is loaded here; its steps are left for a worker that has it`;
      this.#foreign.set(key, message);
      console.error(`deno-tasker: worker ${this.#options.workerId}: ${message}`);
    }
  }
}

/** Deletes messages whose steps are finished or unknown. */
async function deleteMessages(q: Queryable, messages: readonly QueuedStep[]): Promise<void> {
  const byQueue = new Map<string, number[]>();
  for (const m of messages) byQueue.set(m.queue, [...(byQueue.get(m.queue) ?? []), m.msg_id]);
  for (const [queue, ids] of byQueue) {
    await deleteQueueMessages(q, queue, ids);
  }
}
