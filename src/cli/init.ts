/**
 * `tasker init [dir]`: scaffolds a project that `tasker run` executes at once — a template, its
 * handlers module, a test of the handlers, and a deno.json whose import map points at the
 * deno-tasker this CLI came from (a JSR version, a URL, or files on disk).
 *
 * @module
 */

import { join, resolve } from "node:path";
import { TaskerError } from "../errors.ts";
import { parseArgs, positionals } from "./args.ts";

/** `tasker init` would overwrite a file that already exists. */
export class ScaffoldExistsError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param path the file that exists
   */
  constructor(path: string) {
    super("E_SCAFFOLD_EXISTS", `${path} already exists; tasker init never overwrites a file`);
  }
}

/** Where the scaffold imports the library from, derived from where this module was loaded. */
export interface LibrarySpecifiers {
  /** The package's main entry. */
  mod: string;
  /** The `./testing` entry. */
  testing: string;
  /** The CLI's entry, run by the scaffold's tasks. */
  cli: string;
}

/**
 * The specifiers of the running deno-tasker: `jsr:@deno-tasker/tasker@^<version>` when the CLI
 * was loaded from JSR, else the URLs (https: or file:) of its entry modules.
 *
 * @param from the URL of this module (`import.meta.url`)
 *
 * @example
 * ```ts
 * import { librarySpecifiers } from "./init.ts";
 * librarySpecifiers("https://jsr.io/@deno-tasker/tasker/0.1.0/src/cli/init.ts").mod;
 * // "jsr:@deno-tasker/tasker@^0.1.0"
 * ```
 */
export function librarySpecifiers(from: string = import.meta.url): LibrarySpecifiers {
  const jsr = /^https:\/\/jsr\.io\/(@[^/]+\/[^/]+)\/([^/]+)\//.exec(from);
  if (jsr) {
    const pkg = `jsr:${jsr[1]}@^${jsr[2]}`;
    return { mod: pkg, testing: `${pkg}/testing`, cli: `${pkg}/cli` };
  }
  return {
    mod: new URL("../../mod.ts", from).href,
    testing: new URL("../testing/mod.ts", from).href,
    cli: new URL("./main.ts", from).href,
  };
}

/** The permissions of the scaffold's commands: embedded PGlite, a server, the HTTP endpoints. */
const RUN_FLAGS = "--allow-read --allow-write --allow-env --allow-net";

/** The scaffold's files, by path relative to the project. */
export function scaffoldFiles(lib: LibrarySpecifiers): Record<string, string> {
  const cli = `deno run ${RUN_FLAGS} ${lib.cli}`;
  const config = {
    imports: {
      "@deno-tasker/tasker": lib.mod,
      "@deno-tasker/tasker/testing": lib.testing,
    },
    tasks: {
      // `deno task` runs in this directory; --cwd hands the command the caller's directory, so
      // a path typed after `deno task tasker` is relative to where it was typed.
      tasker: `${cli} --cwd "$INIT_CWD"`,
      run: `${cli} run hello/greeting --context '{"name": "world"}'`,
      worker: `${cli} worker`,
      validate: `${cli} templates validate templates`,
      test: "deno test --allow-read --allow-env",
    },
  };
  return {
    "deno.json": `${JSON.stringify(config, null, 2)}\n`,
    "templates/greeting.yaml": GREETING_TEMPLATE,
    "handlers.ts": HANDLERS_MODULE,
    "handlers_test.ts": HANDLERS_TEST,
  };
}

const GREETING_TEMPLATE = `# A two-step workflow: compose a greeting, then shout it.
name: greeting
namespace_name: hello
version: 1.0.0
description: Composes a greeting for a name, then shouts it
input_schema:
  type: object
  required: [name]
  properties:
    name: { type: string, minLength: 1 }
steps:
  - name: compose
    handler: { callable: hello.compose }
    publishes_events:
      - name: greeting.composed
        condition: success
        delivery_mode: fast
  - name: shout
    handler: { callable: hello.shout }
    dependencies: [compose]
    retry: { max_attempts: 3, backoff: exponential }
    publishes_events:
      - name: greeting.shouted
        condition: success
        delivery_mode: durable
`;

