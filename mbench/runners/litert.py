"""LiteRT (TFLite) interpreter with its default XNNPACK delegate."""
from __future__ import annotations

import numpy as np

from mbench.artifacts import Artifact, package_versions


class LiteRTRunner:
    name = "litert"

    def version(self) -> str:
        return package_versions("ai-edge-litert")["ai-edge-litert"]

    def load(self, artifact: Artifact, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(artifact.path), num_threads=threads)
        self._interpreter.allocate_tensors()
        self._inputs = [d["index"] for d in self._interpreter.get_input_details()]
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        for index, value in zip(self._inputs, inputs):
            self._interpreter.set_tensor(index, value)
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(i) for i in self._outputs]

    def close(self) -> None:
        self._interpreter = None


def make_runner() -> LiteRTRunner:
    return LiteRTRunner()
