"""The runner protocol and the choice of runner per format."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from contextlib import contextmanager
from typing import Protocol, assert_never
from collections.abc import Callable, Iterator

import numpy as np

from mbench.artifacts import Artifact, TensorInfo
from mbench.data.seeded import seeded_arrays
from mbench.spec import Format


class NotRunnableHere(RuntimeError):
    """The artifact is fine but this machine cannot execute its format (e.g. Core ML off macOS)."""


class Runner(Protocol):
    name: str

    def version(self) -> str: ...

    def load(self, artifact: Artifact, threads: int) -> None: ...

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]: ...

    def close(self) -> None: ...


def runner_for(fmt: Format) -> Runner:
    if fmt is Format.ONNX:
        module = "onnxruntime"
    elif fmt is Format.TFLITE:
        module = "litert"
    elif fmt is Format.COREML:
        module = "coreml"
    elif fmt is Format.EXECUTORCH:
        module = "executorch"
    elif fmt is Format.PYTORCH:
        module = "torch_eager"
    else:
        assert_never(fmt)
    return importlib.import_module(f"mbench.runners.{module}").make_runner()


# the package each runner's version names (Runner.version), as a manifest's converter versions name it too
RUNTIME_PACKAGES = {
    "onnxruntime": "onnxruntime",
    "litert": "ai-edge-litert",
    "executorch": "executorch",
    "coreml": "coremltools",
    "torch": "torch",
}


def version_skew(runtime: str, runtime_version: str, converter_versions: dict[str, str]) -> str:
    """'' where the runtime that ran an artifact is the version it was converted and checked with (or that is not
    recorded), else that version: a board's LiteRT is often older than the one that converted its artifacts."""
    converted = converter_versions.get(RUNTIME_PACKAGES.get(runtime, runtime), "")
    return converted if converted and runtime_version and converted != runtime_version else ""


def seeded_inputs(inputs: tuple[TensorInfo, ...], seed: int = 0) -> list[np.ndarray]:
    """Fixed inputs for parity and timing: floats uniform in [0, 1), like pixels / 255; integers below the input's
    limit (mbench.data.seeded)."""
    return seeded_arrays(tuple(inputs), seed)


@contextmanager
def native_stderr_without(unwanted: Callable[[str], bool]) -> Iterator[None]:
    """What native libraries write to fd 2 meanwhile (they write there directly, past Python's sys.stderr), passed
    on afterwards but for the lines ``unwanted`` picks."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [
                line for line in caught.read().decode(errors="replace").splitlines(keepends=True) if not unwanted(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
