"""The runs of a per-operator pass (mbench.ops), made where the artifact's runtime runs: this process, or an agent on
another machine (agent.py's 'ops'), which sends back what the runtime wrote.

A runner that can profile takes ``profile_dir`` at load and, from ``write_profile``, writes there the profile of
every run since it loaded (ONNX Runtime's trace and the graph it ran, ExecuTorch's ETDump, PyTorch eager's module
times): a ``Recording``. Reading a recording into operators placed in modules is mbench.ops's part, on the machine
that holds the artifact's source graphs.

The pass's runs may meet a busy machine: a run that was clearly descheduled (interference.mark: its CPU share well
below the pass's typical one, or its threads waiting on a run queue) puts a preemption into whichever operator was
running. Operator times are averaged over the runs that were not marked (``PassRuns.kept``; all of them where every
run was marked).
"""

from __future__ import annotations

import base64
import os
import shutil
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol
from collections.abc import Callable, Sequence

from mbench.artifacts import Artifact
from mbench.measure.interference import mark
from mbench.measure.machine import run_queue_wait_ns
from mbench.measure.processes import DeviceError, guarded
from mbench.measure.session import AgentSession
from mbench.measure.timing import RunPlan, setting, warm_up


@dataclass(frozen=True)
class OpsPlan:
    """Runs of the pass: untimed warm-up runs, at least ``warmup_runs`` and ``warmup_seconds`` and until the runs
    settle, by the timed rounds' own rule (timing.warm_up: a fresh process runs slower for its first tenths of a
    second), then ``runs`` profiled ones whose times are averaged."""

    warmup_runs: int = setting(3, "Minimum untimed warm-up runs of the ops pass.", ge=0)
    runs: int = setting(10, "Profiled runs of the ops pass, averaged.", ge=1)
    warmup_seconds: float = setting(
        RunPlan().warmup_seconds, "Minimum warm-up time of the ops pass (it goes on until the runs settle).", ge=0
    )

    def __post_init__(self) -> None:
        if self.warmup_runs < 0 or self.runs < 1 or self.warmup_seconds < 0:
            raise ValueError(
                f"an ops pass needs runs >= 1, warmup_runs >= 0 and warmup_seconds >= 0, got {self.runs}, "
                f"{self.warmup_runs} and {self.warmup_seconds}"
            )

    @property
    def warm_up(self) -> RunPlan:
        """The timed rounds' warm-up rule with this pass's minimums."""
        return RunPlan(warmup_runs=self.warmup_runs, warmup_seconds=self.warmup_seconds)


@dataclass(frozen=True)
class PassRuns:
    """The profiled runs as the process that made them saw them: wall time, CPU time of the process, run-queue
    wait."""

    wall_ms: tuple[float, ...]
    cpu_ms: tuple[float, ...]
    wait_ms: tuple[float, ...] = ()
    cpus: tuple[int, ...] = ()  # the CPUs the process could run on (pinned or not); () where not known

    @property
    def kept(self) -> list[int]:
        """The runs that were not marked as descheduled (all of them where every run was)."""
        marked = mark(list(self.wall_ms), list(self.cpu_ms), list(self.wait_ms))
        return [i for i, m in enumerate(marked) if not m] or list(range(len(self.wall_ms)))

    @property
    def cpu_share(self) -> float | None:
        """The median run's CPU time over its wall time: about the thread count on an idle machine, far less where
        other work took the CPUs for whole runs (which marking, relative to the pass's own typical share, misses);
        None where the runs' CPU time is not known (a tool that times its runs itself)."""
        shares = [c / w for c, w in zip(self.cpu_ms, self.wall_ms) if w > 0]
        return statistics.median(shares) if shares else None

    def mean(self, per_run: Sequence[float]) -> float:
        """The mean of one value per profiled run over the kept runs."""
        kept = self.kept
        return sum(per_run[i] for i in kept) / len(kept)


