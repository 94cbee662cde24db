/**
 * The step handlers of a worker, by callable (`<namespace>.<step>` in the examples). Templates
 * are checked against it before any task runs ({@link HandlerRegistry.assertValid}), so a
 * misspelt callable fails at startup with every missing one listed, not at the first task.
 *
 * It is a plain map: where `ctx.publishDomainEvent` goes is the worker's business (it hands its
 * ad-hoc publisher to each step's execution, `ad_hoc_events.ts`), so one registry can serve
 * several workers.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import { editDistance } from "../edit_distance.ts";
import type { TaskTemplate } from "../template/types.ts";
import type { StepHandler, StepHandlerFunction } from "./step_handler.ts";

/** Thrown when a callable is registered twice. */
export class DuplicateHandlerError extends TaskerError {
  /** The callable registered twice. */
  readonly callable: string;
  /**
   * Creates the error for a callable registered twice.
   *
   * @param callable the callable
   */
  constructor(callable: string) {
    super(
      "E_DUPLICATE_HANDLER",
      `a handler for ${JSON.stringify(callable)} is already registered`,
    );
    this.callable = callable;
  }
}

/** Thrown when a callable is empty or a handler is neither a function nor has a `call` method. */
export class InvalidHandlerError extends TaskerError {
  /** The callable as given. */
  readonly callable: string;
  /**
   * Creates the error for a rejected registration.
   *
   * @param callable the callable as given
   * @param reason what is wrong
   */
  constructor(callable: string, reason: string) {
    super("E_INVALID_HANDLER", `invalid handler for ${JSON.stringify(callable)}: ${reason}`);
    this.callable = callable;
  }
}

/** Thrown by {@link HandlerRegistry.resolve} for a callable without a handler. */
export class UnknownHandlerError extends TaskerError {
  /** The callable asked for. */
  readonly callable: string;
  /** Registered callables that look like it, closest first (at most three). */
  readonly suggestions: readonly string[];
  /**
   * Creates the error naming the callable and its close matches.
   *
   * @param callable the callable asked for
   * @param suggestions registered callables that look like it
   */
  constructor(callable: string, suggestions: readonly string[]) {
    const hint = suggestions.length > 0
      ? `; did you mean ${suggestions.map((s) => JSON.stringify(s)).join(" or ")}?`
      : "";
    super("E_UNKNOWN_HANDLER", `no handler registered for ${JSON.stringify(callable)}${hint}`);
    this.callable = callable;
    this.suggestions = suggestions;
  }
}

/** A step whose callable has no handler, as {@link HandlerRegistry.validate} reports it. */
export interface MissingHandler {
  /** The step's `handler.callable`. */
  callable: string;
  /** The template's namespace. */
  namespace: string;
  /** The template's name. */
  template: string;
  /** The template's version. */
  version: string;
  /** The step's name. */
  step: string;
  /** The file the template came from, when known. */
  source?: string;
  /** Registered callables that look like it, closest first. */
  suggestions: string[];
}

function describeMissing(missing: MissingHandler): string {
  const where = `${missing.namespace}/${missing.template}@${missing.version}` +
    (missing.source === undefined ? "" : ` (${missing.source})`);
  const hint = missing.suggestions.length > 0
    ? ` (did you mean ${missing.suggestions.map((s) => JSON.stringify(s)).join(" or ")}?)`
    : "";
  return `${where} step ${missing.step}: no handler for ${JSON.stringify(missing.callable)}${hint}`;
}

/** Thrown by {@link HandlerRegistry.assertValid}; lists every step without a handler. */
export class MissingHandlersError extends TaskerError {
  /** Every step without a handler, in template and step order. */
  readonly missing: readonly MissingHandler[];
  /**
   * Creates the error listing every missing handler.
   *
   * @param missing every step without a handler
   */
  constructor(missing: readonly MissingHandler[]) {
    super(
      "E_MISSING_HANDLERS",
      `${missing.length} step(s) have no registered handler:\n` +
        missing.map((m) => `  - ${describeMissing(m)}`).join("\n"),
    );
    this.missing = missing;
  }
}

