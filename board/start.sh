#!/usr/bin/env bash
# Starts the emulated arm64 board (building it first if needed): the root's own sshd, run through qemu-user on
# 127.0.0.1:$MBENCH_BOARD_PORT, with a fresh copy of this checkout's mbench package for the agent. Idempotent: a
# running board keeps running (its mbench copy is refreshed).
source "$(dirname "$0")/common.sh"

copy_mbench() {
  local checkout partial="$BOARD_ROOT$BOARD_SRC.partial"
  checkout="$(cd "$BOARD_HERE/.." && pwd)"
  rm -rf "$partial" && mkdir -p "$partial"
  tar -C "$checkout" --exclude=__pycache__ -cf - mbench | tar -C "$partial" -xf -
  rm -rf "$BOARD_ROOT$BOARD_SRC" && mv "$partial" "$BOARD_ROOT$BOARD_SRC"
}

known_hosts() {
  printf '[127.0.0.1]:%s %s\n' "$BOARD_PORT" "$(cut -d' ' -f1,2 "$BOARD_ROOT/etc/ssh/ssh_host_ed25519_key.pub")" \
    > "$BOARD_SSH/known_hosts"
}

listening() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$BOARD_PORT" 2>/dev/null; }

start_sshd() {
  listening && die "port $BOARD_PORT is taken by another program: set MBENCH_BOARD_PORT and the port of" \
    "devices.yaml's arm64-board entry to a free one"
  : > "$BOARD_LOG"
  setsid chroot "$BOARD_ROOT" /usr/sbin/sshd -D -e -f /etc/mbench-board/sshd_config -p "$BOARD_PORT" \
    -o ListenAddress=127.0.0.1 >> "$BOARD_LOG" 2>&1 < /dev/null &
  echo $! > "$BOARD_PIDFILE"
  for _ in $(seq 120); do
    listening && return
    kill -0 "$(cat "$BOARD_PIDFILE")" 2>/dev/null || die "sshd exited: $(tail -3 "$BOARD_LOG")"
    sleep 0.5
  done
  die "sshd did not listen on 127.0.0.1:$BOARD_PORT within 60 s: $(tail -3 "$BOARD_LOG")"
}

answer() {
  ssh -o BatchMode=yes -o IdentitiesOnly=yes -i "$BOARD_SSH/id_ed25519" -o UserKnownHostsFile="$BOARD_SSH/known_hosts" \
    -o StrictHostKeyChecking=yes -p "$BOARD_PORT" root@127.0.0.1 -- \
    "PYTHONPATH=$BOARD_SRC $BOARD_VENV/bin/python -c 'import platform, mbench; print(platform.machine(), \"Python\", platform.python_version())'"
}

main() {
  require_root
  bash "$BOARD_HERE/build.sh"
  register_binfmt
  copy_mbench
  if [ -n "$(running_pid)" ]; then
    say "already running on 127.0.0.1:$BOARD_PORT (mbench copy refreshed)"
    return
  fi
  known_hosts
  start_sshd
  say "running on 127.0.0.1:$BOARD_PORT (sshd pid $(cat "$BOARD_PIDFILE")): $(answer)"
}

main "$@"
