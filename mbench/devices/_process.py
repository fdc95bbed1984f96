"""Running a device tool (adb, ssh, scp, xcodebuild) from an argument list, with its failure as one message."""
from __future__ import annotations

import subprocess


class DeviceError(RuntimeError):
    """The device or its tool failed; the message is the tool's own words (unreachable, timeout, no space...)."""


def run_tool(argv: list[str], timeout_s: float, what: str, cwd: str | None = None) -> str:
    """stdout of ``argv``; a missing tool, a timeout or a non-zero exit raises DeviceError naming ``what``."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, cwd=cwd)
    except FileNotFoundError:
        raise DeviceError(f"{what}: {argv[0]!r} not found (install it or put it on PATH)") from None
    except subprocess.TimeoutExpired:
        raise DeviceError(f"{what}: timed out after {timeout_s:.0f} s (timeout_s in the inventory)") from None
    if done.returncode != 0:
        raise DeviceError(f"{what}: exited {done.returncode}: {tail(done.stderr or done.stdout)}")
    return done.stdout


def tail(text: str, lines: int = 4) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[:500] or "(no output)"
