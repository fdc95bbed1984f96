# Paths and helpers shared by the board's scripts (sourced, not run).
# The board: an arm64 Debian root run through qemu-user-static (binfmt_misc), with its own sshd on loopback.
set -euo pipefail

BOARD_DIR="${MBENCH_BOARD_DIR:-/var/cache/mbench-board}"   # root, wheels and keys; kept between builds
BOARD_PORT="${MBENCH_BOARD_PORT:-2222}"                    # devices.yaml's arm64-board entry names this port
BOARD_ROOT="$BOARD_DIR/root"
BOARD_SSH="$BOARD_DIR/ssh"                                 # the user key and known_hosts the inventory points at
BOARD_VENV=/opt/mbench/venv                                # inside the root
BOARD_SRC=/opt/mbench/src                                  # inside the root: a copy of the checkout's mbench
BOARD_PIDFILE="$BOARD_DIR/sshd.pid"
BOARD_LOG="$BOARD_DIR/sshd.log"
BOARD_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BINFMT=/proc/sys/fs/binfmt_misc

say() { printf 'board: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and binfmt_misc); run it as root or with sudo"
}

# qemu-aarch64 registered with binfmt_misc, so the kernel runs the root's arm64 binaries (sshd's children too).
# The F flag in Debian's registration line opens the interpreter now, so it works inside the chroot.
register_binfmt() {
  [ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT" \
    || die "cannot mount binfmt_misc at $BINFMT (a container needs --privileged for it)"
  if [ ! -e "$BINFMT/qemu-aarch64" ]; then
    local line
    line="$(grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf | head -1)" \
      || die "/usr/lib/binfmt.d/qemu-aarch64.conf missing (apt-get install qemu-user-static)"
    printf '%s' "$line" > "$BINFMT/register"
  fi
  [ "$(head -1 "$BINFMT/qemu-aarch64")" = enabled ] || echo 1 > "$BINFMT/qemu-aarch64"
}

# The pid of the board's sshd, if it runs.
running_pid() {
  local pid
  [ -f "$BOARD_PIDFILE" ] && pid="$(cat "$BOARD_PIDFILE")" && kill -0 "$pid" 2>/dev/null \
    && [ "$(readlink "/proc/$pid/root")" = "$BOARD_ROOT" ] && echo "$pid"
}
