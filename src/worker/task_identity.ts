/**
 * Task identity: which submissions are "the same task", following Tasker's documented identity
 * strategies (its live code path ignores them; see the README's "Task identity"):
 *
 * | strategy (template `identity_strategy:`) | identity | a second identical submission |
 * | --- | --- | --- |
 * | `strict` | template + context, keys sorted | {@link DuplicateTaskError} |
 * | `caller_provided` | template + `idempotency_key` (required) | {@link DuplicateTaskError} |
 * | `always_unique` (default here) | none | a new task |
 * | any, with a request `idempotency_key` | template + key (the key wins) | {@link DuplicateTaskError} |
 *
 * The identity is a SHA-256 stored in `tasks.identity_hash` under a unique index and inserted
 * with `ON CONFLICT DO NOTHING`, so however many identical submissions race, one task is created
 * and every other submission gets the error naming it. "The template" is namespace, name and
 * version (Tasker's named task); an identity is never released, even when its task finished.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { TaskerError } from "../errors.ts";
import type { TaskTemplate } from "../template/types.ts";

/** A template's identity strategy. */
export type IdentityStrategy = "strict" | "caller_provided" | "always_unique";

/** The identity a submission claims. */
export interface TaskIdentity {
  /** The strategy that applied. */
  strategy: IdentityStrategy;
  /** The request's idempotency key, when given. */
  idempotency_key: string | null;
  /** Hex SHA-256, or null when the task is unique by construction (`always_unique`, no key). */
  hash: string | null;
}

/** Thrown by `submit` when a task with the same identity exists; names that task. */
export class DuplicateTaskError extends TaskerError {
  /** The task that holds the identity. */
  readonly existing_task_uuid: string;
  /** The strategy that found the duplicate. */
  readonly strategy: IdentityStrategy;
  /**
   * Creates the error naming the template, the strategy and the existing task.
   *
   * @param template `namespace/name@version`
   * @param identity the identity that collided
   * @param existing the task that holds it
   */
  constructor(template: string, identity: TaskIdentity, existing: string) {
    const by = identity.idempotency_key !== null
      ? `idempotency_key ${JSON.stringify(identity.idempotency_key)}`
      : "the same context (identity_strategy strict)";
    super(
      "E_TASK_DUPLICATE",
      `a task with this identity already exists: ${template} task ${existing} has ${by}`,
    );
    this.existing_task_uuid = existing;
    this.strategy = identity.strategy;
  }
}

/** Thrown when a `caller_provided` template gets a request without an `idempotency_key`. */
export class IdempotencyKeyRequiredError extends TaskerError {
  /**
   * Creates the error naming the template.
   *
   * @param template `namespace/name@version`
   */
  constructor(template: string) {
    super(
      "E_IDEMPOTENCY_KEY_REQUIRED",
      `idempotency_key is required: ${template} uses identity_strategy caller_provided`,
    );
  }
}

/**
 * JSON with object keys sorted at every depth and no whitespace; array order kept (Tasker's
 * normalisation, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same context).
 *
 * @example
 * ```ts
 * import { normalizedJson } from "./task_identity.ts";
 * normalizedJson({ b: [2, 1], a: { d: 1, c: 2 } }); // '{"a":{"c":2,"d":1},"b":[2,1]}'
 * ```
 */
export function normalizedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/**
 * The identity of a submission of `template` with `context` and an optional key.
 *
 * @param templateKey `namespace/name@version`, part of the hash and named in errors
 * @throws {IdempotencyKeyRequiredError} for `caller_provided` without a key
 *
 * @example
 * ```ts ignore
 * const identity = await taskIdentity(template, "shop/order@1.0.0", context, undefined);
 * ```
 */
export async function taskIdentity(
  template: Pick<TaskTemplate, "identity_strategy">,
  templateKey: string,
  context: unknown,
  idempotencyKey: string | undefined,
): Promise<TaskIdentity> {
  const strategy = template.identity_strategy ?? "always_unique";
  const key = idempotencyKey ?? null;
  let material: string | undefined;
  if (key !== null) material = `key\u0000${key}`;
  else if (strategy === "caller_provided") throw new IdempotencyKeyRequiredError(templateKey);
  else if (strategy === "strict") material = `context\u0000${normalizedJson(context)}`;
  if (material === undefined) return { strategy, idempotency_key: null, hash: null };
  const bytes = new TextEncoder().encode(`${templateKey}\u0000${material}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return { strategy, idempotency_key: key, hash };
}

/**
 * The error for an identity another task holds (called after an insert that conflicted, in the
 * same transaction: the conflicting task has committed, so it is visible).
 */
export async function duplicateTaskError(
  tx: Queryable,
  templateKey: string,
  identity: TaskIdentity,
): Promise<DuplicateTaskError> {
  const rows = await tx.query<{ task_uuid: string }>(
    "SELECT task_uuid::text AS task_uuid FROM tasker.tasks WHERE identity_hash = $1",
    [identity.hash],
  );
  return new DuplicateTaskError(templateKey, identity, rows[0]?.task_uuid ?? "(unknown)");
}
