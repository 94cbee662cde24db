#!/usr/bin/env bash
# Controls the server that scripts/pg-up.sh started, e.g. to simulate a database outage:
#
#   bash scripts/pg-ctl.sh stop [fast|immediate]   # stop it (default mode: fast)
#   bash scripts/pg-ctl.sh start                   # start it again on the same port and data
#   bash scripts/pg-ctl.sh restart
#   bash scripts/pg-ctl.sh status                  # exit 0 when running, 3 when stopped
#
# PostgreSQL refuses to run as root, so as root the commands run as the cluster's owner
# (TASKER_PG_RUNAS in the state file ${TMPDIR:-/tmp}/deno-tasker-pg/state).
set -euo pipefail

STATE_FILE="${TMPDIR:-/tmp}/deno-tasker-pg/state"
if [[ ! -f $STATE_FILE ]]; then
  echo "pg-ctl: no server recorded in $STATE_FILE (run scripts/pg-up.sh first)" >&2
  exit 2
fi
# shellcheck disable=SC1090
source "$STATE_FILE"

as_owner() {
  if [[ $TASKER_PG_RUNAS == "$(id -un)" ]]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$TASKER_PG_RUNAS" -- "$@"
  else
    su "$TASKER_PG_RUNAS" -s /bin/bash -c "$(printf '%q ' "$@")"
  fi
}

pg_ctl_() { as_owner "$TASKER_PG_BINDIR/pg_ctl" -D "$TASKER_PG_DATADIR" "$@"; }

# The server must not inherit a caller's extra descriptors (a pipe would never see EOF).
start() {
  pg_ctl_ -l "$TASKER_PG_LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $TASKER_PG_PORT -k $TASKER_PG_SOCKDIR -c fsync=off" \
    start >&2 3>&- 9>&-
}

stop() {
  local mode=${1:-fast}
  case $mode in
    fast | immediate | smart) ;;
    *)
      echo "pg-ctl: unknown stop mode '$mode' (fast, immediate or smart)" >&2
      exit 2
      ;;
  esac
  if pg_ctl_ status >/dev/null 2>&1; then
    pg_ctl_ -m "$mode" -w -t 60 stop >&2
  else
    echo "pg-ctl: server is not running" >&2
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop "${2:-fast}" ;;
  restart)
    stop fast
    start
    ;;
  status) pg_ctl_ status ;;
  *)
    echo "usage: pg-ctl.sh start | stop [fast|immediate] | restart | status" >&2
    exit 2
    ;;
esac
