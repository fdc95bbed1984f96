"""Running a device tool (adb, ssh, scp, xcodebuild) from an argument list, with its failure as one message.

Every process mbench starts (tools and agents) dies with it: on Linux the child asks the kernel for SIGKILL when
its parent dies (prctl PR_SET_PDEATHSIG), so even ``kill -9`` of mbench takes it along. An agent does that itself
(``--parent-pid``); a tool is started through a small Python shim that does it and then execs the tool (a
``preexec_fn`` would do the same, but is unsafe in a process with threads). The kernel sends that signal when the
thread that started the child ends, even while mbench lives on: a child started from a worker thread must not
outlive it. The agent in serve mode also exits when its command pipe closes (the other platforms' guard)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from mbench.errors import MBenchError

PR_SET_PDEATHSIG = 1


class DeviceError(MBenchError, RuntimeError):
    """The device or its tool failed; the message is the tool's own words (unreachable, timeout, no space...), and
    ``returncode`` the tool's exit status where it exited."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


# sshd drops new connections past its MaxStartups (default 10:30:100: 30 % of them once 10 are still
# authenticating), which a profile reaches when it starts many agents on one machine at once: ssh then exits 255
# (its own failure: nothing ran there) saying "kex_exchange_identification: read: Connection reset by peer". Such a
# call is made again, up to CONNECT_ATTEMPTS times in all; a refused or timed-out connection (a host that is down)
# is not.
SSH_FAILED = 255
SSH_DROPPED = ("kex_exchange_identification", "Connection reset by", "Connection closed by")
CONNECT_ATTEMPTS = 3


def dropped_by_sshd(returncode: int | None, message: str) -> bool:
    return returncode == SSH_FAILED and any(sign in message for sign in SSH_DROPPED)


def connect_attempts() -> Iterator[bool]:
    """The tries of one ssh connection, CONNECT_ATTEMPTS in all, each after a longer pause than the one before (the
    other connections' handshakes need the time to finish); yields whether this try is the last."""
    for attempt in range(CONNECT_ATTEMPTS):
        if attempt:
            time.sleep(0.5 * attempt)
        yield attempt == CONNECT_ATTEMPTS - 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask for SIGKILL when the parent process dies (Linux; a no-op elsewhere). If the parent is already gone
    (``parent_pid`` given and no longer our parent), exit at once."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


_SHIM = (
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0); "
    "os.getppid() == int(sys.argv[1]) or os._exit(1); os.execvp(sys.argv[2], sys.argv[2:])"
)


def guarded(argv: list[str]) -> list[str]:
    """``argv`` started so that it dies with this process (Linux); unchanged elsewhere. A missing tool raises
    FileNotFoundError here, as subprocess would."""
    if not sys.platform.startswith("linux"):
        return argv
    if shutil.which(argv[0]) is None:
        raise FileNotFoundError(argv[0])
    return [sys.executable, "-c", _SHIM, str(os.getpid()), *argv]


def run_tool(argv: list[str], timeout_s: float, what: str, cwd: str | None = None) -> str:
    """stdout of ``argv``; a missing tool, a timeout or a non-zero exit raises DeviceError naming ``what``."""
    try:
        done = subprocess.run(guarded(argv), capture_output=True, text=True, timeout=timeout_s, cwd=cwd)
    except FileNotFoundError:
        raise DeviceError(f"{what}: {argv[0]!r} not found (install it or put it on PATH)") from None
    except subprocess.TimeoutExpired:
        raise DeviceError(f"{what}: timed out after {timeout_s:.0f} s (timeout_s in the inventory)") from None
    if done.returncode != 0:
        raise DeviceError(f"{what}: exited {done.returncode}: {tail(done.stderr or done.stdout)}", done.returncode)
    return done.stdout


def tail(text: str, lines: int = 4) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[:500] or "(no output)"
