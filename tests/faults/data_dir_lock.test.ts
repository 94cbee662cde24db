// The embedded data directory has one owner: a second process (or a second open in this one)
// gets a DataDirLockedError naming the directory and the process holding it, and the lock dies
// with its owner, SIGKILL included. Real `deno run` processes.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DataDirLockedError } from "../../src/durable/db/data_dir_lock.ts";
import { openPglite } from "../../src/durable/db/pglite.ts";

const holder = fileURLToPath(new URL("./_hold_data_dir.ts", import.meta.url));

interface Child {
  process: Deno.ChildProcess;
  /** The first line the child printed. */
  firstLine: Promise<string>;
  /** Everything it printed, once it exited. */
  output: Promise<string>;
}

function spawnHolder(dataDir: string): Child {
  const process = new Deno.Command("deno", {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", holder, dataDir],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let text = "";
  let resolveLine!: (line: string) => void;
  const firstLine = new Promise<string>((resolve) => resolveLine = resolve);
  const output = (async () => {
    for await (const chunk of process.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline >= 0) resolveLine(text.slice(0, newline));
    }
    resolveLine(text);
    return text;
  })();
  return { process, firstLine, output };
}

async function finish(child: Child): Promise<{ code: number; output: string }> {
  try {
    await child.process.stdin.close();
  } catch {
    // already closed
  }
  const [status, output] = await Promise.all([child.process.status, child.output]);
  return { code: status.code, output };
}

Deno.test("a second process on the same data directory is refused, naming the owner", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasker_lock_" });
  try {
    const first = spawnHolder(dataDir);
    const ready = await first.firstLine;
    assert.match(ready, /^ready (\d+) 1$/, `first process: ${ready}`);
    const ownerPid = ready.split(" ")[1]!;

    const second = spawnHolder(dataDir);
    const refused = await finish(second);
    assert.equal(refused.code, 3, `second process: ${refused.output}`);
    assert.ok(refused.output.includes("E_DATA_DIR_LOCKED"), refused.output);
    assert.ok(refused.output.includes(dataDir), `names the directory: ${refused.output}`);
    assert.ok(refused.output.includes(`process ${ownerPid}`), `names the owner: ${refused.output}`);

    // SIGKILL: no cleanup runs, yet the kernel drops the lock and the data is intact.
    first.process.kill("SIGKILL");
    await finish(first);
    const third = spawnHolder(dataDir);
    const reopened = await third.firstLine;
    assert.match(reopened, /^ready \d+ 2$/, `after the owner died: ${reopened}`);
    assert.equal((await finish(third)).code, 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a second open in the same process is refused until the first closes", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasker_lock_" });
  try {
    const db = await openPglite({ dataDir });
    const error = await openPglite({ dataDir }).then(
      () => assert.fail("the second open must fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DataDirLockedError, String(error));
    assert.equal(error.code, "E_DATA_DIR_LOCKED");
    assert.equal(error.dataDir, dataDir);
    assert.equal(error.owner?.pid, Deno.pid);
    await db.close();
    await using again = await openPglite({ dataDir });
    assert.equal((await again.query<{ one: number }>("SELECT 1 AS one"))[0]!.one, 1);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
