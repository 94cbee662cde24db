// `tasker tasks`, `tasker steps`, `tasker schedules`, `submit --delay` and `status` by
// correlation id, run as separate processes on one embedded database in a data directory; every
// bad input is one line on stderr with exit 2; every flag is in --help and the README's table.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { EXAMPLE_TEMPLATES as templates, tasker as runCli, tempDir } from "./_cli.ts";

Deno.test("tasker tasks: list, show, cancel, retry, purge; status by correlation id; submit --delay", async () => {
  await using dir = await tempDir("tasker-cli-tasks-");
  const env = { TASKER_DATA_DIR: `${dir.path}/data` };
  const tasker = (args: string[]) => runCli(args, { env });
  const ref = "linear_workflow/mathematical_sequence";

  // A run that fails permanently (order total over 50,000), then a delayed submit.
  const failed = await tasker([
    "run",
    "order_fulfillment/business_workflow",
    "--templates",
    templates,
    "--handlers",
    `${templates}/mod.ts`,
    "--json",
    "--context",
    JSON.stringify({
      customer: { id: "C1", name: "Ada", email: "ada@example.com" },
      items: [{ sku: "BIG", quantity: 1, price: 60_000 }],
      payment: { method: "credit_card", token: "tok_visa" },
      shipping: { method: "standard", address: "1 Main St" },
    }),
  ]);
  assert.equal(failed.code, 1, failed.text);
  const failedUuid = JSON.parse(failed.stdout).task_uuid as string;
  const submitted = await tasker([
    "submit",
    ref,
    "--templates",
    templates,
    "--context",
    '{"even_number": 6}',
    "--delay",
    "2h",
    "--json",
  ]);
  assert.equal(submitted.code, 0, submitted.text);
  const delayed = JSON.parse(submitted.stdout);

  const status = await tasker(["status", delayed.correlation_id]);
  assert.equal(status.code, 0, status.text);
  assert.match(
    status.stdout,
    new RegExp(
      `^task ${delayed.task_uuid} linear_workflow/mathematical_sequence@1\\.0\\.0: in_progress \\(tasker: pending\\)`,
    ),
  );
  assert.match(status.stdout, /delayed: its first steps run at \d{4}-/);

  const list = await tasker(["tasks", "list", "--since", "1h", "--json"]);
  assert.equal(list.code, 0, list.text);
  const page = JSON.parse(list.stdout);
  assert.equal(page.pagination.total_count, 2);
  assert.deepEqual(page.tasks.map((t: { task_uuid: string }) => t.task_uuid), [
    delayed.task_uuid,
    failedUuid,
  ]);
  const errors = await tasker(["tasks", "list", "--state", "error"]);
  assert.equal(errors.code, 0, errors.text);
  assert.match(errors.stdout, new RegExp(`^${failedUuid}  error\\s+blocked_by_failures  `, "m"));
  assert.match(errors.stdout, /^page 1 of 1: 1 of 1 tasks$/m);

  const shown = await tasker(["tasks", "show", failedUuid]);
  assert.equal(shown.code, 0, shown.text);
  assert.match(shown.stdout, /error\s+attempts 1\/\d+.*50,?000/);
  assert.match(shown.stdout, /^task \S+ .*: error \(tasker: blocked_by_failures\)$/m);

  const retryRunning = await tasker(["tasks", "retry", delayed.task_uuid]);
  assert.equal(retryRunning.code, 1);
  assert.match(retryRunning.stderr[0]!, /^tasker tasks: cannot retry task .*: it is in_progress/);
  const cancelled = await tasker(["tasks", "cancel", delayed.task_uuid, "--reason", "not needed"]);
  assert.equal(cancelled.code, 0, cancelled.text);
  assert.match(cancelled.stdout, new RegExp(`^task ${delayed.task_uuid}: cancelled; cancelled `));
  const twice = await tasker(["tasks", "cancel", delayed.task_uuid]);
  assert.equal(twice.code, 1);
  assert.equal(twice.stderr.length, 1);
  assert.match(twice.stderr[0]!, /cannot cancel task .*: it is cancelled/);

  // A failed step completed by hand: the task is running again (its next steps are queued).
  const failedStep = JSON.parse((await tasker(["tasks", "show", failedUuid, "--json"])).stdout)
    .steps.find((s: { state: string }) => s.state === "error").name as string;
  const completed = await tasker([
    "steps",
    "complete",
    failedUuid,
    failedStep,
    "--result",
    '{"ok": true}',
    "--templates",
    templates,
    "--json",
  ]);
  assert.equal(completed.code, 0, completed.text);
  const action = JSON.parse(completed.stdout);
  assert.deepEqual(action.step, { name: failedStep, state: "complete" });
  assert.equal(action.task_state, "in_progress");

  const purged = await tasker(["tasks", "purge", "--older-than", "0s", "--json"]);
  assert.equal(purged.code, 0, purged.text);
  assert.equal(JSON.parse(purged.stdout).tasks, 1, "the cancelled task; the running one stays");
  const left = JSON.parse((await tasker(["tasks", "list", "--json"])).stdout);
  assert.deepEqual(left.tasks.map((t: { task_uuid: string }) => t.task_uuid), [failedUuid]);

  const unknown = await tasker(["status", crypto.randomUUID()]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr[0]!, /^tasker status: no task /);
});

