"""PyTorch eager: the baseline. The model is rebuilt from its source and the saved state_dict loaded."""

from __future__ import annotations

import numpy as np

from mbench.artifacts import Artifact
from mbench.models.outputs import flat_tensors


class TorchEagerRunner:
    name = "torch-eager"

    def version(self) -> str:
        import torch

        return torch.__version__

    def load(self, artifact: Artifact, threads: int) -> None:
        import torch

        from mbench.models.loading import build_model
        from mbench.models.sources import spec_from_source

        torch.set_num_threads(threads)
        self._model = build_model(spec_from_source(artifact.source, artifact.inputs))
        self._model.load_state_dict(torch.load(artifact.path, weights_only=True))
        self._torch = torch

    @property
    def module(self):
        """The loaded ``torch.nn.Module``."""
        return self._model

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        with self._torch.inference_mode():
            result = self._model(*(self._torch.from_numpy(x) for x in inputs))
        return [tensor.numpy() for tensor in flat_tensors(result)]

    def close(self) -> None:
        self._model = None


def make_runner() -> TorchEagerRunner:
    return TorchEagerRunner()
