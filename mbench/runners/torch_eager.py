"""PyTorch eager: the baseline. The model is rebuilt from its source and the saved state_dict loaded."""

from __future__ import annotations

import numpy as np

from mbench.artifacts import Artifact


class TorchEagerRunner:
    name = "torch-eager"

    def version(self) -> str:
        import torch

        return torch.__version__

    def load(self, artifact: Artifact, threads: int) -> None:
        import torch

        from mbench.models.sources import spec_from_source

        torch.set_num_threads(threads)
        spec = spec_from_source(artifact.source, artifact.inputs[0].shape)
        self._model = spec.build()
        self._model.load_state_dict(torch.load(artifact.path, weights_only=True))
        self._torch = torch

    @property
    def module(self):
        """The loaded ``torch.nn.Module``."""
        return self._model

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        with self._torch.inference_mode():
            out = self._model(*(self._torch.from_numpy(x) for x in inputs))
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [o.numpy() for o in outs]

    def close(self) -> None:
        self._model = None


def make_runner() -> TorchEagerRunner:
    return TorchEagerRunner()
