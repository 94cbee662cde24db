/**
 * `tasker <command> [args]` (`deno task tasker` in this repository): the command-line entry
 * point, exported as `./cli`.
 *
 * Every failure is one line on stderr and a non-zero exit: 2 for a mistake on the command line,
 * 1 for anything else (unknown template, a context failing its schema, an unreachable database).
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import { UsageError } from "./args.ts";
import { initCommand } from "./init.ts";
import { eventsCommand } from "./events_command.ts";
import { runCommand, statusCommand, submitCommand } from "./task_commands.ts";
import { schedulesCommand } from "./schedules_command.ts";
import { stepsCommand } from "./steps_command.ts";
import { templatesCommand } from "./templates_command.ts";
import { tasksCommand } from "./tasks_command.ts";
import { workerCommand } from "./worker_command.ts";

/** What `tasker --help` prints: every command and every flag, with its unit and default. */
export const USAGE =
  `usage: tasker [--cwd DIR] <command> [args]     (in this repository: deno task tasker ...)

Paths are relative to the current directory (--cwd DIR: as if started in DIR). --templates
defaults to ./templates; --handlers to ./handlers.ts, else <templates>/mod.ts. Without
./templates the bundled examples are used (when the CLI runs from files), and a note says so.

commands:
  init [DIR]
      scaffold a project in DIR (default .): a template, its handlers, their test, a deno.json
      with tasks; never overwrites a file
  run <namespace>/<name>[@version] [--context JSON] [--templates DIR] [--handlers MODULE]
      [--timeout MS] [--json]
      submit a task and run it to the end with an in-process worker; exit 0 when it completes,
      1 when it ends in error or is not finished after --timeout milliseconds (default 60000)
  submit <namespace>/<name>[@version] [--context JSON] [--templates DIR] [--delay AGE]
      [--run-at TIME] [--json]
      submit a task; prints its UUID (--json: the submitted task); --delay (e.g. 90s, 15m, 2h)
      or --run-at (ISO 8601) holds its first steps until then
  status <task_uuid|correlation_id> [--json]
      a task's state, its steps and the events they fired (by correlation id: the newest task)
  tasks list [--namespace NS] [--name NAME] [--state S,...] [--since T] [--until T]
      [--correlation-id UUID] [--tags a,b] [--page N] [--per-page N] [--json]
      tasks newest first, 25 a page (--per-page 1-100); T is an age back from now (90s, 15m,
      1h, 7d, 2w) or an ISO 8601 time; --tags: tasks carrying every tag; states: pending,
      in_progress, complete, error, cancelled, resolved_manually, blocked_by_failures
  tasks show <task_uuid|correlation_id> [--json]
      one task in full: steps with attempts and timing, every event with its payload
  tasks cancel|retry|resolve <task_uuid> [--by NAME] [--reason TEXT] [--json]
      cancel a pending or running task; retry a failed one (its steps in error start afresh);
      resolve it by hand; --by (default cli) and --reason are recorded with the change
  tasks purge --older-than AGE [--namespace NS] [--batch-size N] [--json]
      delete finished tasks (with steps and events) that finished longer ago than AGE
      (e.g. 30d), N at a time (default 500); tasks still owing an event to its queue stay
  steps retry|resolve|complete <task_uuid> <step> [--result JSON] [--templates DIR]
      [--by NAME] [--reason TEXT] [--json]
      retry a failed step with fresh attempts; resolve it (dependants proceed, no result);
      complete it with --result (dependants see it); step by name or UUID
  schedules [--templates DIR] [--json]
      the templates' schedules: cron, zone, next occurrence, last fire
  worker [--templates DIR] [--handlers MODULE] [--namespaces a,b] [--concurrency N]
      [--lease SECONDS] [--deadline MS] [--recovery-ms MS]
      [--host HOST] [--port PORT] [--token TOKEN] [--no-http] [--purge-older-than AGE]
      run a worker until SIGINT/SIGTERM, then drain gracefully
        --namespaces    only these (default: every namespace of the templates)
        --concurrency   steps run at once (default 10, at least 1)
        --lease         claim lease in seconds, renewed while a step runs: how long a dead
                        worker's steps wait before another worker takes them (default 30)
        --deadline      ms in-flight steps get to finish on shutdown (default 10000)
        --recovery-ms   re-send owed durable events older than this many ms (default 30000)
        --host, --port  health, metrics and inspector (default 127.0.0.1:8787; when 8787 is
                        taken a free port is used and printed; --port 0: always a free one)
        --token         bearer token for the HTTP routes (default: TASKER_HTTP_TOKEN)
        --no-http       serve nothing
        --purge-older-than  purge finished tasks older than AGE (e.g. 30d) at start and
                        hourly (default: never)
  events <namespace> [--limit N] [--pattern P] [--follow] [--interval MS]
      the namespace's durable events as JSON lines, oldest first, without consuming them:
      at most N (default: all), only names matching the bus pattern P (e.g. payment.#);
      --follow keeps polling every --interval ms (default 500) until SIGINT
  templates validate [--lenient] <file-or-directory>
      load templates and report every problem; exit 1 when there is one; --lenient reports
      unknown keys (files from newer Tasker versions) as warnings on stderr instead

exit codes: 0 success; 1 a failure (a task in error, an unknown template, a context failing its
  schema, an unreachable database); 2 a mistake on the command line (one line on stderr);
  3 \`worker\` shut down but had to abandon handlers that ignored their aborted signal (their
  steps were released and run again elsewhere)

environment: DATABASE_URL (a PostgreSQL server with PGMQ) or TASKER_DATA_DIR (embedded, on disk;
  otherwise embedded in memory); TASKER_HTTP_TOKEN (the worker's bearer token)`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  init: initCommand,
  worker: workerCommand,
  run: runCommand,
  submit: submitCommand,
  status: statusCommand,
  tasks: tasksCommand,
  steps: stepsCommand,
  schedules: schedulesCommand,
  events: eventsCommand,
  templates: templatesCommand,
};

const HELP = ["help", "--help", "-h"];

/**
 * Runs one command; resolves to its exit code. Never throws. A leading `--cwd DIR` (or `-C DIR`)
 * changes the directory first, so that `deno task tasker` (which runs in the repository's
 * directory) resolves paths where the user typed them.
 *
 * @example
 * ```ts ignore
 * const code = await main(["templates", "validate", "templates/"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const rest = [...args];
  while (rest[0] === "--cwd" || rest[0] === "-C" || rest[0]?.startsWith("--cwd=")) {
    const flag = rest.shift()!;
    const dir = flag.startsWith("--cwd=") ? flag.slice("--cwd=".length) : rest.shift();
    if (!dir) {
      console.error(`tasker: ${flag} needs a directory`);
      return 2;
    }
    try {
      Deno.chdir(dir);
    } catch (error) {
      console.error(`tasker: cannot change to ${dir}: ${(error as Error).message}`);
      return 2;
    }
  }
  const name = rest.shift();
  if (name === undefined || HELP.includes(name)) {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`tasker: unknown command ${JSON.stringify(name)} (tasker --help lists them)`);
    return 2;
  }
  if (rest.some((arg) => arg === "--help" || arg === "-h")) {
    console.log(USAGE);
    return 0;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`tasker ${name}: ${error.message}`);
      return 2;
    }
    console.error(`tasker ${name}: ${errorMessage(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
