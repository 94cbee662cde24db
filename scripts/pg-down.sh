#!/usr/bin/env bash
# Stops the server that scripts/pg-up.sh started and removes its data directory and state file.
# Idempotent: with no recorded server it says so and exits 0.
set -euo pipefail

STATE_ROOT="${TMPDIR:-/tmp}/deno-tasker-pg"
STATE_FILE="$STATE_ROOT/state"
if command -v flock >/dev/null 2>&1; then
  mkdir -p "$STATE_ROOT"
  exec 9>"$STATE_ROOT/lock"
  flock 9
fi
if [[ ! -f $STATE_FILE ]]; then
  echo "pg-down: no server recorded in $STATE_FILE; nothing to do" >&2
  exit 0
fi
# shellcheck disable=SC1090
source "$STATE_FILE"

bash "$(dirname "$0")/pg-ctl.sh" stop fast || true
case ${TASKER_PG_CLUSTER:-} in
  "$STATE_ROOT"/cluster.*) rm -rf "$TASKER_PG_CLUSTER" ;;
  *) echo "pg-down: not removing unexpected cluster path '${TASKER_PG_CLUSTER:-}'" >&2 ;;
esac
rm -f "$STATE_FILE"
echo "pg-down: stopped and removed the server on 127.0.0.1:${TASKER_PG_PORT:-?}" >&2