const HANDLERS_MODULE =
  `// The handlers of templates/greeting.yaml. \`tasker run\` and \`tasker worker\` import this
// module and call registerHandlers.
import { type HandlerRegistry, type StepContext, success } from "@deno-tasker/tasker";

/** hello.compose: a greeting for the task's \`name\`. */
export function compose(ctx: StepContext) {
  return success({ greeting: \`Hello, \${ctx.input<string>("name")}!\` });
}

/** hello.shout: the composed greeting in capitals. */
export function shout(ctx: StepContext) {
  const greeting = ctx.dependency<string>("compose", "greeting") ?? "";
  return success({ shouted: greeting.toUpperCase() });
}

/** Registers every callable the templates name. */
export function registerHandlers(handlers: HandlerRegistry): void {
  handlers.register("hello.compose", compose).register("hello.shout", shout);
}
`;

const HANDLERS_TEST =
  `// \`deno task test\`: a handler on its own (no permissions), then the whole workflow on an
// in-memory database (--allow-read for PGlite's files, --allow-env for DATABASE_URL).
import assert from "node:assert/strict";
import { HandlerRegistry, Tasker } from "@deno-tasker/tasker";
import { buildStepContext, runHandler } from "@deno-tasker/tasker/testing";
import { compose, registerHandlers, shout } from "./handlers.ts";

const task = {
  task_uuid: crypto.randomUUID(),
  namespace: "hello",
  name: "greeting",
  version: "1.0.0",
  context: { name: "Ada" },
  correlation_id: "test-1",
};
const step = (name: string) => ({
  step_uuid: crypto.randomUUID(),
  name,
  attempts: 1,
  max_attempts: 3,
  retryable: true,
});

Deno.test("compose greets by name", async () => {
  const result = await runHandler(compose, buildStepContext({ task, step: step("compose") }));
  assert.deepEqual(result, { success: true, result: { greeting: "Hello, Ada!" }, metadata: {} });
});

Deno.test("shout reads compose's result", async () => {
  const ctx = buildStepContext({
    task,
    step: step("shout"),
    dependencyResults: { compose: { greeting: "Hello, Ada!" } },
  });
  const result = await runHandler(shout, ctx);
  assert.equal(result.success && (result.result as { shouted: string }).shouted, "HELLO, ADA!");
});

Deno.test("the greeting workflow runs end to end", async () => {
  const handlers = new HandlerRegistry();
  registerHandlers(handlers);
  await using tasker = await Tasker.open({
    templates: "./templates",
    handlers,
    database: { embedded: true },
  });
  const submitted = await tasker.submit({
    namespace: "hello",
    name: "greeting",
    context: { name: "Ada" },
  });
  const done = await tasker.waitFor(submitted.task_uuid, { timeoutMs: 30_000 });
  assert.equal(done.status, "complete");
  assert.deepEqual(done.steps.shout?.result, { shouted: "HELLO, ADA!" });
});
`;

/**
 * `init [dir]`: writes the scaffold into `dir` (default: the current directory), refusing to
 * overwrite any file, and prints what to run next.
 */
export async function initCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], []);
  const [dir = "."] = positionals(parsed, ["dir"]);
  const root = resolve(dir);
  const files = scaffoldFiles(librarySpecifiers());
  for (const path of Object.keys(files)) {
    const target = join(root, path);
    const exists = await Deno.lstat(target).then(() => true, (error) => {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    });
    if (exists) throw new ScaffoldExistsError(join(dir, path));
  }
  for (const [path, text] of Object.entries(files)) {
    const target = join(root, path);
    await Deno.mkdir(join(target, ".."), { recursive: true });
    await Deno.writeTextFile(target, text, { createNew: true });
    console.log(`created ${join(dir, path)}`);
  }
  const cd = dir === "." ? "" : `cd ${dir} && `;
  console.log(
    `\nnext: ${cd}deno task run    # runs hello/greeting once, on an in-memory database\n` +
      `      deno task test   # the handlers' tests\n` +
      `      deno task worker # a worker (set DATABASE_URL or TASKER_DATA_DIR to keep tasks)`,
  );
  return 0;
}
