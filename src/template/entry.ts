/**
 * The `./templates` entry: the task template model in full. The root entry re-exports what
 * loading templates needs (`parseTemplate`, `loadTemplateDir`, `TemplateRegistry`, `TaskTemplate`,
 * `StepTemplate`, `EventDeclaration` and the template errors); this entry adds the type of every
 * field of a template (retry policies, batch and lifecycle settings, step overrides, schedules,
 * the event catalogue), the compiled JSON Schemas they carry, and the loaders' options and
 * validation issues. Reach for it when building templates in code or tooling that inspects them.
 *
 * @example Read a step's retry policy and its validation issues
 * ```ts
 * import {
 *   formatTemplateIssue,
 *   parseTemplate,
 *   type RetryPolicy,
 *   TemplateValidationError,
 * } from "@deno-tasker/tasker/templates";
 *
 * const template = parseTemplate(`
 * name: greet
 * namespace_name: demo
 * version: 1.0.0
 * steps:
 *   - name: hello
 *     handler: { callable: demo.hello }
 *     retry: { max_attempts: 5, backoff: exponential }
 * `);
 * const retry: RetryPolicy = template.steps[0]!.retry;
 * console.log(retry.max_attempts); // 5
 * try {
 *   parseTemplate("name: broken");
 * } catch (error) {
 *   if (!(error instanceof TemplateValidationError)) throw error;
 *   console.log(error.issues.map(formatTemplateIssue));
 * }
 * ```
 *
 * @module
 */

export {
  DuplicateTemplateError,
  formatTemplateIssue,
  type TemplateIssue,
  TemplateLoadError,
  TemplateNotFoundError,
  TemplateValidationError,
} from "./errors.ts";
export {
  loadTemplateDir,
  loadTemplateFile,
  type LoadTemplateOptions,
  parseTemplate,
  type ParseTemplateOptions,
} from "./load.ts";
export { TemplateRegistry } from "./registry.ts";
export type { EventDeclaration } from "../events/declaration.ts";
export type {
  BackoffKind,
  BatchConfig,
  BatchFailureStrategy,
  HandlerSpec,
  LifecycleConfig,
  RetryPolicy,
  StepOverride,
  StepTemplate,
  StepType,
  SystemDependencies,
  TaskEventCatalogueEntry,
  TaskTemplate,
  TemplateMetadata,
  TemplateSchedule,
} from "./types.ts";
export type { DeliveryMode, PublicationCondition } from "../events/types.ts";
export type { IdentityStrategy } from "../worker/task_identity.ts";
export {
  type CompiledSchema,
  InvalidSchemaError,
  type SchemaFailure,
  SchemaValidationError,
} from "../json_schema.ts";
