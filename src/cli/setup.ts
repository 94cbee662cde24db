/**
 * Shared plumbing of the `tasker` commands: the template reference, the JSON context, the
 * handlers module, and opening the database and a Tasker from the command line's flags.
 *
 * @module
 */

import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { errorMessage } from "../error_message.ts";
import type { Database } from "../durable/db/database.ts";
import { openDatabase } from "../durable/db/open.ts";
import { migrate } from "../durable/db/migrate.ts";
import { readEnv } from "../env.ts";
import { TaskerError } from "../errors.ts";
import type { PublisherRegistry } from "../events/publisher_registry.ts";
import type { JsonObject } from "../events/types.ts";
import type { HandlerRegistry } from "../worker/handler_registry.ts";
import { taskerMigrations } from "../worker/engine_migrations.ts";
import { type ParsedArgs, UsageError } from "./args.ts";

/**
 * The example templates bundled with the CLI: the fallback of `--templates` when the current
 * directory has no `templates/`. Only when the CLI runs from files (not from a URL).
 */
function bundledExamples(): { templates: string; handlers: string } | undefined {
  const here = new URL("../../templates/", import.meta.url);
  if (here.protocol !== "file:") return undefined;
  return {
    templates: fileURLToPath(here),
    handlers: fileURLToPath(new URL("mod.ts", here)),
  };
}

/** Where a command's templates and handlers come from. */
export interface ProjectPaths {
  /** The templates directory or file. */
  templates: string;
  /** The handlers module (a path or a URL). */
  handlers: string;
}

/**
 * Resolves `--templates` alone (for commands that only read templates), like
 * {@link projectPaths}.
 *
 * @throws {UsageError} when there is no `--templates`, no `./templates` and no bundled examples
 */
export async function templatesPath(parsed: ParsedArgs, command: string): Promise<string> {
  return (await findTemplates(parsed, command)).templates;
}

async function findTemplates(
  parsed: ParsedArgs,
  command: string,
): Promise<{ templates: string; handlers?: string }> {
  if (parsed.values.templates !== undefined) return { templates: parsed.values.templates };
  if (await isDirectory("templates")) return { templates: "templates" };
  const examples = bundledExamples();
  if (!examples) {
    throw new UsageError(
      `no ./templates directory in ${Deno.cwd()}: pass --templates DIR, or run tasker init`,
    );
  }
  console.error(
    `tasker ${command}: no ./templates in ${Deno.cwd()}; using the bundled example templates (pass --templates DIR, or run tasker init)`,
  );
  return examples;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Resolves `--templates` and `--handlers`, relative to the current directory (the project a
 * user runs `tasker` in). Defaults: `./templates`, and `./handlers.ts` or else
 * `<templates>/mod.ts`. In a directory without `templates/`, the bundled examples are used, with
 * a note on stderr saying so.
 *
 * @throws {UsageError} when there is nothing to use, naming the flag that would fix it
 *
 * @example
 * ```ts ignore
 * const { templates, handlers } = await projectPaths(parsed, "run");
 * ```
 */
export async function projectPaths(parsed: ParsedArgs, command: string): Promise<ProjectPaths> {
  const found = await findTemplates(parsed, command);
  const templates = found.templates;
  let handlers = parsed.values.handlers ?? found.handlers;
  if (handlers === undefined) {
    const candidates = ["handlers.ts", `${templates}/mod.ts`];
    for (const candidate of candidates) {
      if (await isFile(candidate)) {
        handlers = candidate;
        break;
      }
    }
  }
  if (handlers === undefined) {
    throw new UsageError(
      `no handlers module: pass --handlers MODULE, or create ./handlers.ts exporting registerHandlers(handlers, publishers)`,
    );
  }
  return { templates, handlers };
}

/** `namespace/name[@version]`, parsed. */
export interface TemplateRef {
  /** Namespace. */
  namespace: string;
  /** Template name. */
  name: string;
  /** Version, when given. */
  version?: string;
}

/**
 * Parses `namespace/name[@version]`.
 *
 * @throws {UsageError} when it is not of that form
 *
 * @example
 * ```ts
 * import { parseTemplateRef } from "./setup.ts";
 * parseTemplateRef("linear_workflow/mathematical_sequence@1.0.0");
 * ```
 */
export function parseTemplateRef(text: string | undefined): TemplateRef {
  const match = /^([a-z0-9_]+)\/([A-Za-z0-9_.-]+?)(?:@([A-Za-z0-9_.+-]+))?$/.exec(text ?? "");
  if (!match) {
    throw new UsageError(
      `expected a template as <namespace>/<name>[@version], got ${JSON.stringify(text ?? "")}`,
    );
  }
  const ref: TemplateRef = { namespace: match[1]!, name: match[2]! };
  if (match[3] !== undefined) ref.version = match[3];
  return ref;
}

/**
 * Parses `--context` as a JSON object (default `{}`).
 *
 * @throws {UsageError} naming the problem when it is not JSON or not an object
 *
 * @example
 * ```ts
 * import { parseContext } from "./setup.ts";
 * parseContext('{"even_number": 6}'); // { even_number: 6 }
 * ```
 */
export function parseContext(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--context is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError("--context must be a JSON object, e.g. '{\"even_number\": 6}'");
  }
  return value as JsonObject;
}

/** What a handlers module exports: `default` or `registerHandlers`. */
export type RegisterHandlers = (handlers: HandlerRegistry, publishers: PublisherRegistry) => void;

/**
 * Imports a handlers module and returns its registration function.
 *
 * @throws {UsageError} when the module has neither a default export nor `registerHandlers`
 *
 * @example
 * ```ts ignore
 * const register = await loadHandlersModule("./my_handlers.ts");
 * ```
 */
export async function loadHandlersModule(path: string): Promise<RegisterHandlers> {
  const url = /^[a-z][a-z0-9+.-]+:/.test(path) ? path : pathToFileURL(resolve(path)).href;
  let module: { default?: unknown; registerHandlers?: unknown };
  try {
    module = await import(url);
  } catch (error) {
    const reason = errorMessage(error).split("\n")[0];
    throw new HandlersModuleError(`cannot import the handlers module ${path}: ${reason}`);
  }
  const register = module.registerHandlers ?? module.default;
  if (typeof register !== "function") {
    throw new UsageError(
      `${path} must export a function registerHandlers(handlers, publishers) or a default one`,
    );
  }
  return register as RegisterHandlers;
}

/** A handlers module that cannot be imported (missing, or failing to load). */
export class HandlersModuleError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message the module and the first line of the reason
   */
  constructor(message: string) {
    super("E_HANDLERS_MODULE", message);
  }
}

/** Warns when the database is embedded and in memory, where nothing outlives the command. */
export function warnIfEphemeral(command: string): void {
  if (readEnv("DATABASE_URL") === undefined && readEnv("TASKER_DATA_DIR") === undefined) {
    console.error(
      `tasker ${command}: using an in-memory embedded database; nothing persists after this command (set DATABASE_URL or TASKER_DATA_DIR)`,
    );
  }
}

/** Opens the database named by the environment and applies the framework's migrations. */
export async function openCliDatabase(): Promise<Database> {
  const db = await openDatabase({ migrate: false });
  try {
    await migrate(db, taskerMigrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** `--json` given? */
export function wantsJson(parsed: ParsedArgs): boolean {
  return parsed.switches.has("json");
}
