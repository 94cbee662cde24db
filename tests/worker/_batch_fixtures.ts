// The batch template the operator-action tests share: a batchable `scan` fanning out to
// `work` batch workers (batches of 10, cursor `id`), joined by a deferred `sum`, optionally
// followed by a `report`. The options are the few ways the tests differ.
import type { BatchFailureStrategy, TaskTemplate } from "../../src/template/types.ts";
import { parseTemplate } from "../../src/template/load.ts";

/** How a {@link batchedTemplate} differs between tests. */
export interface BatchedTemplateOptions {
  /** Prefix of the callables (`<prefix>.scan`, `<prefix>.work`, …). Default `b`. */
  callables?: string;
  /** The batch's `parallelism`. Default 1. */
  parallelism?: number;
  /** The batch's `failure_strategy`. Default `fail_fast`. */
  failureStrategy?: BatchFailureStrategy;
  /** The step that gets `retry: { max_attempts: 1 }` (the one the test fails). Default `work`. */
  singleAttempt?: "scan" | "work";
  /** Add a `report` step after `sum`. Default false. */
  report?: boolean;
}

/**
 * The template `batched` in `namespace`: `scan` (batchable) → `work` (batch workers) → `sum`
 * (deferred convergence), and `report` when asked for.
 */
export function batchedTemplate(
  namespace: string,
  options: BatchedTemplateOptions = {},
): TaskTemplate {
  const p = options.callables ?? "b";
  const once = (step: "scan" | "work") =>
    (options.singleAttempt ?? "work") === step ? "    retry: { max_attempts: 1 }\n" : "";
  const report = options.report
    ? `  - name: report
    dependencies: [sum]
    handler: { callable: ${p}.report }
`
    : "";
  return parseTemplate(`name: batched
namespace_name: ${namespace}
version: 1.0.0
steps:
  - name: scan
    type: batchable
    handler: { callable: ${p}.scan }
${once("scan")}  - name: work
    type: batch_worker
    dependencies: [scan]
    handler: { callable: ${p}.work }
${once("work")}    batch_config:
      batch_size: 10
      parallelism: ${options.parallelism ?? 1}
      cursor_field: id
      worker_template: work
      failure_strategy: ${options.failureStrategy ?? "fail_fast"}
  - name: sum
    type: deferred_convergence
    dependencies: [work]
    handler: { callable: ${p}.sum }
${report}`);
}
