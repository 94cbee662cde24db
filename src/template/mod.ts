/**
 * Task templates: YAML loading, validation with file, line and field path, and a registry.
 *
 * @example
 * ```ts
 * import { parseTemplate, TemplateRegistry } from "./mod.ts";
 * const registry = TemplateRegistry.fromTemplates([parseTemplate(`
 * name: greet
 * namespace_name: demo
 * version: 1.0.0
 * steps:
 *   - name: hello
 *     handler: { callable: demo.hello }
 *     publishes_events:
 *       - { name: demo.greeted, delivery_mode: fast }
 * `)]);
 * registry.require("demo", "greet").steps[0]?.publishes_events[0]?.condition; // "success"
 * ```
 *
 * @module
 */

export type {
  BackoffKind,
  EventDeclaration,
  HandlerSpec,
  RetryPolicy,
  StepTemplate,
  TaskTemplate,
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
  parseTemplate,
  type ParseTemplateOptions,
} from "./load.ts";
export { allCallables, allPublisherNames, compareVersions, TemplateRegistry } from "./registry.ts";
export { BACKOFF_KINDS, DELIVERY_MODES, PUBLICATION_CONDITIONS } from "./schema.ts";