Deno.test("tasker schedules lists the templates' schedules with their next occurrence", async () => {
  await using dir = await tempDir("tasker-cli-schedules-");
  await Deno.mkdir(`${dir.path}/templates`);
  const yaml = await Deno.readTextFile(`${templates}/linear_workflow/mathematical_sequence.yaml`);
  await Deno.writeTextFile(
    `${dir.path}/templates/seq.yaml`,
    `${yaml}\nschedules:\n  - name: hourly\n    cron: "15 * * * *"\n    context: { even_number: 4 }\n`,
  );
  const result = await runCli(["schedules", "--json"], {
    cwd: dir.path,
    env: { TASKER_DATA_DIR: `${dir.path}/data` },
  });
  assert.equal(result.code, 0, result.text);
  const [schedule] = JSON.parse(result.stdout);
  assert.equal(schedule.name, "linear_workflow.mathematical_sequence.hourly");
  assert.match(schedule.next_fire_at, /:15:00\.000Z$/);
  assert.equal(schedule.last_fire_at, null);
});

Deno.test("tasker tasks/steps/submit: bad command lines exit 2 with one line", async () => {
  const uuid = crypto.randomUUID();
  const cases: [string[], RegExp][] = [
    [["tasks"], /^tasker tasks: missing subcommand \(expected list, show/],
    [["tasks", "frobnicate"], /unknown subcommand "frobnicate"/],
    [["tasks", "list", "extra"], /unexpected argument "extra"/],
    [
      ["tasks", "list", "--since", "yesterday"],
      /--since must be a duration back from now .* got "yesterday"/,
    ],
    [["tasks", "list", "--per-page", "0"], /--per-page must be at least 1/],
    [["tasks", "list", "--per-page", "101"], /--per-page must be at most 100/],
    [["tasks", "list", "--state", "exploded"], /--state: unknown task state "exploded"/],
    [["tasks", "list", "--state", ","], /--state needs at least one value/],
    [
      ["tasks", "list", "--correlation-id", "abc"],
      /--correlation-id: correlation_id must be a UUID/,
    ],
    [["tasks", "show"], /show needs a task UUID or a correlation id/],
    [["tasks", "cancel"], /cancel needs a task UUID/],
    [["tasks", "cancel", uuid, "--by", " "], /--by must name who acts/],
    [["tasks", "purge"], /purge needs --older-than AGE/],
    [
      ["tasks", "purge", "--older-than", "30 days"],
      /--older-than must be an age such as 12h, 30d or 2w, got "30 days"/,
    ],
    [
      ["tasks", "purge", "--older-than", "30d", "--batch-size", "0"],
      /--batch-size must be at least 1/,
    ],
    [["steps"], /missing subcommand \(expected retry, resolve or complete\)/],
    [["steps", "retry", uuid], /steps retry needs a task UUID and a step name/],
    [["steps", "complete", uuid, "a"], /steps complete needs --result JSON/],
    [["steps", "complete", uuid, "a", "--result", "{bad"], /--result is not valid JSON/],
    [["steps", "resolve", uuid, "a", "--result", "1"], /--result is only for steps complete/],
    [
      ["submit", "linear_workflow/mathematical_sequence", "--delay", "soon"],
      /--delay must be an age such as 90s/,
    ],
    [
      ["submit", "linear_workflow/mathematical_sequence", "--run-at", "noon"],
      /--run-at must be an ISO 8601 time/,
    ],
    [[
      "submit",
      "linear_workflow/mathematical_sequence",
      "--delay",
      "1h",
      "--run-at",
      "2030-01-01T00:00:00Z",
    ], /give --delay or --run-at, not both/],
    [["worker", "--purge-older-than", "forever"], /--purge-older-than must be an age/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.text}`);
    assert.equal(result.stderr.length, 1, `${args.join(" ")}: ${result.text}`);
    assert.match(result.stderr[0]!, message, args.join(" "));
  }
});

Deno.test("tasker --help and the README's table name every flag of tasks, steps and schedules", async () => {
  const uuid = crypto.randomUUID();
  const commands = [
    ["tasks", "list"],
    ["tasks", "show", uuid],
    ["tasks", "cancel", uuid],
    ["tasks", "purge"],
    ["steps", "complete", uuid, "a"],
    ["schedules"],
    ["submit", "linear_workflow/mathematical_sequence"],
    ["worker"],
  ];
  const flags = new Set<string>();
  for (const command of commands) {
    const result = await runCli([...command, "--no-such-flag"]);
    assert.equal(result.code, 2, result.text);
    const known = /\(known: ([^)]*)\)/.exec(result.stderr[0] ?? "")?.[1];
    assert.ok(known, result.text);
    for (const flag of known.split(", ")) flags.add(flag);
  }
  for (
    const expected of [
      "--since",
      "--older-than",
      "--result",
      "--delay",
      "--purge-older-than",
      "--per-page",
    ]
  ) {
    assert.ok(flags.has(expected), expected);
  }
  const help = (await runCli(["--help"])).stdout;
  const readme = await Deno.readTextFile(fileURLToPath(new URL("../README.md", import.meta.url)));
  const section = readme.slice(
    readme.indexOf("## Command line"),
    readme.indexOf("## Environment variables"),
  );
  for (const flag of flags) {
    assert.match(help, new RegExp(`${flag}\\b`), `${flag} in --help`);
    assert.ok(section.includes(`\`${flag}`), `${flag} in the README's command-line section`);
  }
  for (
    const command of [
      "tasks list",
      "tasks show",
      "tasks cancel",
      "tasks purge",
      "steps retry",
      "schedules",
    ]
  ) {
    assert.ok(help.includes(command), `${command} in --help`);
  }
});
