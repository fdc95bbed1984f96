"""The reference artifact: the source model's state_dict, reloaded with ``weights_only=True``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import TensorInfo, package_versions
from mbench.spec import ModelSpec

NAME = "torch.save(state_dict)"


@dataclass(frozen=True)
class Options:
    pass


def versions() -> dict[str, str]:
    return package_versions("torch")


def convert(model, spec: ModelSpec, example, options: Options, out_path: Path) -> list[TensorInfo]:
    import torch

    torch.save(model.state_dict(), out_path)
    with torch.no_grad():
        out = model(example)
    return [TensorInfo(spec.output_names[0], tuple(out.shape), spec.inputs[0].layout)]
