"""PyTorch -> Core ML ML Program (.mlpackage) through torch.export and coremltools.

Conversion works on Linux; prediction needs macOS, so parity and latency are measured on a Mac only.
Precisions: fp32 and fp16 compute; int8 = int8 weights by linear quantization (activation quantization would
need calibration by prediction, i.e. macOS), fp16 compute; palette4/6/8 = k-means palettized weights.
With ``op_modules`` (the default) the exported graph's nodes are written beside the package
(``model.mlpackage.modules.json``: each node's name, op, module path and inputs): coremltools names the ML Program's
operations after those nodes, and the per-operator pass (mbench.ops.coreml) places the compute plan's operations in
the source modules through them; the package itself keeps no module scopes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import Converted, TensorInfo, package_versions
from mbench.data.calibration import Calibration
from mbench.spec import ModelSpec, Precision

NAME = "coremltools.convert(mlprogram)"
PRECISIONS = frozenset(
    {
        Precision.FP32,
        Precision.FP16,
        Precision.INT8,
        Precision.INT8_WEIGHTS,
        Precision.PALETTE4,
        Precision.PALETTE6,
        Precision.PALETTE8,
    }
)
PALETTE_BITS = {Precision.PALETTE4: 4, Precision.PALETTE6: 6, Precision.PALETTE8: 8}
MODULES_SUFFIX = ".modules.json"


@dataclass(frozen=True)
class Options:
    minimum_deployment_target: str = "iOS16"
    palette_mode: str = "kmeans"  # or "uniform" (no scikit-learn needed)
    op_modules: bool = True  # write the exported graph's nodes beside the package (modules_path), for op profiles


def versions() -> dict[str, str]:
    return package_versions("torch", "coremltools")


def convert(
    model,
    spec: ModelSpec,
    examples: tuple,
    options: Options,
    out_path: Path,
    precision: Precision,
    calibration: Calibration | None = None,
) -> Converted:
    import coremltools as ct
    import torch

    exported = torch.export.export(model, examples).run_decompositions({})
    mlmodel = ct.convert(
        exported,
        inputs=[ct.TensorType(name=i.name, shape=i.shape, dtype=_core_ml_dtype(i.dtype)) for i in spec.inputs],
        outputs=[ct.TensorType(name=n) for n in spec.output_names],
        convert_to="mlprogram",
        compute_precision=ct.precision.FLOAT32 if precision is Precision.FP32 else ct.precision.FLOAT16,
        minimum_deployment_target=getattr(ct.target, options.minimum_deployment_target),
    )
    mlmodel, quantization = _compress(mlmodel, precision, options)
    mlmodel.save(str(out_path))
    modules_path(out_path).unlink(missing_ok=True)
    if options.op_modules:
        modules_path(out_path).write_text(json.dumps(graph_nodes(exported)))
    description = mlmodel.get_spec().description
    return Converted(
        tuple(_tensor_info(i, spec) for i in description.input),
        tuple(_tensor_info(o, spec) for o in description.output),
        quantization,
    )


def modules_path(package: Path) -> Path:
    """Where the exported graph's nodes of the package at ``package`` lie."""
    return package.with_name(package.name + MODULES_SUFFIX)


def graph_nodes(exported) -> dict:
    """The exported program's nodes, in order: name, op (the ATen op's name, or the node kind), module (the innermost
    module path of its ``nn_module_stack``, '' for the root module, None where it has none) and inputs (node names);
    and the torch version whose export named them."""
    import torch

    nodes = []
    for node in exported.graph_module.graph.nodes:
        stack = list(node.meta.get("nn_module_stack", {}).values())
        op = getattr(node.target, "__name__", str(node.target)) if node.op == "call_function" else node.op
        nodes.append(
            {
                "name": node.name,
                "op": op,
                "module": stack[-1][0] if stack else None,
                "inputs": [n.name for n in node.all_input_nodes],
            }
        )
    return {"torch": torch.__version__, "nodes": nodes}


def _compress(mlmodel, precision: Precision, options: Options):
    import coremltools.optimize.coreml as cto

    if precision is Precision.FP32:
        return mlmodel, "none (fp32)"
    if precision is Precision.FP16:
        return mlmodel, "fp16 weights and compute"
    if precision in (Precision.INT8, Precision.INT8_WEIGHTS):
        config = cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8", weight_threshold=0)
        return (
            cto.linear_quantize_weights(mlmodel, cto.OptimizationConfig(global_config=config)),
            "int8 weights (linear symmetric, per channel), fp16 compute; activations not quantized",
        )
    if precision in PALETTE_BITS:
        bits = PALETTE_BITS[precision]
        config = cto.OpPalettizerConfig(nbits=bits, mode=options.palette_mode, weight_threshold=0)
        return (
            cto.palettize_weights(mlmodel, cto.OptimizationConfig(global_config=config)),
            f"{bits}-bit {options.palette_mode} palettized weights, fp16 compute",
        )
    raise ValueError(f"coreml cannot produce {precision.value}")


def _core_ml_dtype(dtype: str):
    """Core ML takes 32-bit integers; None leaves a float input float32."""
    import numpy as np

    return {"int64": np.int32, "int32": np.int32, "bool": np.bool_}.get(dtype)


def _tensor_info(feature, spec: ModelSpec) -> TensorInfo:
    array = feature.type.multiArrayType
    dtype = {65568: "float32", 65552: "float16", 131104: "int32"}.get(array.dataType, "float32")
    return TensorInfo(feature.name, tuple(int(d) for d in array.shape), spec.inputs[0].layout, dtype)
