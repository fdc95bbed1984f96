"""The vocabulary every stage shares: formats, precisions, device kinds, model and input specs."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from collections.abc import Callable

if TYPE_CHECKING:
    import torch.nn as nn


class Format(str, enum.Enum):
    """An artifact's file format. PYTORCH is the reference every other format is compared against."""

    PYTORCH = "pytorch"
    ONNX = "onnx"
    COREML = "coreml"
    TFLITE = "tflite"
    EXECUTORCH = "executorch"

    @property
    def suffix(self) -> str:
        return {"pytorch": ".pt", "onnx": ".onnx", "coreml": ".mlpackage", "tflite": ".tflite", "executorch": ".pte"}[
            self.value
        ]


class Precision(str, enum.Enum):
    """Numeric precision of an artifact. What each means per format is in the converter modules and the manifest's
    ``quantization`` text (e.g. Core ML int8 is weight-only: activation calibration needs macOS)."""

    FP32 = "fp32"
    FP16 = "fp16"
    INT8 = "int8"  # static: weights and activations, calibrated (Core ML: weights only)
    INT8_DYNAMIC = "int8-dynamic"  # weights int8, activations quantized at run time
    INT8_WEIGHTS = "int8-weights"  # weights stored int8, computation in float
    PALETTE4 = "palette4"  # k-means palettized weights (Core ML)
    PALETTE6 = "palette6"
    PALETTE8 = "palette8"


class DeviceKind(str, enum.Enum):
    LOCAL = "local"
    SSH = "ssh"
    ANDROID = "android"
    IOS = "ios"


class Status(str, enum.Enum):
    """Every stored row has one: a number (ok), an error (failed) or an honest reason (not_run)."""

    OK = "ok"
    FAILED = "failed"
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class InputSpec:
    """One input (or, as an artifact's TensorInfo, one input or output): its seeded values are uniform in [0, 1)
    for floats and integers in [0, ``limit``) (2 when not given) for integer types."""

    name: str
    shape: tuple[int, ...]
    layout: str = "NCHW"
    dtype: str = "float32"
    limit: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    """What mbench needs to know about a source model: a builder plus the data around it."""

    name: str
    builder: Callable[[], nn.Module] = field(repr=False)
    inputs: tuple[InputSpec, ...]
    output_names: tuple[str, ...]
    task: str
    description: str = ""
    source: str = ""  # registry name, or "path.py:factory" for a user's model
    parity_atol: float = 1e-3
    printed: str = field(default="", repr=False, compare=False)  # by loading the source: goes to the convert log

    def build(self) -> nn.Module:
        model = self.builder()
        model.eval()
        return model
