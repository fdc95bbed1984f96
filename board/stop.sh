#!/usr/bin/env bash
# Stops the emulated arm64 board: its sshd and every process still running inside its root (ssh sessions, agents).
source "$(dirname "$0")/common.sh"

# Processes whose root directory is the board's root: all of them were started by the board's sshd.
inside() {
  local entry
  for entry in /proc/[0-9]*; do
    [ "$(readlink "$entry/root" 2>/dev/null)" = "$BOARD_ROOT" ] && echo "${entry#/proc/}"
  done
  return 0
}

main() {
  local pids
  pids="$(inside)"
  if [ -z "$pids" ]; then
    say "not running"
  else
    kill $pids 2>/dev/null || true
    for _ in $(seq 20); do
      pids="$(inside)"
      [ -z "$pids" ] && break
      sleep 0.5
    done
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    say "stopped"
  fi
  rm -f "$BOARD_PIDFILE"
}

main "$@"
