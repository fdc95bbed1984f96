"""PyTorch eager: the baseline. The model is rebuilt from its source and the saved state_dict loaded.

Loaded with a ``profile_dir``, forward pre- and post-hooks on every module (``ModuleTimes``) record each module's own
time in every run, which ``write_profile`` writes there (``MODULE_TIMES``, JSON)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from mbench.artifacts import Artifact
from mbench.models.outputs import flat_tensors

MODULE_TIMES = "module_times.json"


class ModuleTimes:
    """Hooks that add each module call's own time (its time less its submodules') to the module's total."""

    def __init__(self, model) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.kinds = {name: type(module).__name__ for name, module in model.named_modules()}
        self._open: list[list] = []  # [name, start, time in submodules]
        self._handles = []
        for name, module in model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._entered(name)))
            self._handles.append(module.register_forward_hook(self._left))

    def _entered(self, name: str):
        def hook(module, args):
            self._open.append([name, time.perf_counter(), 0.0])

        return hook

    def _left(self, module, args, output):
        name, start, inside = self._open.pop()
        spent = time.perf_counter() - start
        self.own[name] += spent - inside
        if self._open:
            self._open[-1][2] += spent

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


class TorchEagerRunner:
    name = "torch-eager"

    def version(self) -> str:
        import torch

        return torch.__version__

    def load(self, artifact: Artifact, threads: int, profile_dir: Path | None = None) -> None:
        import torch

        from mbench.models.loading import build_model
        from mbench.models.sources import spec_from_source

        torch.set_num_threads(threads)
        self._model = build_model(spec_from_source(artifact.source, artifact.inputs))
        self._model.load_state_dict(torch.load(artifact.path, weights_only=True))
        self._torch = torch
        self._profile_dir = profile_dir
        self._hooks = ModuleTimes(self._model) if profile_dir is not None else None
        self._per_run: list[dict[str, float]] = []  # each run's own time per module, seconds

    @property
    def module(self):
        """The loaded ``torch.nn.Module``."""
        return self._model

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if self._hooks is not None:
            self._hooks.own.clear()
        with self._torch.inference_mode():
            result = self._model(*(self._torch.from_numpy(x) for x in inputs))
        if self._hooks is not None:
            self._per_run.append(dict(self._hooks.own))
        return [tensor.numpy() for tensor in flat_tensors(result)]

    def write_profile(self) -> list[Path]:
        """Each module's class (``kinds``) and its own time in every run since the load (``runs``, seconds)."""
        if self._hooks is None or self._profile_dir is None:
            raise RuntimeError("the model was loaded without a profile_dir: no module times were recorded")
        path = self._profile_dir / MODULE_TIMES
        path.write_text(json.dumps({"kinds": self._hooks.kinds, "runs": self._per_run}))
        return [path]

    def close(self) -> None:
        if getattr(self, "_hooks", None) is not None:
            self._hooks.remove()
        self._model = self._hooks = None


def make_runner() -> TorchEagerRunner:
    return TorchEagerRunner()