const lastSegment = (callable: string): string => callable.slice(callable.lastIndexOf(".") + 1);

/**
 * Registered callables that look like `callable`: within a third of its length in edits (at
 * least two), or with the same last segment (the right step in another namespace); closest
 * first, at most three.
 */
function closeMatches(callable: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(2, Math.floor(callable.length / 3));
  const step = lastSegment(callable).toLowerCase();
  const scored: [string, number][] = [];
  for (const candidate of candidates) {
    // Plain Levenshtein, case-insensitive: a swap of neighbours counts as two edits here.
    const d = editDistance(callable.toLowerCase(), candidate.toLowerCase(), {
      transpositions: false,
    });
    if (d <= limit || lastSegment(candidate).toLowerCase() === step) scored.push([candidate, d]);
  }
  scored.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  return scored.slice(0, 3).map(([candidate]) => candidate);
}

function asFunction(callable: string, handler: StepHandler, method: string): StepHandlerFunction {
  // Keep `this` for handler objects: their `call` may use other members.
  if (method === "call") {
    return typeof handler === "function" ? handler : (ctx) => handler.call(ctx);
  }
  // A template's `handler.method` (tasker-core's method dispatch) names another entry point.
  const entry = typeof handler === "object"
    ? (handler as Record<string, unknown>)[method]
    : undefined;
  if (typeof entry !== "function") {
    throw new InvalidHandlerError(
      callable,
      `the template's handler.method is ${
        JSON.stringify(method)
      }, but the registered handler has no such method`,
    );
  }
  return (ctx) => (entry as StepHandlerFunction).call(handler, ctx);
}

/**
 * Step handlers by callable.
 *
 * @example
 * ```ts
 * import { HandlerRegistry } from "@deno-tasker/tasker";
 * import { success } from "@deno-tasker/tasker";
 * const handlers = new HandlerRegistry()
 *   .register("demo.hello", (ctx) => success({ greeting: `hello ${ctx.input("who")}` }))
 *   .register("demo.bye", { call: () => success("bye") });
 * handlers.callables(); // ["demo.bye", "demo.hello"]
 * const run = handlers.resolve("demo.hello");
 * ```
 */
export class HandlerRegistry {
  #handlers = new Map<string, StepHandler>();

