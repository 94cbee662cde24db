/**
 * Shared plumbing of the `tasker` commands: the template reference, the JSON context, the
 * handlers module, and opening the database and a Tasker from the command line's flags.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import type { Database } from "../durable/database.ts";
import { openDatabase } from "../durable/open.ts";
import { migrate } from "../durable/migrations.ts";
import { readEnv } from "../env.ts";
import type { PublisherRegistry } from "../events/publisher_registry.ts";
import type { JsonObject } from "../events/types.ts";
import type { HandlerRegistry } from "../worker/handler_registry.ts";
import { taskerMigrations } from "../worker/tasker.ts";
import { type ParsedArgs, UsageError } from "./args.ts";

/** The repository's example templates, the default `--templates`. */
export const DEFAULT_TEMPLATES_DIR: string = fileURLToPath(
  new URL("../../templates", import.meta.url),
);
/** The example handlers module, the default `--handlers`. */
export const DEFAULT_HANDLERS_MODULE: string = fileURLToPath(
  new URL("../../templates/mod.ts", import.meta.url),
);

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
  const url = /^[a-z]+:/.test(path) && !/^[A-Za-z]:\\/.test(path)
    ? path
    : pathToFileURL(path.startsWith("/") ? path : `${Deno.cwd()}/${path}`).href;
  const module = await import(url) as { default?: unknown; registerHandlers?: unknown };
  const register = module.registerHandlers ?? module.default;
  if (typeof register !== "function") {
    throw new UsageError(
      `${path} must export a function registerHandlers(handlers, publishers) or a default one`,
    );
  }
  return register as RegisterHandlers;
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
