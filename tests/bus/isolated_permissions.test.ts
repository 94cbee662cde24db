import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { WorkerPermissionsUnavailableError } from "../../src/actors/errors.ts";
import {
  WORKER_OPTIONS_ENV,
  WORKER_OPTIONS_FLAG,
  workerOptionsFlag,
} from "../../src/actors/worker_flag.ts";
import {
  type PermissionOutcome,
  probeReadPermission,
} from "../fixtures/isolated_permission_probe.ts";
import { HANDLERS } from "./_isolated.ts";

const PROBE = new URL("../fixtures/isolated_permission_probe.ts", import.meta.url);
/** A file the parent can read: this test itself. */
const READABLE = new URL(import.meta.url).pathname;

/**
 * Runs the probe in a `deno run` subprocess: `flag` adds the Deno flag, `declare` sets the
 * declaration variable, `all` runs it with `-A` (so the command line itself is read).
 */
async function probeInSubprocess(
  options: { flag: boolean; declare: boolean; all?: boolean },
): Promise<Record<string, string>> {
  const args = ["run"];
  args.push(...(options.all ? ["-A"] : ["--allow-read", "--allow-write", "--allow-env"]));
  if (options.flag) args.push(WORKER_OPTIONS_FLAG);
  // Set either way: the child would otherwise inherit this process's declaration.
  const env = { [WORKER_OPTIONS_ENV]: options.declare ? "1" : "" };
  const output = await new Deno.Command("deno", {
    args: [...args, PROBE.pathname, READABLE],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert.equal(
    output.code,
    0,
    `probe exited ${output.code}: ${new TextDecoder().decode(output.stderr)}`,
  );
  return JSON.parse(stdout.split("\n").at(-1) as string);
}

Deno.test("an isolated subscriber denied read by its own permissions cannot read while the parent can", async () => {
  // In process when this run has the flag (deno task test does), else in a subprocess with it.
  const outcome: PermissionOutcome = workerOptionsFlag().available
    ? await probeReadPermission(READABLE)
    : await probeInSubprocess({ flag: true, declare: true }) as unknown as PermissionOutcome;
  assert.match(outcome.parent, /^read \d+ chars$/);
  assert.equal(outcome.worker, "denied: NotCapable");
});

Deno.test("without --unstable-worker-options, narrower permissions are refused with a typed error naming the flag", async () => {
  if (!workerOptionsFlag().available) {
    await using bus = new EventBus();
    assert.throws(
      () =>
        bus.subscribe("a.*", {
          name: "narrow",
          isolation: "worker",
          module: HANDLERS,
          permissions: { net: ["metrics.internal:9090"] },
        }),
      (error: unknown) => {
        assert.ok(error instanceof WorkerPermissionsUnavailableError);
        assert.equal(error.actor, "narrow");
        assert.match(error.message, /--unstable-worker-options/);
        return true;
      },
    );
    assert.equal(bus.system.stats().actors, 0);
    // "inherit" needs no flag: the same subscriber with the parent's permissions is accepted.
    const inherited = bus.subscribe("a.*", {
      isolation: "worker",
      module: HANDLERS,
      permissions: "inherit",
      shutdown: "brutal_kill",
    });
    assert.equal(inherited.stats().state, "running");
  } else {
    const refused = await probeInSubprocess({ flag: false, declare: false });
    assert.equal(refused.refused, "E_WORKER_PERMISSIONS_UNAVAILABLE");
    assert.match(refused.message as string, /--unstable-worker-options/);
  }
});

Deno.test("with -A the command line decides: a declaration without the flag is refused, the flag alone is seen", async () => {
  const lied = await probeInSubprocess({ flag: false, declare: true, all: true });
  assert.equal(lied.refused, "E_WORKER_PERMISSIONS_UNAVAILABLE");
  assert.match(lied.message as string, /not on the command line/);
  const seen = await probeInSubprocess({ flag: true, declare: false, all: true });
  assert.equal(seen.worker, "denied: NotCapable");
});
