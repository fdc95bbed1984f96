"""The profiling pass: what it records (``OpTime``, ``OpProfile``), how long it runs (``OpsPlan``), how its runs are
taken (``profiled_runs``), and which runtime's profiler it uses for an artifact (``profile_ops``).

The pass runs in one process, one artifact after another, while the machine may be busy: a run that was clearly
descheduled (measure.interference.mark: its CPU share well below the pass's typical one, or its threads waiting on a
run queue) puts a preemption into whichever operator was running. Operator times are averaged over the runs that
were not marked (``PassRuns.kept``; all of them where every run was marked).
"""

from __future__ import annotations

import importlib
import statistics
import time
from dataclasses import dataclass, replace
from typing import assert_never
from collections.abc import Callable, Sequence

from mbench.artifacts import Artifact
from mbench.measure.interference import mark
from mbench.measure.machine import run_queue_wait_ns
from mbench.spec import Format


@dataclass(frozen=True)
class OpsPlan:
    """Runs of the pass: a few untimed warm-up runs, then ``runs`` profiled ones whose times are averaged."""

    warmup_runs: int = 3
    runs: int = 10

    def __post_init__(self) -> None:
        if self.warmup_runs < 0 or self.runs < 1:
            raise ValueError(
                f"an ops pass needs runs >= 1 and warmup_runs >= 0, got {self.runs} and {self.warmup_runs}"
            )


@dataclass(frozen=True)
class PassRuns:
    """The profiled runs as this process saw them: wall time, CPU time of the process, run-queue wait."""

    wall_ms: tuple[float, ...]
    cpu_ms: tuple[float, ...]
    wait_ms: tuple[float, ...] = ()

    @property
    def kept(self) -> list[int]:
        """The runs that were not marked as descheduled (all of them where every run was)."""
        marked = mark(list(self.wall_ms), list(self.cpu_ms), list(self.wait_ms))
        return [i for i, m in enumerate(marked) if not m] or list(range(len(self.wall_ms)))

    @property
    def cpu_share(self) -> float:
        """The median run's CPU time over its wall time: about the thread count on an idle machine, far less where
        other work took the CPUs for whole runs (which marking, relative to the pass's own typical share, misses)."""
        return statistics.median(c / w for c, w in zip(self.cpu_ms, self.wall_ms) if w > 0)

    def mean(self, per_run: Sequence[float]) -> float:
        """The mean of one value per profiled run over the kept runs."""
        kept = self.kept
        return sum(per_run[i] for i in kept) / len(kept)


def profiled_runs(run: Callable[[], None], plan: OpsPlan) -> PassRuns:
    """``run()`` warmup_runs times, then ``runs`` times with each run's wall time, CPU time and run-queue wait."""
    for _ in range(plan.warmup_runs):
        run()
    wall, cpu, wait = [], [], []
    for _ in range(plan.runs):
        waited, c0, t0 = run_queue_wait_ns(), time.process_time_ns(), time.perf_counter_ns()
        run()
        t1, c1, waited_after = time.perf_counter_ns(), time.process_time_ns(), run_queue_wait_ns()
        wall.append((t1 - t0) / 1e6)
        cpu.append((c1 - c0) / 1e6)
        if waited is not None and waited_after is not None:
            wait.append((waited_after - waited) / 1e6)
    return PassRuns(tuple(wall), tuple(cpu), tuple(wait) if len(wait) == len(wall) else ())


@dataclass(frozen=True)
class OpTime:
    """One operator as the runtime ran it, averaged over the pass's runs."""

    op_type: str
    ms: float  # per inference, over the pass's kept runs
    modules: tuple[str, ...] = ()  # module paths it came from (modules.ROOT: the model's own forward); (): unplaced
    nodes: tuple[str, ...] = ()  # the runtime's own names for it
    where: str = ""  # the execution provider or delegate that ran it
    placed: str = ""  # how it was placed in the modules: "node", "fused", "layout", "delegate block", ...


@dataclass(frozen=True)
class OpProfile:
    """One artifact's pass: every operator's time, and the time of a whole inference it is part of."""

    runtime: str
    version: str
    threads: int
    plan: OpsPlan
    run_ms: float  # a whole inference as the pass timed it (the runtime's own run event where it has one), mean
    # over the kept runs
    ops: tuple[OpTime, ...]
    notes: tuple[str, ...] = ()  # what a reader must know (fused nodes, delegate blocks, estimates)
    seconds: float = 0.0  # the pass's own cost: load, warm-up, profiled runs and reading the profile
    runs_ms: tuple[float, ...] = ()  # each profiled run's whole inference, where the runtime reports them
    marked: int = 0  # profiled runs left out of the means as descheduled
    cpu_share: float | None = None  # PassRuns.cpu_share: how much CPU the pass's runs got

    @property
    def ops_ms(self) -> float:
        """The operators' time per inference: ``run_ms`` less what the runtime spends between them."""
        return sum(op.ms for op in self.ops)

    @property
    def attributed(self) -> float:
        """The share of the operators' time that reached a module path (0-1)."""
        placed = sum(op.ms for op in self.ops if op.modules)
        return placed / self.ops_ms if self.ops_ms > 0 else 0.0


_RUNTIMES = {
    Format.ONNX: "onnxruntime",
    Format.EXECUTORCH: "executorch",
    Format.PYTORCH: "torch_eager",
    Format.TFLITE: "litert",
    Format.COREML: "coreml",
}


def profiler_module(fmt: Format):
    """The module of ``mbench.ops`` that profiles artifacts of ``fmt``."""
    if fmt in (Format.ONNX, Format.EXECUTORCH, Format.PYTORCH, Format.TFLITE, Format.COREML):
        return importlib.import_module(f"mbench.ops.{_RUNTIMES[fmt]}")
    assert_never(fmt)


def profile_ops(artifact: Artifact, threads: int, plan: OpsPlan = OpsPlan()) -> OpProfile:
    """Run the pass on ``artifact`` with its format's runtime at ``threads``. Raises runners.base.NotRunnableHere
    where this machine has no per-operator profiler for the format, and whatever the runtime raises otherwise."""
    started = time.perf_counter()
    found = profiler_module(artifact.format).profile(artifact, threads, plan)
    return replace(found, seconds=time.perf_counter() - started)
