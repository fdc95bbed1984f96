"""One module per target format. Each exposes ``NAME``, ``PRECISIONS`` (what it can produce), an ``Options``
dataclass, ``versions()`` and ``convert(model, spec, examples, options, out_path, precision, calibration) ->
Converted`` (the artifact's input and output tensors and a description of its quantization). ``examples`` holds one
tensor per model input; the model's forward returns one tensor or a flat tuple of them, named by
``spec.output_names`` (mbench.models.outputs makes every other form flat before a converter sees it).

Heavy libraries (onnx, coremltools, litert_torch) are imported inside the function bodies only.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import assert_never

from mbench.spec import Format


def converter_for(fmt: Format) -> ModuleType:
    """The converter module for a target format (PYTORCH is the source, it has none)."""
    if fmt is Format.ONNX:
        return importlib.import_module("converters.onnx")
    if fmt is Format.COREML:
        return importlib.import_module("converters.coreml")
    if fmt is Format.TFLITE:
        return importlib.import_module("converters.tflite")
    if fmt is Format.EXECUTORCH:
        return importlib.import_module("converters.executorch")
    if fmt is Format.PYTORCH:
        return importlib.import_module("converters.pytorch")
    assert_never(fmt)
