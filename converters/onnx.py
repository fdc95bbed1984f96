"""PyTorch -> ONNX with the dynamo exporter (torch.export), one self-contained file."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import TensorInfo, package_versions
from mbench.spec import ModelSpec

NAME = "torch.onnx.export(dynamo=True)"


@dataclass(frozen=True)
class Options:
    opset: int = 18


def versions() -> dict[str, str]:
    return package_versions("torch", "onnx", "onnxscript")


def convert(model, spec: ModelSpec, example, options: Options, out_path: Path) -> list[TensorInfo]:
    import onnx
    import torch

    torch.onnx.export(
        model, (example,), str(out_path), dynamo=True, external_data=False, opset_version=options.opset,
        input_names=[i.name for i in spec.inputs], output_names=list(spec.output_names), verbose=False,
    )
    graph = onnx.load(str(out_path)).graph
    return [TensorInfo(o.name, _dims(o), spec.inputs[0].layout) for o in graph.output]


def _dims(value_info) -> tuple[int, ...]:
    return tuple(d.dim_value for d in value_info.type.tensor_type.shape.dim)
