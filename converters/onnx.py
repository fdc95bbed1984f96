"""PyTorch -> ONNX with the dynamo exporter (torch.export), one self-contained file.

Precisions: fp16 by onnxconverter-common (float32 inputs and outputs kept by default); int8 static by
onnxruntime.quantization with a calibration reader (QOperator by default, QDQ selectable); int8-dynamic
(ConvInteger/MatMulInteger, activations quantized at run time: often slow on CPUs, kept and labelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import Converted, TensorInfo, package_versions
from mbench.data.calibration import Calibration
from mbench.spec import ModelSpec, Precision

NAME = "torch.onnx.export(dynamo=True)"
PRECISIONS = frozenset({Precision.FP32, Precision.FP16, Precision.INT8, Precision.INT8_DYNAMIC})


@dataclass(frozen=True)
class Options:
    opset: int = 18
    quant_format: str = "qoperator"  # or "qdq"
    keep_io_types: bool = True  # fp16: float32 inputs and outputs


def versions() -> dict[str, str]:
    return package_versions("torch", "onnx", "onnxscript", "onnxruntime", "onnxconverter-common")


def convert(
    model,
    spec: ModelSpec,
    examples: tuple,
    options: Options,
    out_path: Path,
    precision: Precision,
    calibration: Calibration | None = None,
) -> Converted:
    import onnx
    import torch

    fp32_path = out_path if precision is Precision.FP32 else out_path.with_name(out_path.stem + ".fp32-tmp.onnx")
    torch.onnx.export(
        model,
        examples,
        str(fp32_path),
        dynamo=True,
        external_data=False,
        opset_version=options.opset,
        input_names=[i.name for i in spec.inputs],
        output_names=list(spec.output_names),
        verbose=False,
    )
    try:
        quantization = _lower_precision(fp32_path, out_path, precision, options, calibration)
    finally:
        if fp32_path != out_path:
            fp32_path.unlink(missing_ok=True)
    graph = onnx.load(str(out_path)).graph
    return Converted(
        tuple(_info(v, spec) for v in graph.input),
        tuple(_info(v, spec) for v in graph.output),
        quantization,
        calibrated=precision is Precision.INT8,
    )


def _lower_precision(
    fp32_path: Path, out_path: Path, precision: Precision, options: Options, calibration: Calibration | None
) -> str:
    if precision is Precision.FP32:
        return "none (fp32)"
    if precision is Precision.FP16:
        import onnx
        from onnxconverter_common import float16

        half = float16.convert_float_to_float16(onnx.load(str(fp32_path)), keep_io_types=options.keep_io_types)
        onnx.save(half, str(out_path))
        return f"fp16 weights and compute (onnxconverter-common), {'fp32' if options.keep_io_types else 'fp16'} I/O"
    return _quantize_int8(fp32_path, out_path, precision, options, calibration)


def _quantize_int8(
    fp32_path: Path, out_path: Path, precision: Precision, options: Options, calibration: Calibration | None
) -> str:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    prepared = fp32_path.with_name(fp32_path.stem + ".pre.onnx")
    _pre_process(fp32_path, prepared)
    try:
        if precision is Precision.INT8_DYNAMIC:
            quantize_dynamic(str(prepared), str(out_path), weight_type=QuantType.QInt8)
            return "int8 dynamic: int8 weights, activations quantized at run time (onnxruntime.quantization)"
        if precision is not Precision.INT8:
            raise ValueError(f"onnx cannot produce {precision.value}")
        fmt = {"qoperator": QuantFormat.QOperator, "qdq": QuantFormat.QDQ}[options.quant_format]
        quantize_static(
            str(prepared),
            str(out_path),
            _reader(prepared, calibration),
            quant_format=fmt,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        return f"int8 static {options.quant_format.upper()}: per-channel int8 weights, uint8 activations, fp32 I/O"
    finally:
        prepared.unlink(missing_ok=True)


def _pre_process(fp32_path: Path, prepared: Path) -> None:
    """onnxruntime's preparation for quantization. Its symbolic shape inference fails on some graphs (a ReduceMax
    whose axes are an input, as opset 18 writes it: "object of type 'NoneType' has no len()"); ONNX's own shape
    inference, which it also runs, then does."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        quant_pre_process(str(fp32_path), str(prepared))
    except TypeError:
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)


def _reader(model_path: Path, calibration: Calibration | None):
    import onnx
    from onnxruntime.quantization import CalibrationDataReader

    if calibration is None:
        raise ValueError("int8 static quantization needs calibration samples")
    names = [value.name for value in onnx.load(str(model_path)).graph.input]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter(calibration.feeds())

        def get_next(self):
            feed = next(self._feeds, None)
            return None if feed is None else dict(zip(names, feed))

    return Reader()


def _info(value_info, spec: ModelSpec) -> TensorInfo:
    import onnx

    tensor = value_info.type.tensor_type
    dims = tuple(d.dim_value for d in tensor.shape.dim)
    return TensorInfo(
        value_info.name, dims, spec.inputs[0].layout, onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
    )
