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
QEMU_DIR="$BOARD_DIR/qemu"                                 # qemu-aarch64 from bookworm-backports (build.sh)
QEMU="$QEMU_DIR/aarch64-binfmt-P"                          # the name tells qemu to take argv[0] from binfmt (P flag)
# The CPU qemu emulates for every process on the board: a Raspberry Pi 5's core. qemu's default (`max`) has SVE2 and
# SME, which no such board has, and the runtimes' kernels for them ran 2-6x slower under emulation.
BOARD_CPU=cortex-a76

say() { printf 'board: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and binfmt_misc); run it as root or with sudo"
}

# qemu-aarch64 registered with binfmt_misc, so the kernel runs the root's arm64 binaries (sshd's children too): the
# board's own qemu (build.sh), in place of any other registration of aarch64 (Debian's qemu-user-static 7.2 among
# them). The F flag in qemu's registration line opens the interpreter now, so it works inside the chroot.
register_binfmt() {
  [ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT" \
    || die "cannot mount binfmt_misc at $BINFMT (a container needs --privileged for it)"
  [ -x "$QEMU" ] || die "$QEMU missing: board/build.sh fetches it"
  if [ -e "$BINFMT/qemu-aarch64" ] && ! grep -qx "interpreter $QEMU" "$BINFMT/qemu-aarch64"; then
    echo -1 > "$BINFMT/qemu-aarch64"
  fi
  [ -e "$BINFMT/qemu-aarch64" ] || cat "$QEMU_DIR/binfmt.conf" > "$BINFMT/register"
  [ "$(head -1 "$BINFMT/qemu-aarch64")" = enabled ] || echo 1 > "$BINFMT/qemu-aarch64"
}

# The pid of the board's sshd, if it runs.
running_pid() {
  local pid
  [ -f "$BOARD_PIDFILE" ] && pid="$(cat "$BOARD_PIDFILE")" && kill -0 "$pid" 2>/dev/null \
    && [ "$(readlink "/proc/$pid/root")" = "$BOARD_ROOT" ] && echo "$pid"
}
