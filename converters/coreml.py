"""PyTorch -> Core ML ML Program (.mlpackage) through torch.export and coremltools.

Conversion works on Linux; prediction needs macOS, so parity and latency are measured on a Mac only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import TensorInfo, package_versions
from mbench.spec import ModelSpec

NAME = "coremltools.convert(mlprogram)"


@dataclass(frozen=True)
class Options:
    minimum_deployment_target: str = "iOS16"


def versions() -> dict[str, str]:
    return package_versions("torch", "coremltools")


def convert(model, spec: ModelSpec, example, options: Options, out_path: Path) -> list[TensorInfo]:
    import coremltools as ct
    import torch

    exported = torch.export.export(model, (example,)).run_decompositions({})
    mlmodel = ct.convert(
        exported,
        inputs=[ct.TensorType(name=i.name, shape=i.shape) for i in spec.inputs],
        outputs=[ct.TensorType(name=n) for n in spec.output_names],
        convert_to="mlprogram",
        compute_precision=ct.precision.FLOAT32,
        minimum_deployment_target=getattr(ct.target, options.minimum_deployment_target),
    )
    mlmodel.save(str(out_path))
    return [_tensor_info(o, spec) for o in mlmodel.get_spec().description.output]


def _tensor_info(feature, spec: ModelSpec) -> TensorInfo:
    shape = tuple(int(d) for d in feature.type.multiArrayType.shape)
    return TensorInfo(feature.name, shape, spec.inputs[0].layout)
