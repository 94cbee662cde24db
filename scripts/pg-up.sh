#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server with PGMQ for deno-tasker's tests and benchmarks.
#
#   url_line=$(bash scripts/pg-up.sh)     # prints exactly: DATABASE_URL=postgres://...
#   bash scripts/pg-down.sh                # stops it and removes its data
#
# What it does, each step idempotent:
#   1. finds the server binaries (PG_BINDIR, /usr/lib/postgresql/*/bin, or PATH); when there are
#      none it installs Debian's PostgreSQL package (apt-get update; apt-get install postgresql-15,
#      falling back to postgresql);
#   2. copies PGMQ's control and SQL files (pure SQL, no C module) from the npm package
#      @electric-sql/pglite-pgmq@0.0.6 into the server's extension directory;
#   3. initdb's a cluster in a temp directory (trust auth, superuser `postgres`), starts it on
#      127.0.0.1 on a free port, waits until it accepts connections and creates database `tasker`;
#   4. records everything in the state file ${TMPDIR:-/tmp}/deno-tasker-pg/state (shell syntax:
#      TASKER_PG_DATADIR, TASKER_PG_PORT, TASKER_PG_BINDIR, TASKER_PG_RUNAS, DATABASE_URL, ...).
# Running it again while that server runs prints the same URL. PostgreSQL refuses to run as root,
# so as root the server runs as the `postgres` OS user (created when missing).
# Network: only Debian's package mirrors (step 1) and the npm registry (step 2).
#
# The server runs with fsync off (fast tests; nothing in it needs to survive a power cut). For
# benchmarks, `TASKER_PG_FSYNC=on bash scripts/pg-up.sh` starts a SEPARATE cluster with fsync on,
# on its own port and data directory, leaving the default one alone: everything above, under
# ${TMPDIR:-/tmp}/deno-tasker-pg-fsync instead of ${TMPDIR:-/tmp} (so the other scripts reach it
# with TMPDIR=${TMPDIR:-/tmp}/deno-tasker-pg-fsync, e.g. to stop it with scripts/pg-down.sh).
set -euo pipefail

# Everything but the final URL line goes to stderr.
exec 3>&1 1>&2

case ${TASKER_PG_FSYNC:-off} in
  off) STATE_BASE="${TMPDIR:-/tmp}" ;;
  on) STATE_BASE="${TMPDIR:-/tmp}/deno-tasker-pg-fsync" ;;
  *)
    echo "pg-up: error: TASKER_PG_FSYNC must be on or off, got '${TASKER_PG_FSYNC}'" >&2
    exit 1
    ;;
esac
PG_FSYNC=${TASKER_PG_FSYNC:-off}
STATE_ROOT="$STATE_BASE/deno-tasker-pg"
STATE_FILE="$STATE_ROOT/state"
PGMQ_PACKAGE="@electric-sql/pglite-pgmq"
PGMQ_PACKAGE_VERSION="0.0.6"
PGMQ_VERSION="1.11.1"

log() { echo "pg-up: $*" >&2; }
die() {
  echo "pg-up: error: $*" >&2
  exit 1
}

# As root, elevate nothing; otherwise use sudo (when present) for installing packages and files.
SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
fi

mkdir -p "$STATE_ROOT"
chmod 755 "$STATE_ROOT" 2>/dev/null || true
# The fsync-on cluster's server user must be able to reach it through the extra directory (never
# chmod the default STATE_BASE: that is TMPDIR or /tmp itself).
if [[ $PG_FSYNC == on ]]; then
  chmod 755 "$STATE_BASE" 2>/dev/null || true
fi
# Serialise concurrent runs so two callers never create two clusters.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE_ROOT/lock"
  flock 9
fi

# Prints the directory holding initdb, pg_ctl and postgres, or nothing.
find_bindir() {
  local dir candidate
  if [[ -n ${PG_BINDIR:-} && -x ${PG_BINDIR}/pg_ctl ]]; then
    echo "$PG_BINDIR"
    return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
      echo "$dir"
      return
    fi
  done
  if candidate=$(command -v pg_ctl 2>/dev/null); then
    dir=$(dirname "$(readlink -f "$candidate")")
    if [[ -x $dir/initdb && -x $dir/postgres ]]; then
      echo "$dir"
      return
    fi
  fi
}

install_postgres() {
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server found and apt-get is missing; set PG_BINDIR"
  log "no PostgreSQL server binaries found; installing Debian's package"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
  fi
}