def profiled_runs(run: Callable[[], None], plan: OpsPlan) -> PassRuns:
    """``run()`` until warm (``OpsPlan``), then ``runs`` times with each run's wall time, CPU time and run-queue
    wait."""
    run()  # the first inference, as 'load' makes it in the timed rounds' agents
    warm_up(run, plan.warm_up)
    wall, cpu, wait = [], [], []
    for _ in range(plan.runs):
        waited, c0, t0 = run_queue_wait_ns(), time.process_time_ns(), time.perf_counter_ns()
        run()
        t1, c1, waited_after = time.perf_counter_ns(), time.process_time_ns(), run_queue_wait_ns()
        wall.append((t1 - t0) / 1e6)
        cpu.append((c1 - c0) / 1e6)
        if waited is not None and waited_after is not None:
            wait.append((waited_after - waited) / 1e6)
    cpus = tuple(sorted(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else ()
    return PassRuns(tuple(wall), tuple(cpu), tuple(wait) if len(wait) == len(wall) else (), cpus)


@dataclass(frozen=True)
class Recording:
    """A pass's runs and the files the runtime wrote of them, in ``folder``."""

    runtime: str
    version: str
    runs: PassRuns
    folder: Path
    files: tuple[str, ...]  # names inside ``folder``

    def path(self, name: str) -> Path:
        if name not in self.files:
            raise RuntimeError(f"the {self.runtime} profile has no {name} (it holds {', '.join(self.files) or 'none'})")
        return self.folder / name

    def as_reply(self) -> dict:
        """The recording as agent.py sends it: the runs, and each file's bytes as base64 text."""
        return dict(
            runtime=self.runtime,
            runtime_version=self.version,
            **{k: list(v) for k, v in asdict(self.runs).items()},
            files={name: base64.b64encode((self.folder / name).read_bytes()).decode() for name in self.files},
        )

    @classmethod
    def from_reply(cls, reply: dict, folder: Path) -> Recording:
        """An agent's reply (``as_reply``) with its files written into ``folder``."""
        for name, text in reply["files"].items():
            if Path(name).name != name:
                raise ValueError(f"an agent's profile file {name!r} is not a plain file name")
            (folder / name).write_bytes(base64.b64decode(text))
        runs = PassRuns(
            tuple(reply["wall_ms"]), tuple(reply["cpu_ms"]), tuple(reply["wait_ms"]), tuple(reply.get("cpus", ()))
        )
        return cls(reply["runtime"], reply["runtime_version"], runs, folder, tuple(reply["files"]))


def record(runner, artifact: Artifact, threads: int, plan: OpsPlan, folder: Path) -> Recording:
    """The pass's runs of ``artifact`` on ``runner`` in this process, the runtime's profile written into ``folder``.
    Raises runners.base.NotRunnableHere for a runner with no per-operator profile."""
    from mbench.runners.base import NotRunnableHere, seeded_inputs

    if not hasattr(runner, "write_profile"):
        raise NotRunnableHere(f"{runner.name} has no per-operator profile that mbench can take through its agent")
    runner.load(artifact, threads, profile_dir=folder)
    try:
        inputs = seeded_inputs(artifact.inputs)
        seen = profiled_runs(lambda: runner.run(inputs), plan)
        files = runner.write_profile()
    finally:
        runner.close()
    return Recording(
        runner.name, runner.version(), seen, folder, tuple(p.relative_to(folder).as_posix() for p in files)
    )


def by_agent(argv: list[str], timeout_s: float, where: str, folder: Path, **command) -> Recording:
    """The pass's runs made by a fresh agent (agent.py's 'ops', started with ``argv``, on this machine or over ssh),
    its files written into ``folder``. A fresh process, like the agents of the timed rounds, so that the pass and
    ``latency`` see the same kind of process (a warm mbench process runs PyTorch eager slower). Raises
    runners.base.NotRunnableHere where the agent's runtime has no per-operator profile, DeviceError naming
    ``where`` when the agent failed."""
    from mbench.runners.base import NotRunnableHere

    session = AgentSession(argv, timeout_s)
    try:
        reply = session.first(do="ops", **command)
    finally:
        session.stop()
    if reply.get("ok"):
        return Recording.from_reply(reply, folder)
    if reply.get("status") == "not_run":
        raise NotRunnableHere(reply["error"])
    raise DeviceError(f"the agent on {where}: {reply['error']}")


BENCHMARK_MODEL = "benchmark_model"


def benchmark_model_argv(binary: str, graph: str, threads: int, plan: OpsPlan) -> list[str]:
    """LiteRT's ``benchmark_model`` asked for the pass: op profiling on, the plan's runs and no minimum times."""
    return [
        binary,
        f"--graph={graph}",
        f"--num_threads={threads}",
        "--enable_op_profiling=true",
        f"--warmup_runs={plan.warmup_runs}",
        f"--num_runs={plan.runs}",
        "--min_secs=0",
        f"--warmup_min_secs={plan.warmup_seconds:g}",
    ]


class Recorder(Protocol):
    """Where a pass's runs are made: ``where`` is '' for this process, else the device they are made on,
    ``identity`` that machine's (hostname, uname...: the rows' host and details), None for this one,
    ``provenance`` the rows' (results.Context), and ``unreachable`` why that machine could not be reached ('' when
    it was). Called, it makes the runs on the artifact's runtime; ``benchmark_model`` runs LiteRT's tool instead
    (its Python interpreter has no per-operator timing) and returns what it printed."""

    where: str
    identity: dict | None
    provenance: str
    unreachable: str

    def __call__(self, artifact: Artifact, threads: int, plan: OpsPlan, folder: Path) -> Recording: ...

    def benchmark_model(self, artifact: Artifact, threads: int, plan: OpsPlan) -> str: ...


class Here:
    """The pass's runs made in this process, on the artifact's own runner; LiteRT's with a ``benchmark_model``
    binary on PATH."""

    where = ""
    identity = None
    provenance = "host"
    unreachable = ""

    def __call__(self, artifact: Artifact, threads: int, plan: OpsPlan, folder: Path) -> Recording:
        from mbench.runners.base import runner_for

        return record(runner_for(artifact.format), artifact, threads, plan, folder)

    def benchmark_model(self, artifact: Artifact, threads: int, plan: OpsPlan) -> str:
        from mbench.artifacts import package_versions
        from mbench.runners.base import NotRunnableHere

        binary = shutil.which(BENCHMARK_MODEL)
        if binary is None:
            version = package_versions("ai-edge-litert")["ai-edge-litert"]
            raise NotRunnableHere(
                f"LiteRT's Python interpreter (ai-edge-litert {version}) has no per-operator timing, and no "
                f"{BENCHMARK_MODEL} binary is on PATH (build or download LiteRT's {BENCHMARK_MODEL} and put it on "
                "PATH)"
            )
        argv = benchmark_model_argv(binary, str(artifact.path), threads, plan)
        done = subprocess.run(guarded(argv), capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"{BENCHMARK_MODEL} exited {done.returncode}: {(done.stderr or done.stdout)[-500:]}")
        return done.stdout + done.stderr
