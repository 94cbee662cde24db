/**
 * A PostgreSQL cluster of `deno task chaos`'s own, so scenario (b) can crash it (`pg_ctl stop -m
 * immediate`) without touching anyone's server: initdb in a temp directory, started on a free
 * 127.0.0.1 port, database `tasker`. Binaries are found as `scripts/pg-up.sh` finds them
 * (`PG_BINDIR`, else the newest `/usr/lib/postgresql/<n>/bin`, else `pg_ctl` on `PATH`), and PGMQ's
 * SQL files must already be in the server's extension directory (`scripts/pg-up.sh` puts them
 * there). PostgreSQL refuses to run as root, so as root every command runs as the `postgres` user
 * through `su postgres -c`.
 *
 * @module
 */

/** A running cluster of our own. */
export interface OwnCluster {
  /** `postgres://postgres@127.0.0.1:<port>/tasker`. */
  readonly url: string;
  /** Crash it: `pg_ctl stop -m immediate` (no checkpoint, clients cut off). */
  crash(): Promise<void>;
  /** Start it again on the same port and data. */
  start(): Promise<void>;
  /** Stop it and remove its files. */
  destroy(): Promise<void>;
}

async function findBindir(): Promise<string> {
  const fromEnv = Deno.env.get("PG_BINDIR");
  const candidates: string[] = fromEnv ? [fromEnv] : [];
  try {
    const versions: string[] = [];
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) versions.push(entry.name);
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no Debian layout
  }
  for (const dir of candidates) {
    try {
      await Deno.stat(`${dir}/pg_ctl`);
      await Deno.stat(`${dir}/initdb`);
      return dir;
    } catch {
      // try the next one
    }
  }
  const which = await new Deno.Command("sh", { args: ["-c", "command -v pg_ctl"] }).output();
  const found = new TextDecoder().decode(which.stdout).trim();
  if (found !== "") return found.replace(/\/pg_ctl$/, "");
  throw new Error("no PostgreSQL server binaries (set PG_BINDIR, or run scripts/pg-up.sh once)");
}

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

async function run(asPostgres: boolean, command: string[]): Promise<string> {
  const [program, ...args] = asPostgres
    ? ["su", "postgres", "-s", "/bin/sh", "-c", command.map(quote).join(" ")]
    : command;
  const output = await new Deno.Command(program!, { args, stdin: "null" }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command.join(" ")} failed: ${text.trim()}`);
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Creates and starts a cluster; the caller must `destroy()` it.
 *
 * @returns the running cluster
 */
export async function startOwnCluster(): Promise<OwnCluster> {
  const bindir = await findBindir();
  const asPostgres = (await run(false, ["id", "-u"])).trim() === "0";
  const root = await Deno.makeTempDir({ prefix: "tasker-chaos-pg-" });
  const data = `${root}/data`;
  const sock = `${root}/sock`;
  const log = `${root}/server.log`;
  await Deno.mkdir(sock);
  if (asPostgres) await run(false, ["chown", "-R", "postgres", root]);
  await run(asPostgres, [`${bindir}/initdb`, "-D", data, "-A", "trust", "-U", "postgres"]);
  const port = freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${sock} -c fsync=off`;
  const pgCtl = (...args: string[]) => run(asPostgres, [`${bindir}/pg_ctl`, "-D", data, ...args]);
  const start = async () => {
    await pgCtl("-l", log, "-w", "-t", "60", "-o", options, "start");
  };
  await start();
  await run(asPostgres, [
    `${bindir}/createdb`,
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-U",
    "postgres",
    "tasker",
  ]);
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/tasker`,
    crash: async () => {
      await pgCtl("-m", "immediate", "-w", "stop");
    },
    start,
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await pgCtl("-m", "fast", "-w", "stop").catch(() => "");
      await Deno.remove(root, { recursive: true });
    },
  };
}
