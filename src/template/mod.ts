/**
 * Task templates: YAML loading, validation with file, line and field path, and a registry.
 *
 * @example
 * ```ts
 * import { parseTemplate, TemplateRegistry } from "@deno-tasker/tasker";
 * const registry = TemplateRegistry.fromTemplates([parseTemplate(`
 * name: greet
 * namespace_name: demo
 * version: 1.0.0
 * steps:
 *   - name: hello
 *     handler: { callable: demo.hello }
 *     publishes_events:
 *       - { name: demo.greeted, description: Said hello., delivery_mode: fast, schema: ~ }
 * `)]);
 * registry.require("demo", "greet").steps[0]?.publishes_events[0]?.condition; // "success"
 * ```
 *
 * @module
 */

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
export { ALL_STEPS, ENVIRONMENT_VARIABLE } from "./environments.ts";
export { assertRunnable, unsupportedStep, UnsupportedStepError } from "./runnable.ts";
export {
  MAX_ATTEMPTS,
  MAX_BACKOFF_MS,
  MAX_TIMEOUT_SECONDS,
  MAX_TIMER_MS,
} from "./schema_fields.ts";
export { taskerStepJson, taskerTemplateJson } from "./tasker_json.ts";
export { MAX_NESTING } from "./yaml.ts";
export { allCallables, allPublisherNames, compareVersions, TemplateRegistry } from "./registry.ts";
export {
  BACKOFF_KINDS,
  BATCH_FAILURE_STRATEGIES,
  DELIVERY_MODES,
  PUBLICATION_CONDITIONS,
  STEP_TYPES,
} from "./schema.ts";
