"""Core ML through coremltools. Prediction exists only on macOS; elsewhere loading says so, as NotRunnableHere."""

from __future__ import annotations

import platform

import numpy as np

from mbench.artifacts import Artifact, package_versions
from mbench.runners.base import NotRunnableHere

NOT_ON_MACOS = "not measurable here: Core ML runs only on macOS (coremltools converts on Linux but cannot predict)"


class CoreMLRunner:
    name = "coreml"

    def __init__(self, compute_units: str = "ALL") -> None:
        self.compute_units = compute_units

    def version(self) -> str:
        return package_versions("coremltools")["coremltools"]

    def load(self, artifact: Artifact, threads: int) -> None:
        if platform.system() != "Darwin":
            raise NotRunnableHere(NOT_ON_MACOS)
        import coremltools as ct

        self._model = ct.models.MLModel(str(artifact.path), compute_units=getattr(ct.ComputeUnit, self.compute_units))
        self._input_names = [i.name for i in artifact.inputs]
        self._output_names = [o.name for o in artifact.outputs]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        result = self._model.predict(dict(zip(self._input_names, inputs)))
        return [np.asarray(result[name]) for name in self._output_names]

    def close(self) -> None:
        self._model = None


def make_runner() -> CoreMLRunner:
    return CoreMLRunner()
