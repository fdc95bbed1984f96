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

# sshd runs in a mount namespace of its own, where the root has /proc and /sys: the board's processes see their own
# /proc/self, /proc/stat and the CPU list, and qemu answers /proc/cpuinfo with the emulated CPU's. The mounts go
# when the board's last process ends. QEMU_CPU picks the CPU model for sshd, SetEnv for its sessions, with
# OPENBLAS_NUM_THREADS=1: qemu 10.0 gives user-mode processes a CNTFRQ_EL0 of 0, by which OpenBLAS (numpy's) times
# how long its idle worker threads spin, so they never stop spinning; each agent kept a CPU busy that way. The
# agents do no BLAS work of their own, so numpy loses nothing by having no workers.
BOARD_ENV="QEMU_CPU=$BOARD_CPU OPENBLAS_NUM_THREADS=1"

start_sshd() {
  listening && die "port $BOARD_PORT is taken by another program: set MBENCH_BOARD_PORT and the port of" \
    "devices.yaml's arm64-board entry to a free one"
  : > "$BOARD_LOG"
  QEMU_CPU="$BOARD_CPU" setsid unshare --mount --propagation slave sh -c \
    'mount -t proc proc "$1/proc" && mount --rbind /sys "$1/sys" && exec chroot "$1" /usr/sbin/sshd -D -e \
       -f /etc/mbench-board/sshd_config -p "$2" -o ListenAddress=127.0.0.1 -o SetEnv="$3"' \
    board "$BOARD_ROOT" "$BOARD_PORT" "$BOARD_ENV" >> "$BOARD_LOG" 2>&1 < /dev/null &
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
    "PYTHONPATH=$BOARD_SRC $BOARD_VENV/bin/python -c 'import platform, mbench; print(platform.machine(), \"Python\", platform.python_version(), end=\" \")'; echo \"on qemu's \$QEMU_CPU\""
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
