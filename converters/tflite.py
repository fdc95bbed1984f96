"""PyTorch -> TFLite flatbuffer with litert-torch (torch.export based, no TensorFlow needed), then
ai-edge-quantizer for lower precisions.

Inputs and outputs keep PyTorch's NCHW layout: litert-torch inserts the transposes at the edges.
Precisions: fp16 weights (float casting, fp32 compute), int8 full-integer static (int8 weights and activations,
calibrated; int8 I/O by default, or float I/O with QUANTIZE/DEQUANTIZE at the edges), int8-dynamic (int8 weights,
activations quantized at run time), int8-weights (weight-only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mbench.artifacts import Converted, TensorInfo, package_versions
from mbench.data.calibration import Calibration
from mbench.spec import ModelSpec, Precision

NAME = "litert_torch.convert"
PRECISIONS = frozenset({Precision.FP32, Precision.FP16, Precision.INT8, Precision.INT8_DYNAMIC, Precision.INT8_WEIGHTS})
QUANTIZATION = {
    Precision.FP32: "none (fp32)",
    Precision.FP16: "fp16 weights, fp32 compute (ai-edge-quantizer float casting)",
    Precision.INT8: "int8 full-integer static: int8 weights and activations, {io} I/O (ai-edge-quantizer)",
    Precision.INT8_DYNAMIC: "int8 dynamic range: int8 weights, activations quantized at run time",
    Precision.INT8_WEIGHTS: "int8 weight-only: weights dequantized to fp32 before each op",
}


@dataclass(frozen=True)
class Options:
    calibration_threads: int = 2
    int8_io: str = "int8"  # full-integer int8: "int8" inputs/outputs, or "float" (quantized inside the model)


def versions() -> dict[str, str]:
    # ai-edge-litert: the interpreter that checked the artifact's parity, against which a device's LiteRT is skewed
    return package_versions("torch", "litert-torch", "litert-converter", "ai-edge-quantizer", "ai-edge-litert")


def convert(
    model,
    spec: ModelSpec,
    examples: tuple,
    options: Options,
    out_path: Path,
    precision: Precision,
    calibration: Calibration | None = None,
) -> Converted:
    import litert_torch

    edge_model = litert_torch.convert(model, examples)
    edge_model.export(str(out_path))
    if precision is not Precision.FP32:
        out_path.write_bytes(_quantize(out_path.read_bytes(), precision, options, calibration))
    quantization = QUANTIZATION[precision].format(io=options.int8_io)
    return Converted(*_io(out_path, spec), quantization, calibrated=precision is Precision.INT8)


def _recipe(precision: Precision, options: Options):
    from ai_edge_quantizer import qtyping, recipe
    from ai_edge_quantizer.algorithm_manager import AlgorithmName
    from ai_edge_quantizer.recipe_manager import RecipeManager

    manager = RecipeManager()
    if precision is Precision.FP16:
        manager.add_weight_only_config(
            ".*", qtyping.TFLOperationName.ALL_SUPPORTED, 16, algorithm_key=AlgorithmName.FLOAT_CASTING
        )
        return manager.get_quantization_recipe()
    if precision is Precision.INT8 and options.int8_io == "float":
        manager.add_static_config(".*", qtyping.TFLOperationName.ALL_SUPPORTED, 8, 8)
        for edge in (qtyping.TFLOperationName.INPUT, qtyping.TFLOperationName.OUTPUT):
            manager.add_quantization_config(".*", edge, algorithm_key=AlgorithmName.NO_QUANTIZE)
        return manager.get_quantization_recipe()
    recipes = {
        Precision.INT8: recipe.static_wi8_ai8,
        Precision.INT8_DYNAMIC: recipe.dynamic_wi8_afp32,
        Precision.INT8_WEIGHTS: recipe.weight_only_wi8_afp32,
    }
    if precision not in recipes:
        raise ValueError(f"tflite cannot produce {precision.value}")
    return recipes[precision]()


def _quantize(float_model: bytes, precision: Precision, options: Options, calibration: Calibration | None) -> bytes:
    from ai_edge_quantizer import quantizer

    q = quantizer.Quantizer(bytearray(float_model), _recipe(precision, options))
    result = None
    if q.need_calibration:
        if calibration is None:
            raise ValueError("int8 static quantization needs calibration samples")
        result = q.calibrate(_calibration_feed(float_model, calibration), num_threads=options.calibration_threads)
    return bytes(q.quantize(result, enable_progress_report=False).quantized_model)


def _calibration_feed(float_model: bytes, calibration: Calibration) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=float_model)
    key = next(iter(interpreter.get_signature_list()))
    details = interpreter.get_signature_runner(key).get_input_details()
    names = sorted(details, key=_argument_number)  # args_0, args_1, ..., args_10: forward's order
    return {
        key: [
            {name: np.asarray(value).astype(details[name]["dtype"]) for name, value in zip(names, feed)}
            for feed in calibration.feeds()
        ]
    }


def _argument_number(name: str) -> int:
    return int(re.search(r"(\d*)$", name).group(1) or -1)


def _io(path: Path, spec: ModelSpec) -> tuple[tuple[TensorInfo, ...], tuple[TensorInfo, ...]]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    layout = spec.inputs[0].layout
    inputs = tuple(
        TensorInfo(s.name, tuple(int(d) for d in i["shape"]), s.layout, np.dtype(i["dtype"]).name)
        for s, i in zip(spec.inputs, interpreter.get_input_details())
    )
    outputs = tuple(
        TensorInfo(n, tuple(int(d) for d in o["shape"]), layout, np.dtype(o["dtype"]).name)
        for n, o in zip(spec.output_names, interpreter.get_output_details())
    )
    return inputs, outputs
