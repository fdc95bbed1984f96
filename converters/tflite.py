"""PyTorch -> TFLite flatbuffer with litert-torch (torch.export based, no TensorFlow needed).

Inputs and outputs keep PyTorch's NCHW layout: litert-torch inserts the transposes at the edges.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import TensorInfo, package_versions
from mbench.spec import ModelSpec

NAME = "litert_torch.convert"


@dataclass(frozen=True)
class Options:
    pass


def versions() -> dict[str, str]:
    return package_versions("torch", "litert-torch", "litert-converter")


def convert(model, spec: ModelSpec, example, options: Options, out_path: Path) -> list[TensorInfo]:
    import litert_torch

    edge_model = litert_torch.convert(model, (example,))
    edge_model.export(str(out_path))
    out = edge_model(example)
    out = out[0] if isinstance(out, (list, tuple)) else out
    return [TensorInfo(spec.output_names[0], tuple(out.shape), spec.inputs[0].layout)]
