/**
 * `deno task tasker <command> [args]`: the command-line entry point.
 *
 * Every failure is one line on stderr and a non-zero exit: 2 for a mistake on the command line,
 * 1 for anything else (unknown template, a context failing its schema, an unreachable database).
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import { UsageError } from "./args.ts";
import { eventsCommand, templatesCommand, workerCommand } from "./other_commands.ts";
import { runCommand, statusCommand, submitCommand } from "./task_commands.ts";

const USAGE = `usage: deno task tasker <command> [args]

commands:
  worker [--templates DIR] [--handlers MODULE] [--namespaces a,b] [--concurrency N]
         [--host H] [--port N] [--token T] [--no-http]
      run a worker until SIGINT/SIGTERM, then drain gracefully; serves /health, /metrics,
      /config and the inspector on http://127.0.0.1:8787 (--port 0: a free port)
  run <namespace>/<name>[@version] --context <json> [--json] [--templates DIR] [--handlers MODULE]
      submit a task and run it to the end with an in-process worker
  submit <namespace>/<name>[@version] --context <json> [--json]
      submit a task; prints its UUID
  status <task_uuid> [--json]
      a task's state, its steps and the events they fired
  events <namespace> [--follow] [--pattern P] [--limit N]
      the namespace's durable events as JSON lines, without consuming them
  templates validate <file-or-directory>
      load templates and report every problem

environment: DATABASE_URL (a PostgreSQL server with PGMQ) or TASKER_DATA_DIR (embedded, on disk);
  TASKER_HTTP_TOKEN (the worker's bearer token, instead of --token)`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  worker: workerCommand,
  run: runCommand,
  submit: submitCommand,
  status: statusCommand,
  events: eventsCommand,
  templates: templatesCommand,
};

/**
 * Runs one command; resolves to its exit code. Never throws.
 *
 * @example
 * ```ts ignore
 * const code = await main(["templates", "validate", "templates/"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`tasker: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`tasker ${name}: ${error.message}`);
      return 2;
    }
    const message = error instanceof TaskerError || error instanceof Error
      ? error.message
      : String(error);
    console.error(`tasker ${name}: ${message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
