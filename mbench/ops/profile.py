"""The profiling pass: what it records (``OpTime``, ``OpProfile``), how long it runs (``OpsPlan``), and which
runtime's profiler it uses for an artifact (``profile_ops``)."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, replace
from typing import assert_never

from mbench.artifacts import Artifact
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
class OpTime:
    """One operator as the runtime ran it, averaged over the pass's runs."""

    op_type: str
    ms: float  # per inference
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
    ops: tuple[OpTime, ...]
    notes: tuple[str, ...] = ()  # what a reader must know (fused nodes, delegate blocks, estimates)
    seconds: float = 0.0  # the pass's own cost: load, warm-up, profiled runs and reading the profile

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
