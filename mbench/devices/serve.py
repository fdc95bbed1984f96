"""The agent's serve mode: one artifact kept loaded and warm, timed in short bursts on command, so that several
artifacts on one machine can be measured in interleaved rounds.

    python -m mbench.devices.serve [--parent-pid PID]

One JSON command per line on stdin, one JSON reply per line on stdout (anything a library prints goes to stderr):
    {"do": "runtime", "manifest": PATH, "compute_units": ""}   -> runtime, runtime_version (imported, before load)
    {"do": "load", "manifest": PATH, "threads": N, "compute_units": "", "cpus": [1]}  -> runtime, load_ms, first_ms
    {"do": "warmup", "plan": {RunPlan fields}}                                       -> warmup_ms
    {"do": "pin", "cpus": [1]}             -> cpus (every thread of the agent moved there, for an agent that
                                              loaded and warmed up unpinned beside others: rounds.py)
    {"do": "burst", "seconds": 0.1}        -> wall_ms, cpu_ms, wait_ms, t (epoch seconds at each run's start),
                                              kernel (what /proc said about contention around the burst: the
                                              CPUs beside the agent's among them, and the minor page faults
                                              per timed run)
    {"do": "close"}                        -> peak_rss_bytes, environment
A reply has "ok": true, or "ok": false with "status" (failed or not_run) and "error". The agent exits when its
parent dies or stdin closes.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time

from mbench.devices.agent import _peak_rss_bytes, _runner, keep_freed_memory, machine_state
from mbench.measure import RunPlan, _warm_up


def _run_queue_wait_ns() -> int | None:
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


ACTIONS = ("runtime", "load", "warmup", "pin", "burst", "close")


class Server:
    def __init__(self) -> None:
        self.runner, self.inputs = None, None
        # the CPUs mbench may use, as inherited: those the agent is not pinned to are its neighbours (kernel_view)
        self.allowed = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()

    def runtime(self, manifest: str, compute_units: str = "") -> dict:
        """The artifact's runtime chosen and imported ahead of 'load' (importing torch takes 1.5 s): agents can do
        this side by side, since nothing is timed yet, and then load one at a time (rounds.py)."""
        from mbench.artifacts import read_manifest

        self.runner = _runner(read_manifest(manifest).format, compute_units)
        return dict(runtime=self.runner.name, runtime_version=self.runner.version())

    def load(self, manifest: str, threads: int, compute_units: str = "", cpus: list[int] | None = None) -> dict:
        from mbench.artifacts import read_manifest
        from mbench.runners.base import seeded_inputs
        from mbench.spec import Format

        if cpus and hasattr(os, "sched_setaffinity"):
            self.pin(cpus)  # before the runtime starts threads of its own, which inherit the set
        placed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        artifact = read_manifest(manifest)
        self.runner = self.runner or _runner(artifact.format, compute_units)
        self.inputs = seeded_inputs(artifact.inputs, seed=1)
        reply = dict(runtime=self.runner.name, runtime_version=self.runner.version(), cpus=placed,
                     compute_units=compute_units if artifact.format is Format.COREML else "",
                     environment={**machine_state("before"), "allocator": keep_freed_memory()},
                     rss_before_load_bytes=_peak_rss_bytes())
        started = time.perf_counter()
        self.runner.load(artifact, threads)
        reply["load_ms"] = (time.perf_counter() - started) * 1e3
        started = time.perf_counter()
        self.runner.run(self.inputs)
        reply["first_ms"] = (time.perf_counter() - started) * 1e3
        return reply

    def warmup(self, plan: dict) -> dict:
        return {"warmup_ms": _warm_up(lambda: self.runner.run(self.inputs), RunPlan(**plan))}

    def pin(self, cpus: list[int]) -> dict:
        """Every thread of this process onto ``cpus``, threads it starts later inheriting them: numpy's BLAS pool,
        started at import, would otherwise stay unpinned."""
        for task in os.listdir("/proc/self/task"):
            try:
                os.sched_setaffinity(int(task), cpus)
            except ProcessLookupError:  # a thread that ended meanwhile
                pass
        return {"cpus": sorted(os.sched_getaffinity(0))}

    def burst(self, seconds: float, runs: int = 1) -> dict:
        wall, cpu, wait, starts = [], [], [], []
        neighbours = self.allowed - set(os.sched_getaffinity(0)) if self.allowed else frozenset()
        before, begun = kernel_view(neighbours), time.perf_counter()
        self.runner.run(self.inputs)  # untimed re-warm: another artifact just had the CPUs (caches, thread pools)
        rewarm_ms = (time.perf_counter() - begun) * 1e3
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        while len(wall) < runs or time.perf_counter() - begun < seconds:
            waited, c0, starts_at, t0 = _run_queue_wait_ns(), time.process_time_ns(), time.time(), time.perf_counter_ns()
            self.runner.run(self.inputs)
            t1, c1, waited_after = time.perf_counter_ns(), time.process_time_ns(), _run_queue_wait_ns()
            wall.append((t1 - t0) / 1e6)
            cpu.append((c1 - c0) / 1e6)
            starts.append(starts_at)
            if waited is not None and waited_after is not None:
                wait.append((waited_after - waited) / 1e6)
        kernel = contention(before, kernel_view(neighbours), time.perf_counter() - begun)
        kernel["faults_per_run"] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / len(wall)
        return dict(wall_ms=wall, cpu_ms=cpu, wait_ms=wait if len(wait) == len(wall) else [], t=starts, kernel=kernel,
                    rewarm_ms=rewarm_ms)

    def close(self) -> dict:
        if self.runner is not None:
            self.runner.close()
        return dict(peak_rss_bytes=_peak_rss_bytes(), environment=machine_state("after"))


def serve(parent_pid: int | None = None) -> int:
    """Answer commands until 'close' or the end of stdin; replies go to the real stdout, prints to stderr."""
    from mbench.devices._process import die_with_parent
    from mbench.runners.base import NotRunnableHere

    if parent_pid:
        die_with_parent(parent_pid)
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    server = Server()
    for line in sys.stdin:
        command = json.loads(line)
        action = command.pop("do", "")
        try:
            if action not in ACTIONS:
                raise ValueError(f"unknown command {action!r}; expected one of {', '.join(ACTIONS)}")
            reply = {"ok": True, **getattr(server, action)(**command)}
        except NotRunnableHere as reason:
            reply = {"ok": False, "status": "not_run", "error": str(reason)}
        except Exception as error:  # noqa: BLE001  (the caller turns it into a failed row)
            reply = {"ok": False, "status": "failed", "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if action == "close":
            break
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mbench.devices.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parent-pid", type=int, help="die with this process (Linux); exit at once if it is gone")
    sys.exit(serve(parser.parse_args().parent_pid))
