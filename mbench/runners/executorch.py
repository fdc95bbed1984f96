"""ExecuTorch programs (.pte) through the runtime's Python extension, ``executorch.extension.pybindings._C`` (the
portable runtime with the XNNPACK delegate compiled in). Threads: XNNPACK's pthreadpool is process-wide;
``_unsafe_reset_threadpool`` sets its size.

The extension is imported itself, after torch (it links libtorch and takes torch tensors), rather than through
``executorch.runtime``: that module imports ``portable_lib``, which re-exports the same extension but first imports
``executorch.exir``, the ahead-of-time compiler, only for a warning class. That import takes 5 s here and about 35 s
on the emulated board, per agent, and the runtime uses nothing of it.

The runtime's cpuinfo prints "Failed to open midr file" (and similar) on VMs when it starts: those lines go to a
sink while it loads (base.native_stderr_without, every line dropped), so they never reach a result or a terminal.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

from mbench.artifacts import Artifact, package_versions
from mbench.runners.base import NotRunnableHere, native_stderr_without

ETDUMP = "run.etdp"

COREML_NOT_ON_MACOS = (
    "not measurable here: this .pte holds a Core ML partition, which ExecuTorch runs only on "
    "macOS (measure it on a Mac over SSH)"
)

# e.g. a board whose Python has no executorch (the emulated board built with MBENCH_BOARD_EXECUTORCH=0: docs/board.md)
NOT_INSTALLED = "not measurable here: ExecuTorch's runtime (the executorch package) is not installed for %s (%s)"


class ExecuTorchRunner:
    name = "executorch"

    def version(self) -> str:
        return package_versions("executorch")["executorch"]

    def load(self, artifact: Artifact, threads: int, profile_dir: Path | None = None) -> None:
        """``profile_dir``: the program also records an ETDump of its runs, which ``write_profile`` writes there."""
        if artifact.delegation.get("delegate") == "coreml" and platform.system() != "Darwin":
            raise NotRunnableHere(COREML_NOT_ON_MACOS)
        if self.version() == "not installed":
            raise NotRunnableHere(NOT_INSTALLED % (sys.executable, platform.machine()))
        with native_stderr_without(lambda line: True):
            import torch
            from executorch.extension.pybindings import _C as runtime

            runtime._unsafe_reset_threadpool(threads)
            self._program = runtime._load_program(
                str(artifact.path),
                enable_etdump=profile_dir is not None,
                debug_buffer_size=0,
                program_verification=runtime.Verification.InternalConsistency,
            )
            self._method = self._program.load_method("forward")
        self._profile_dir = profile_dir

        # The program computes in XNNPACK's pool; torch only wraps inputs and outputs here. Left at its default,
        # torch's OpenMP threads spin beside that pool and keep its threads waiting for a CPU (benchmarks/RESULTS.md
        # has the measured cost).
        torch.set_num_threads(1)
        self._dtypes = [np.dtype(t.dtype) for t in artifact.inputs]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        tensors = [torch.from_numpy(np.ascontiguousarray(x, dtype=d)) for x, d in zip(inputs, self._dtypes)]
        return [np.asarray(out.float().numpy()) for out in self._method(tensors)]

    def write_profile(self) -> list[Path]:
        """Every run's events since the program was loaded, as an ETDump file (a debug buffer of none: no
        intermediate outputs are kept)."""
        if self._profile_dir is None:
            raise RuntimeError("the program was loaded without a profile_dir: it records no ETDump")
        path = self._profile_dir / ETDUMP
        self._program.write_etdump_result_to_file(str(path), str(path.with_suffix(".debug")))
        return [path]

    def close(self) -> None:
        self._method = self._program = None


def threadpool_size() -> int:
    """The XNNPACK thread pool's current size, as the runtime reports it."""
    from executorch.extension.pybindings import _C as runtime

    return runtime._threadpool_get_thread_count()


def make_runner() -> ExecuTorchRunner:
    return ExecuTorchRunner()
