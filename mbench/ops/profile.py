"""The profiling pass: what it records (``OpTime``, ``OpProfile``) and which runtime's profiler it uses for an
artifact (``profile_ops``). Its runs (``OpsPlan``, ``PassRuns``) are made where the runtime runs, in this process or
in an agent on another machine (measure/passes.py: the ``Recorder``), one artifact after another; what the runtime
wrote of them is read into operators placed in modules here, where the artifact's source graphs are.
"""

from __future__ import annotations

import importlib
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import assert_never

from mbench.artifacts import Artifact
from mbench.measure.passes import Here, OpsPlan, PassRuns, Recorder, Recording
from mbench.spec import Format

__all__ = ["OpProfile", "OpTime", "OpsPlan", "PassRuns", "profile_ops", "recorded"]


@dataclass(frozen=True)
class OpTime:
    """One operator as the runtime ran it, averaged over the pass's runs."""

    op_type: str
    ms: float  # per inference, over the pass's kept runs; in an ``estimated`` profile the estimated share instead
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
    cpus: tuple[int, ...] = ()  # PassRuns.cpus: the CPUs the pass's runs could use
    estimated: bool = False  # the ops' values are estimated shares of the cost (Core ML's compute plan), not ms

    @classmethod
    def of_runs(
        cls,
        recording: Recording,
        seen: PassRuns,
        threads: int,
        plan: OpsPlan,
        run_ms: float,
        ops: Iterable[OpTime],
        notes: Iterable[str],
        runs_ms: tuple[float, ...],
        estimated: bool = False,
    ) -> OpProfile:
        """The profile read from ``recording``, its runs as ``seen`` (the recording's own, or those the tool's trace
        timed): the runtime, the runs left out as descheduled, the CPU they got and where, taken from them."""
        return cls(
            recording.runtime,
            recording.version,
            threads,
            plan,
            run_ms,
            tuple(ops),
            tuple(notes),
            runs_ms=runs_ms,
            marked=plan.runs - len(seen.kept),
            cpu_share=seen.cpu_share,
            cpus=seen.cpus,
            estimated=estimated,
        )

    @property
    def ops_ms(self) -> float:
        """The operators' time per inference: ``run_ms`` less what the runtime spends between them (in an
        ``estimated`` profile, the sum of their shares)."""
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


def profile_ops(artifact: Artifact, threads: int, plan: OpsPlan = OpsPlan(), recorder: Recorder = Here()) -> OpProfile:
    """Run the pass on ``artifact`` with its format's runtime at ``threads``, its runs made by ``recorder`` (this
    process unless told). Raises runners.base.NotRunnableHere where the machine that runs it has no per-operator
    profiler for the format, and whatever the runtime raises otherwise."""
    started = time.perf_counter()
    found = profiler_module(artifact.format).profile(artifact, threads, plan, recorder)
    return replace(found, seconds=time.perf_counter() - started)


@contextmanager
def recorded(recorder: Recorder, artifact: Artifact, threads: int, plan: OpsPlan) -> Iterator[Recording]:
    """The pass's runs of ``artifact`` made by ``recorder``, their files in a folder that lasts the block."""
    with tempfile.TemporaryDirectory(prefix="mbench-ops-") as folder:
        yield recorder(artifact, threads, plan, Path(folder))