# Prints the server's share directory (where extension/ lives).
find_sharedir() {
  local bindir=$1 major
  if [[ -x $bindir/pg_config ]]; then
    "$bindir/pg_config" --sharedir
    return
  fi
  major=$("$bindir/postgres" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')
  if [[ -d /usr/share/postgresql/$major ]]; then
    echo "/usr/share/postgresql/$major"
    return
  fi
  die "cannot find the share directory of $bindir (no pg_config)"
}

# Prints the path of PGMQ's tarball from the npm package, fetching the package when needed.
find_pgmq_tarball() {
  local deno_dir tarball work
  if command -v deno >/dev/null 2>&1; then
    deno cache "npm:$PGMQ_PACKAGE@$PGMQ_PACKAGE_VERSION" >&2 || true
    deno_dir=${DENO_DIR:-$(deno info --json 2>/dev/null | sed -n 's/.*"denoDir": *"\([^"]*\)".*/\1/p' | head -n 1)}
    tarball="$deno_dir/npm/registry.npmjs.org/$PGMQ_PACKAGE/$PGMQ_PACKAGE_VERSION/dist/pgmq.tar.gz"
    if [[ -f $tarball ]]; then
      echo "$tarball"
      return
    fi
  fi
  command -v npm >/dev/null 2>&1 || die "cannot fetch $PGMQ_PACKAGE: neither deno nor npm works"
  work="$STATE_ROOT/npm-pack"
  mkdir -p "$work"
  (cd "$work" && npm pack "$PGMQ_PACKAGE@$PGMQ_PACKAGE_VERSION" >&2)
  tar -xzf "$work"/electric-sql-pglite-pgmq-"$PGMQ_PACKAGE_VERSION".tgz -C "$work"
  echo "$work/package/dist/pgmq.tar.gz"
}

install_pgmq() {
  local sharedir=$1 extdir="$1/extension" tarball unpack
  if [[ -f $extdir/pgmq.control && -f $extdir/pgmq--$PGMQ_VERSION.sql ]]; then
    log "PGMQ $PGMQ_VERSION already installed in $extdir"
    return
  fi
  tarball=$(find_pgmq_tarball)
  unpack=$(mktemp -d)
  tar -xzf "$tarball" -C "$unpack"
  [[ -f $unpack/share/postgresql/extension/pgmq--$PGMQ_VERSION.sql ]] ||
    die "$tarball does not contain pgmq--$PGMQ_VERSION.sql"
  log "installing PGMQ $PGMQ_VERSION into $extdir"
  $SUDO mkdir -p "$extdir"
  $SUDO install -m 644 "$unpack"/share/postgresql/extension/pgmq.control \
    "$unpack"/share/postgresql/extension/pgmq--*.sql "$extdir/"
  rm -rf "$unpack"
}

# Runs a command as the OS user that owns the cluster.
as_owner() {
  if [[ ${TASKER_PG_RUNAS:-$(id -un)} == "$(id -un)" ]]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$TASKER_PG_RUNAS" -- "$@"
  else
    su "$TASKER_PG_RUNAS" -s /bin/bash -c "$(printf '%q ' "$@")"
  fi
}

# Prints a free TCP port on 127.0.0.1 (bind test through Deno, else a connect probe).
free_port() {
  local port
  if command -v deno >/dev/null 2>&1 &&
    port=$(deno eval 'const l = Deno.listen({ hostname: "127.0.0.1", port: 0 }); console.log(l.addr.port); l.close();' 2>/dev/null) &&
    [[ $port =~ ^[0-9]+$ ]]; then
    echo "$port"
    return
  fi
  for port in $(seq 54320 54420); do
    if ! (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free port found in 54320-54420"
}

is_running() {
  [[ -n ${TASKER_PG_DATADIR:-} && -d $TASKER_PG_DATADIR ]] &&
    as_owner "$TASKER_PG_BINDIR/pg_ctl" -D "$TASKER_PG_DATADIR" status >/dev/null 2>&1
}

# Waits (up to 10 s) until the server accepts connections; fails otherwise.
wait_ready() {
  local tries=0
  until "$TASKER_PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$TASKER_PG_PORT" -U postgres; do
    tries=$((tries + 1))
    [[ $tries -lt 100 ]] || return 1
    sleep 0.1
  done
}

# Starts the recorded cluster; fails (without exiting) when it does not come up. The server must
# not inherit fd 3 (our stdout: a caller's $(...) would never see EOF) nor fd 9 (the lock).
start_server() {
  as_owner "$TASKER_PG_BINDIR/pg_ctl" -D "$TASKER_PG_DATADIR" -l "$TASKER_PG_LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $TASKER_PG_PORT -k $TASKER_PG_SOCKDIR -c fsync=$PG_FSYNC" \
    start >&2 3>&- 9>&- || return 1
  wait_ready
}

# 1. A running server from an earlier run: print its URL again.
if [[ -f $STATE_FILE ]]; then
  # shellcheck disable=SC1090
  source "$STATE_FILE"
  if is_running; then
    log "server already running (data dir $TASKER_PG_DATADIR)"
    echo "DATABASE_URL=$DATABASE_URL" >&3
    exit 0
  fi
  if [[ -d ${TASKER_PG_DATADIR:-/nonexistent} ]] && start_server; then
    log "restarted the recorded server (data dir $TASKER_PG_DATADIR)"
    echo "DATABASE_URL=$DATABASE_URL" >&3
    exit 0
  fi
  log "discarding stale state in $STATE_FILE"
  rm -rf "${TASKER_PG_CLUSTER:-/nonexistent}" "$STATE_FILE"
fi

# 2. Binaries and PGMQ.
TASKER_PG_BINDIR=$(find_bindir)
if [[ -z $TASKER_PG_BINDIR ]]; then
  install_postgres
  TASKER_PG_BINDIR=$(find_bindir)
  [[ -n $TASKER_PG_BINDIR ]] || die "PostgreSQL was installed but no server binaries were found"
fi
log "using server binaries in $TASKER_PG_BINDIR"
install_pgmq "$(find_sharedir "$TASKER_PG_BINDIR")"

# 3. The cluster, owned by a non-root user.
TASKER_PG_RUNAS=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  TASKER_PG_RUNAS=postgres
  if ! id postgres >/dev/null 2>&1; then
    log "creating the postgres OS user"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
fi
TASKER_PG_CLUSTER=$(mktemp -d "$STATE_ROOT/cluster.XXXXXX")
chmod 755 "$TASKER_PG_CLUSTER"
TASKER_PG_DATADIR="$TASKER_PG_CLUSTER/data"
TASKER_PG_SOCKDIR="$TASKER_PG_CLUSTER/sock"
TASKER_PG_LOG="$TASKER_PG_CLUSTER/server.log"
mkdir -p "$TASKER_PG_SOCKDIR"
touch "$TASKER_PG_LOG"
if [[ $TASKER_PG_RUNAS != "$(id -un)" ]]; then
  chown -R "$TASKER_PG_RUNAS" "$TASKER_PG_CLUSTER"
fi

log "initdb $TASKER_PG_DATADIR (as $TASKER_PG_RUNAS)"
as_owner "$TASKER_PG_BINDIR/initdb" -D "$TASKER_PG_DATADIR" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C --no-sync >&2

TASKER_PG_PORT=$(free_port)
log "starting on 127.0.0.1:$TASKER_PG_PORT"
start_server || die "the server on 127.0.0.1:$TASKER_PG_PORT did not start (log: $TASKER_PG_LOG)"

"$TASKER_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TASKER_PG_PORT" -U postgres \
  -d postgres -c "CREATE DATABASE tasker" >&2

DATABASE_URL="postgres://postgres@127.0.0.1:$TASKER_PG_PORT/tasker"

# 4. State for pg-down.sh and pg-ctl.sh (written last: its presence means "this server is up").
{
  printf 'TASKER_PG_CLUSTER=%q\n' "$TASKER_PG_CLUSTER"
  printf 'TASKER_PG_DATADIR=%q\n' "$TASKER_PG_DATADIR"
  printf 'TASKER_PG_SOCKDIR=%q\n' "$TASKER_PG_SOCKDIR"
  printf 'TASKER_PG_LOG=%q\n' "$TASKER_PG_LOG"
  printf 'TASKER_PG_PORT=%q\n' "$TASKER_PG_PORT"
  printf 'TASKER_PG_BINDIR=%q\n' "$TASKER_PG_BINDIR"
  printf 'TASKER_PG_RUNAS=%q\n' "$TASKER_PG_RUNAS"
  printf 'DATABASE_URL=%q\n' "$DATABASE_URL"
  printf 'TASKER_PG_FSYNC=%q\n' "$PG_FSYNC"
} >"$STATE_FILE"
log "state recorded in $STATE_FILE"
echo "DATABASE_URL=$DATABASE_URL" >&3
