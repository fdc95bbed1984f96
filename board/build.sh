#!/usr/bin/env bash
# Builds the emulated arm64 board once: qemu-aarch64 (qemu-user from bookworm-backports), a Debian bookworm arm64
# root (debootstrap, run through that qemu), a Python 3.11 venv in it with the aarch64 runtimes, and the SSH keys.
# Each stage is redone only when its inputs change (the suite and packages; the wheel lists), so a second run returns
# at once. MBENCH_BOARD_EXECUTORCH=0 leaves ExecuTorch (and torch's 2.8 GB of aarch64 wheels) out.
#   PIP="python -m pip" bash board/build.sh
source "$(dirname "$0")/common.sh"
PIP="${PIP:-python3 -m pip}"
SUITE=bookworm
PACKAGES=python3,python3-venv,openssh-server
DEBIAN_STAMP="$BOARD_ROOT/.mbench-debian"
VENV_STAMP="$BOARD_ROOT$BOARD_VENV/.mbench-wheels"
WHEEL_LISTS=("$BOARD_HERE/wheels-aarch64.txt")
[ "${MBENCH_BOARD_EXECUTORCH:-1}" = 1 ] && WHEEL_LISTS+=("$BOARD_HERE/wheels-executorch.txt")

stamped() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

host_tools() {
  command -v debootstrap >/dev/null && command -v unshare >/dev/null && return
  say "installing debootstrap"
  apt-get update -qq && apt-get install -y -qq debootstrap util-linux >/dev/null
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
  # an interrupted debootstrap leaves its /proc mounted in the partial root: unmounted before it is removed
  awk -v root="$partial/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$partial" "$BOARD_ROOT"
  say "debootstrap $SUITE arm64 (minbase, $PACKAGES) into $BOARD_ROOT"
  debootstrap --arch=arm64 --variant=minbase --include="$PACKAGES" "$SUITE" "$partial" $(mirror) \
    > "$BOARD_DIR/debootstrap.log" 2>&1 || die "debootstrap failed; see $BOARD_DIR/debootstrap.log"
  echo "$wanted" > "$partial/.mbench-debian"
  mv "$partial" "$BOARD_ROOT"
}

# qemu-aarch64 from Debian's bookworm-backports (10.0 when written), unpacked under $BOARD_DIR: bookworm's own 7.2
# gives an arm64 process no /proc/cpuinfo of its CPU (8.1 added that), without which cpuinfo, and so XNNPACK in
# ExecuTorch and LiteRT, refuses to start. Fetched by apt with lists of its own, so this machine's sources and
# packages stay as they are.
board_qemu() {
  local apt="$QEMU_DIR/apt" conf
  [ -x "$QEMU" ] && [ -s "$QEMU_DIR/binfmt.conf" ] && return
  say "qemu-user from bookworm-backports into $QEMU_DIR"
  rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/deb"
  echo "deb $(mirror | grep . || echo http://deb.debian.org/debian) bookworm-backports main" > "$apt/sources.list"
  local opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o Dir::State::Lists="$apt/lists" -o Dir::Cache::Archives="$apt/archives" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq || die "apt-get update of bookworm-backports failed"
  (cd "$apt/deb" && apt-get "${opts[@]}" download -qq qemu-user/bookworm-backports) \
    || die "apt-get download qemu-user/bookworm-backports failed"
  dpkg-deb -x "$apt"/deb/qemu-user_*.deb "$apt/x"
  conf="$(grep -v '^#' "$apt/x/usr/share/qemu/binfmt.d/qemu-aarch64.conf" | head -1)"
  install -m 755 "$apt/x/usr/bin/qemu-aarch64" "$QEMU"
  printf '%s' "${conf%:*:*}:$QEMU:${conf##*:}" > "$QEMU_DIR/binfmt.conf"   # the same line, naming this copy
  basename "$apt"/deb/qemu-user_*.deb > "$QEMU_DIR/version"
  rm -rf "$apt/x" "$apt/archives"
}

# The wheel lists' requirements without their comments: all of them, those whose comment has the mark `$1`, or (with
# `-v`) all but those.
requirements() {
  local lines
  lines="$(cat "${WHEEL_LISTS[@]}" | grep -v '^ *#' | grep -v '^ *$')"
  case "${1:-}" in
    "") echo "$lines" ;;
    -v) echo "$lines" | grep -v -- "# *$2" ;;
    *) echo "$lines" | grep -- "# *$1" ;;
  esac | sed 's/ *#.*//'
}

# The venv is made by the board's python; the wheels are unpacked into it by this machine's pip (the same files a
# pip on the board would unpack, without running pip under emulation). pip's --platform takes exact tags, so every
# tag the board's glibc (2.36) accepts is named: a wheel tagged manylinux_2_27 only is not found under 2_28.
# A list's `sdist` lines are pure-Python requirements published only as source: their wheels are built here first.
# Its `no-deps` lines are unpacked without their requirements (those are listed beside them).
venv_with_runtimes() {
  local site="$BOARD_ROOT$BOARD_VENV/lib/python3.11/site-packages" wheels="$BOARD_DIR/wheels" wanted glibc
  local target=(--python-version 3.11 --implementation cp --abi cp311 --only-binary=:all:)
  wanted="$(cat "${WHEEL_LISTS[@]}" | sha256sum | cut -c1-16)"
  stamped "$VENV_STAMP" "$wanted" && return
  [ -z "$(running_pid)" ] || die "the board runs on the venv this build replaces: make board-stop first"
  rm -rf "$BOARD_ROOT$BOARD_VENV"
  chroot "$BOARD_ROOT" /usr/bin/python3 -m venv --without-pip "$BOARD_VENV"
  for glibc in $(seq 36 -1 17); do target+=(--platform "manylinux_2_${glibc}_aarch64"); done
  target+=(--platform manylinux2014_aarch64)
  say "aarch64 wheels: $(requirements | xargs)"
  mkdir -p "$wheels"
  requirements sdist > "$BOARD_DIR/sdist.txt" || true
  requirements -v no-deps > "$BOARD_DIR/resolved.txt"
  requirements no-deps > "$BOARD_DIR/no-deps.txt" || true
  [ ! -s "$BOARD_DIR/sdist.txt" ] || $PIP wheel -qq --no-deps --wheel-dir "$wheels" -r "$BOARD_DIR/sdist.txt"
  $PIP download -qq --dest "$wheels" --find-links "$wheels" "${target[@]}" -r "$BOARD_DIR/resolved.txt"
  $PIP install -qq --no-warn-conflicts --no-index --find-links "$wheels" --target "$site" "${target[@]}" \
    -r "$BOARD_DIR/resolved.txt"
  if [ -s "$BOARD_DIR/no-deps.txt" ]; then
    $PIP download -qq --no-deps --dest "$wheels" "${target[@]}" -r "$BOARD_DIR/no-deps.txt"
    $PIP install -qq --no-deps --no-warn-conflicts --no-index --find-links "$wheels" --target "$site" \
      --upgrade "${target[@]}" -r "$BOARD_DIR/no-deps.txt"
  fi
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
  mkdir -p "$BOARD_DIR" "$QEMU_DIR"
  board_qemu
  register_binfmt
  debian_root
  venv_with_runtimes
  keys
  say "root ready: $BOARD_ROOT"
}

main "$@"
