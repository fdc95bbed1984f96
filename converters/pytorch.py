"""The reference artifact: the source model's state_dict, reloaded with ``weights_only=True``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import Converted, package_versions
from mbench.data.calibration import Calibration
from mbench.models.outputs import output_infos
from mbench.spec import ModelSpec, Precision

NAME = "torch.save(state_dict)"
PRECISIONS = frozenset({Precision.FP32})


@dataclass(frozen=True)
class Options:
    pass


def versions() -> dict[str, str]:
    return package_versions("torch")


def convert(
    model,
    spec: ModelSpec,
    examples: tuple,
    options: Options,
    out_path: Path,
    precision: Precision,
    calibration: Calibration | None = None,
) -> Converted:
    import torch

    torch.save(model.state_dict(), out_path)
    return Converted(tuple(spec.inputs), output_infos(model, examples, spec))