  /**
   * Registers a handler under a callable.
   *
   * @param callable the key templates name in `handler.callable`; non-empty
   * @param handler a function, or an object with a `call` method
   * @returns this registry, for chaining
   * @throws {DuplicateHandlerError} when the callable already has a handler
   * @throws {InvalidHandlerError} when the callable is empty or the handler is not callable
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * import { success } from "@deno-tasker/tasker";
   * new HandlerRegistry().register("demo.noop", () => success(null));
   * ```
   */
  register(callable: string, handler: StepHandler): this {
    if (typeof callable !== "string" || callable.trim() === "") {
      throw new InvalidHandlerError(String(callable), "the callable must be a non-empty string");
    }
    const valid = typeof handler === "function" ||
      (typeof handler === "object" && handler !== null && typeof handler.call === "function");
    if (!valid) {
      throw new InvalidHandlerError(
        callable,
        "expected a function or an object with a call(ctx) method",
      );
    }
    if (this.#handlers.has(callable)) throw new DuplicateHandlerError(callable);
    this.#handlers.set(callable, handler);
    return this;
  }

  /**
   * Registers every entry of a record, in its key order; stops at the first rejected one.
   *
   * @param handlers handlers by callable
   * @returns this registry, for chaining
   * @throws {DuplicateHandlerError} when a callable already has a handler
   * @throws {InvalidHandlerError} when an entry is not a valid handler
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * import { success } from "@deno-tasker/tasker";
   * new HandlerRegistry().registerAll({
   *   "demo.a": () => success(1),
   *   "demo.b": () => success(2),
   * });
   * ```
   */
  registerAll(handlers: Readonly<Record<string, StepHandler>>): this {
    for (const [callable, handler] of Object.entries(handlers)) this.register(callable, handler);
    return this;
  }

  /**
   * The handler registered under `callable`, as registered.
   *
   * @param callable a callable
   * @returns the handler, or `undefined`
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * new HandlerRegistry().get("demo.missing"); // undefined
   * ```
   */
  get(callable: string): StepHandler | undefined {
    return this.#handlers.get(callable);
  }

  /**
   * Whether `callable` has a handler.
   *
   * @param callable a callable
   * @returns true when registered
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * new HandlerRegistry().has("demo.missing"); // false
   * ```
   */
  has(callable: string): boolean {
    return this.#handlers.has(callable);
  }

  /**
   * The registered callables, sorted.
   *
   * @returns the callables
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * new HandlerRegistry().callables(); // []
   * ```
   */
  callables(): string[] {
    return [...this.#handlers.keys()].sort();
  }

  /**
   * The handler of `callable` as a plain function (an object's `call` keeps its `this`).
   *
   * @param callable a callable
   * @param method the entry point (a template's `handler.method`); default `call`
   * @returns the function to run
   * @throws {UnknownHandlerError} naming the callable and registered ones that look like it
   * @throws {InvalidHandlerError} when `method` is not `call` and the handler has no such method
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * import { success } from "@deno-tasker/tasker";
   * const registry = new HandlerRegistry().register("demo.hello", () => success("hi"));
   * registry.resolve("demo.hello");
   * // registry.resolve("demo.helo") throws: no handler registered for "demo.helo"; did you mean "demo.hello"?
   * ```
   */
  resolve(callable: string, method = "call"): StepHandlerFunction {
    const handler = this.#handlers.get(callable);
    if (handler === undefined) {
      throw new UnknownHandlerError(callable, closeMatches(callable, this.#handlers.keys()));
    }
    return asFunction(callable, handler, method);
  }

  /**
   * Every step of `templates` whose callable has no handler, in template and step order (a
   * callable shared by several steps is listed once per step). Empty when all are covered.
   *
   * @param templates the templates the worker will run
   * @returns the steps without a handler
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * import { parseTemplate } from "@deno-tasker/tasker";
   * const template = parseTemplate(`
   * name: greet
   * namespace_name: demo
   * version: 1.0.0
   * steps:
   *   - name: hello
   *     handler: { callable: demo.hello }
   * `);
   * new HandlerRegistry().validate([template]); // [{ callable: "demo.hello", step: "hello", ... }]
   * ```
   */
  validate(templates: Iterable<TaskTemplate>): MissingHandler[] {
    const missing: MissingHandler[] = [];
    for (const template of templates) {
      for (const step of template.steps) {
        const callable = step.handler.callable;
        if (this.#handlers.has(callable)) continue;
        const entry: MissingHandler = {
          callable,
          namespace: template.namespace_name,
          template: template.name,
          version: template.version,
          step: step.name,
          suggestions: closeMatches(callable, this.#handlers.keys()),
        };
        if (template.source !== undefined) entry.source = template.source;
        missing.push(entry);
      }
    }
    return missing;
  }

  /**
   * Throws unless every step of `templates` has a handler.
   *
   * @param templates the templates the worker will run
   * @throws {MissingHandlersError} listing every step without a handler
   *
   * @example
   * ```ts
   * import { HandlerRegistry } from "@deno-tasker/tasker";
   * new HandlerRegistry().assertValid([]); // nothing to check, no throw
   * ```
   */
  assertValid(templates: Iterable<TaskTemplate>): void {
    const missing = this.validate(templates);
    if (missing.length > 0) throw new MissingHandlersError(missing);
  }
}
