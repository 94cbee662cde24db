// The Rust reader of tests/compat (src/main.rs): built once per test process with cargo, offline
// against Debian's crates (.cargo/config.toml), output under the gitignored .tmp/. Without cargo
// (or without permission to run it) the Rust checks are skipped, and `reason` says why.
import { fileURLToPath } from "node:url";

const crateDir = fileURLToPath(new URL("./", import.meta.url));
const targetDir = fileURLToPath(new URL("../../.tmp/compat-target/", import.meta.url));

/** Where Debian's librust-*-dev packages put their crates (see .cargo/config.toml). */
const REGISTRY = "/usr/share/cargo/registry";
const CRATES = ["serde", "serde_derive", "serde_json", "uuid", "chrono"];

/** The crates the reader needs that the registry lacks. */
async function missingCrates(): Promise<string[]> {
  const present = new Set<string>();
  try {
    for await (const entry of Deno.readDir(REGISTRY)) {
      present.add(entry.name.replace(/-[0-9][^-]*$/, ""));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return CRATES.filter((name) => !present.has(name));
}

/** Whether cargo can run here, and if not why. */
export interface CargoStatus {
  ok: boolean;
  reason: string;
}

/** Checks for cargo once, at module load of the test that uses it. */
export async function cargoStatus(): Promise<CargoStatus> {
  try {
    const out = await new Deno.Command("cargo", { args: ["--version"], stdout: "piped" }).output();
    if (!out.success) return { ok: false, reason: "cargo --version failed" };
    const missing = await missingCrates();
    if (missing.length > 0) {
      return {
        ok: false,
        reason: `Debian's Rust crates are missing from ${REGISTRY}: ${missing.join(", ")} ` +
          "(see .ci/run for the librust-*-dev packages)",
      };
    }
    return { ok: true, reason: new TextDecoder().decode(out.stdout).trim() };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { ok: false, reason: "cargo is not installed (see .ci/run for the packages)" };
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return { ok: false, reason: "no permission to run cargo (--allow-run=cargo)" };
    }
    throw error;
  }
}

let built: Promise<void> | undefined;

function cargo(args: string[], stdin?: string) {
  const command = new Deno.Command("cargo", {
    args,
    cwd: crateDir,
    env: { CARGO_TARGET_DIR: targetDir },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  if (stdin === undefined) return command.output();
  const child = command.spawn();
  const writer = child.stdin.getWriter();
  return writer.write(new TextEncoder().encode(stdin)).then(() => writer.close()).then(() =>
    child.output()
  );
}

/** Builds the reader (once per process); throws with cargo's output when the build fails. */
export function buildReader(): Promise<void> {
  built ??= cargo(["build", "--quiet", "--offline"]).then((out) => {
    if (!out.success) {
      throw new Error(`cargo build failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
  });
  return built;
}

/** What the reader said about a batch of events. */
export interface ReaderVerdict {
  /** Events read. */
  checked: number;
  /** Events a tasker-core reader rejects, with serde's error. */
  rejected: { index: number; event_name: unknown; error: string }[];
}

/** Runs the reader on `events` (a JSON array on its stdin) and returns its verdict. */
export async function readAsTasker(events: readonly unknown[]): Promise<ReaderVerdict> {
  await buildReader();
  const out = await cargo(["run", "--quiet", "--offline"], JSON.stringify(events));
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0 && out.code !== 1) {
    throw new Error(`the reader failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(stdout) as ReaderVerdict;
}
