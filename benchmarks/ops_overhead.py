"""The ops pass's own overhead, apart from the machine's state: an artifact run plainly and as the pass runs it
(ONNX Runtime with profiling on, ExecuTorch with ETDump, PyTorch eager with the module hooks), alternately in one
process, and the median of each pair's ratio. On a busy machine both sides of a pair share its slow phases, which a
pass compared with a `latency` measured minutes earlier does not."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mbench.artifacts import Artifact
from mbench.runners.base import seeded_inputs
from mbench.spec import Format


def _pair(artifact: Artifact, threads: int, folder: Path) -> tuple[Callable, Callable]:
    """A plain run and a profiled run of ``artifact``."""
    inputs = seeded_inputs(artifact.inputs)
    if artifact.format is Format.ONNX:
        from mbench.runners.onnxruntime import OnnxRuntimeRunner

        plain, profiled = OnnxRuntimeRunner(), OnnxRuntimeRunner()
        plain.load(artifact, threads)
        profiled.load(artifact, threads, profile_dir=folder)
    elif artifact.format is Format.EXECUTORCH:
        from mbench.runners.executorch import ExecuTorchRunner

        plain, profiled = ExecuTorchRunner(), ExecuTorchRunner()
        plain.load(artifact, threads)
        profiled.load(artifact, threads, profile_dir=folder)
    else:
        from mbench.runners.torch_eager import TorchEagerRunner

        plain, profiled = TorchEagerRunner(), TorchEagerRunner()
        plain.load(artifact, threads)
        profiled.load(artifact, threads, profile_dir=folder)  # with the module hooks
    return (lambda: plain.run(inputs)), (lambda: profiled.run(inputs))


def overhead(artifact: Artifact, threads: int, pairs: int = 15, warmup: int = 3) -> float:
    """The median over ``pairs`` alternated runs of profiled / plain wall time."""
    with tempfile.TemporaryDirectory(prefix="mbench-overhead-") as folder:
        plain, profiled = _pair(artifact, threads, Path(folder))
        for _ in range(warmup):
            plain(), profiled()
        ratios = []
        for _ in range(pairs):
            t0 = time.perf_counter()
            plain()
            t1 = time.perf_counter()
            profiled()
            ratios.append((time.perf_counter() - t1) / (t1 - t0))
    return statistics.median(ratios)
