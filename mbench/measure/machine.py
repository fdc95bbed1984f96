"""What the operating system says about the agent's process and machine: peak memory, the allocator's setting,
the CPU and its load, and contention around each burst (steal, run-queue wait, pressure, busy neighbours)."""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import sys

from mbench.host import cpu_features, cpu_model

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc mallopt parameters (malloc.h)


def peak_rss_bytes() -> int:
    """This process's high-water resident memory. On Linux VmHWM, since ru_maxrss survives fork+exec and would
    report the parent's peak; elsewhere ru_maxrss (bytes on macOS)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def keep_freed_memory() -> str:
    """Ask the C allocator to keep what one run frees for the next run, as the mobile runtimes' planned arenas do;
    returns what was set, for the row's details.

    With glibc's defaults a large tensor may be mmapped and handed back to the kernel at every free, then faulted
    in again page by page in the next run; whether it is depends on the dynamic mmap threshold, i.e. on the
    allocations the process happened to make first, so two agent processes of one PyTorch artifact could differ by
    a third (benchmarks/RESULTS.md). With mmap and trimming off no run faults, whatever came first. ONNX Runtime and
    LiteRT keep arenas of their own. PyTorch's CPU performance tuning guide makes the same point about memory reuse
    when it recommends jemalloc or TCMalloc."""
    try:
        libc = ctypes.CDLL(None)
        kept = libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1
    except (OSError, AttributeError):
        return "system default (no mallopt here)"
    return (
        "glibc, freed memory kept for the next run (M_MMAP_MAX 0, M_TRIM_THRESHOLD 2 GiB)"
        if kept
        else "system default (mallopt refused)"
    )


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def machine_state(when: str) -> dict:
    """What can make a number differ between runs: the CPU, its governor and clock, and the load around the run."""
    state: dict[str, str | float | None] = {
        f"load_1min_{when}": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    }
    if when == "before":
        state.update(
            cpu_model=cpu_model(),
            cpu_features=cpu_features(),
            cpu_count=os.cpu_count(),
            platform=platform.platform(),
            python=platform.python_version(),
            governor=_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") or "not readable",
            cpu_mhz=_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq") or "not readable",
        )
    return state


def run_queue_wait_ns() -> int | None:
    """Time all this process's threads spent runnable but not running (Linux schedstat), or None."""
    total = 0
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/schedstat") as f:
                total += int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return total


def kernel_view(neighbours: frozenset[int] = frozenset()) -> dict:
    """Contention as the kernel counts it: CPU ticks (total, steal), runnable tasks, load and CPU pressure; and the
    ticks of the CPUs ``neighbours`` (all, and busy: neither idle nor waiting on I/O)."""
    view: dict = {}
    try:
        with open("/proc/stat") as f:
            for line in f:
                name, *fields = line.split() or [""]
                if name == "cpu":
                    ticks = [int(x) for x in fields]
                    view["ticks"], view["steal_ticks"] = sum(ticks), ticks[7] if len(ticks) > 7 else 0
                elif name.startswith("cpu") and neighbours and int(name[3:]) in neighbours:
                    ticks = [int(x) for x in fields[:8]]  # user .. steal; guest time is in user already
                    view["neighbour_ticks"] = view.get("neighbour_ticks", 0) + sum(ticks)
                    view["neighbour_busy_ticks"] = view.get("neighbour_busy_ticks", 0) + sum(ticks) - sum(ticks[3:5])
                elif name == "procs_running":
                    view["procs_running"] = int(fields[0])
        with open("/proc/loadavg") as f:
            view["load_1min"] = float(f.read().split()[0])
        with open("/proc/pressure/cpu") as f:
            view["psi_some_us"] = int(f.readline().rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        pass
    return view


def contention(before: dict, after: dict, seconds: float) -> dict:
    """Per burst: steal share of all CPU ticks, runnable tasks, load and the share of time some task waited for
    a CPU (PSI), from two kernel views; keys missing where the kernel does not say."""
    seen = {"procs_running": after.get("procs_running"), "load_1min": after.get("load_1min")}
    if "ticks" in before and "ticks" in after and after["ticks"] > before["ticks"]:
        seen["steal_share"] = (after["steal_ticks"] - before["steal_ticks"]) / (after["ticks"] - before["ticks"])
    if "psi_some_us" in before and "psi_some_us" in after and seconds > 0:
        seen["psi_some_share"] = min((after["psi_some_us"] - before["psi_some_us"]) / (seconds * 1e6), 1.0)
    for name in ("neighbour_ticks", "neighbour_busy_ticks"):  # summed over bursts: estimate.neighbour_busy
        if name in before and name in after:
            seen[name] = after[name] - before[name]
    return {k: v for k, v in seen.items() if v is not None}
