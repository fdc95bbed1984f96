#!/usr/bin/env bash
# Builds the emulated arm64 board once: a Debian bookworm arm64 root (debootstrap, run through qemu-user-static),
# a Python 3.11 venv in it with the aarch64 runtimes, and the SSH keys. Each stage is redone only when its inputs
# change (the suite and packages; the wheel lists), so a second run returns at once.
#   PIP="python -m pip" bash board/build.sh
source "$(dirname "$0")/common.sh"
PIP="${PIP:-python3 -m pip}"
SUITE=bookworm
PACKAGES=python3,python3-venv,openssh-server
DEBIAN_STAMP="$BOARD_ROOT/.mbench-debian"
VENV_STAMP="$BOARD_ROOT$BOARD_VENV/.mbench-wheels"
WHEEL_LISTS=("$BOARD_HERE/wheels-aarch64.txt")
[ "${MBENCH_BOARD_EXECUTORCH:-0}" = 1 ] && WHEEL_LISTS+=("$BOARD_HERE/wheels-executorch.txt")

stamped() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

host_tools() {
  command -v debootstrap >/dev/null && [ -x /usr/bin/qemu-aarch64-static ] && return
  say "installing qemu-user-static and debootstrap"
  apt-get update -qq && apt-get install -y -qq qemu-user-static debootstrap >/dev/null
}

# The Debian mirror this machine's apt uses (debootstrap's own default where none is found).
mirror() {
  grep -hoE '^(URIs:|deb) +[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
    2>/dev/null | awk '{print $2}' | head -1 || true
}

debian_root() {
  local partial="$BOARD_ROOT.partial" wanted="$SUITE $PACKAGES"
  stamped "$DEBIAN_STAMP" "$wanted" && return
  [ -z "$(running_pid)" ] || die "the board runs on the root this build replaces: make board-stop first"
  rm -rf "$partial" "$BOARD_ROOT"
  say "debootstrap $SUITE arm64 (minbase, $PACKAGES) into $BOARD_ROOT"
  debootstrap --arch=arm64 --variant=minbase --include="$PACKAGES" "$SUITE" "$partial" $(mirror) \
    > "$BOARD_DIR/debootstrap.log" 2>&1 || die "debootstrap failed; see $BOARD_DIR/debootstrap.log"
  echo "$wanted" > "$partial/.mbench-debian"
  mv "$partial" "$BOARD_ROOT"
}

# The venv is made by the board's python; the wheels are unpacked into it by this machine's pip (the same files a
# pip on the board would unpack, without running pip under emulation).
venv_with_runtimes() {
  local site="$BOARD_ROOT$BOARD_VENV/lib/python3.11/site-packages" wheels="$BOARD_DIR/wheels" list wanted
  wanted="$(cat "${WHEEL_LISTS[@]}" | sha256sum | cut -c1-16)"
  stamped "$VENV_STAMP" "$wanted" && return
  [ -z "$(running_pid)" ] || die "the board runs on the venv this build replaces: make board-stop first"
  rm -rf "$BOARD_ROOT$BOARD_VENV"
  chroot "$BOARD_ROOT" /usr/bin/python3 -m venv --without-pip "$BOARD_VENV"
  local target=(--platform manylinux_2_28_aarch64 --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64
                --python-version 3.11 --implementation cp --abi cp311 --only-binary=:all:)
  for list in "${WHEEL_LISTS[@]}"; do
    say "aarch64 wheels: $(grep -v '^#' "$list" | grep -v -- '^--' | xargs)"
    $PIP download -qq --dest "$wheels" "${target[@]}" -r "$list"
    $PIP install -qq --no-warn-conflicts --no-index --find-links "$wheels" --target "$site" --upgrade "${target[@]}" \
      -r "$list"
  done
  echo "$wanted" > "$VENV_STAMP"
}

# The board's host key and the user key the inventory names (made here, natively: faster than under emulation).
keys() {
  mkdir -p "$BOARD_SSH" "$BOARD_ROOT/root/.ssh"
  [ -f "$BOARD_ROOT/etc/ssh/ssh_host_ed25519_key" ] \
    || ssh-keygen -q -t ed25519 -N "" -C arm64-board -f "$BOARD_ROOT/etc/ssh/ssh_host_ed25519_key"
  [ -f "$BOARD_SSH/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C mbench-board-user -f "$BOARD_SSH/id_ed25519"
  cp "$BOARD_SSH/id_ed25519.pub" "$BOARD_ROOT/root/.ssh/authorized_keys"
  chmod 700 "$BOARD_ROOT/root/.ssh"
  chmod 600 "$BOARD_ROOT/root/.ssh/authorized_keys"
  mkdir -p "$BOARD_ROOT/run/sshd" "$BOARD_ROOT/etc/mbench-board"
  cp "$BOARD_HERE/sshd_config" "$BOARD_ROOT/etc/mbench-board/sshd_config"
}

main() {
  require_root
  host_tools
  register_binfmt
  mkdir -p "$BOARD_DIR"
  debian_root
  venv_with_runtimes
  keys
  say "root ready: $BOARD_ROOT"
}

main "$@"
