"""What a failed conversion was stuck on: the operator a converter's message names, and the first module of the
model that does not convert on its own.

The module search runs the model once with forward pre-hooks to capture every submodule's example input, then
converts submodules alone, top-down in call order: the first child that fails is searched in turn, and the
deepest failing module is the answer (a container whose children all convert alone fails by their composition).
It stops at a time budget and answers with the deepest failure found so far.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from collections.abc import Callable

# Where converters name the operator they could not handle, most specific first.
OPERATOR_PATTERNS = (
    re.compile(r"lowering for Torch `(\w+)` op"),  # coremltools
    re.compile(r"convert function for op '(\w+)' not implemented"),  # coremltools
    re.compile(r"Unsupported fx node (\w+)"),  # coremltools
    re.compile(r"Lowering not found: (?:aten\.)?([\w.]+)"),  # litert-torch
    re.compile(r"'(tfl\.\w+)' op"),  # the TFLite MLIR converter
    re.compile(r"failed to legalize operation '([\w.]+)'"),  # litert-torch's MLIR passes (e.g. mhlo.convolution)
    re.compile(r"aten[.:]+(\w+)"),  # torch.onnx (dynamo) and others naming an aten op
)
SEARCH_SECONDS = 120.0  # the most one model's module search may take


def operator_in_message(message: str) -> str:
    """The operator a converter's error names, or "" when it names none."""
    for pattern in OPERATOR_PATTERNS:
        found = pattern.search(message)
        if found:
            return found.group(1).removesuffix(".default")
    return ""


# Hyper-parameters worth naming, by attribute, with their short label and the value that goes unsaid.
HYPER = (
    ("kernel_size", "k", None),
    ("stride", "s", None),
    ("padding", "p", None),
    ("output_padding", "op", 0),
    ("dilation", "d", 1),
    ("groups", "g", 1),
    ("scale_factor", "x", None),
    ("mode", "", None),
)


def describe_module(module) -> str:
    """Type and key hyper-parameters, e.g. ``ConvTranspose2d k3 s2 p1 op1``."""
    parts = [type(module).__name__]
    for attribute, label, unsaid in HYPER:
        value = getattr(module, attribute, None)
        if isinstance(value, tuple) and len(set(value)) == 1:
            value = value[0]
        if value is None or value == unsaid or isinstance(value, str) and not value.isidentifier():
            continue
        text = "x".join(map(str, value)) if isinstance(value, tuple) else str(value)
        parts.append(f"{label}{text}")
    return " ".join(parts)


@dataclass(frozen=True)
class Culprit:
    """The first module that does not convert alone, and the converter's message for it."""

    name: str
    module: str  # describe_module
    message: str
    complete: bool = True  # False: the time budget ran out; a deeper module may be the cause

    def __str__(self) -> str:
        return f"{self.name} ({self.module})" + ("" if self.complete else " or inside it (search stopped)")


def submodule_inputs(model, example) -> dict[str, tuple[object, object]]:
    """Qualified name -> (module, its first call's tensor input), in call order, for single-tensor submodules."""
    import torch

    seen: dict[str, tuple[object, object]] = {}
    hooks = []
    for name, module in model.named_modules():
        if name:

            def hook(mod, args, name=name):
                if name not in seen and len(args) == 1 and isinstance(args[0], torch.Tensor):
                    seen[name] = (mod, args[0].detach().clone())

            hooks.append(module.register_forward_pre_hook(hook))
    try:
        with torch.no_grad():  # not inference_mode: its tensors cannot be exported later
            model(*_as_tuple(example))
    finally:
        for handle in hooks:
            handle.remove()
    return seen


Converts = Callable[[object, object], str]  # (module, example) -> the converter's error, "" when it converts


def first_failing_module(model, example, converts: Converts, seconds: float = SEARCH_SECONDS) -> Culprit | None:
    """The deepest module, first in call order, that fails to convert alone; None when every child converts."""
    inputs = submodule_inputs(model, example)
    deadline = time.monotonic() + seconds
    found: Culprit | None = None
    parent = ""
    while True:
        children = [n for n in inputs if n.rpartition(".")[0] == parent and n != parent]
        failing = None
        for name in children:
            if time.monotonic() > deadline:
                return found and Culprit(found.name, found.module, found.message, complete=False)
            module, sample = inputs[name]
            message = converts(module, sample)
            if message:
                failing = Culprit(name, describe_module(module), message)
                break
        if failing is None:
            return found
        found, parent = failing, failing.name


def _as_tuple(example) -> tuple:
    """A model's example inputs: one tensor, or a tuple of one per input."""
    return example if isinstance(example, tuple) else (example,)


def culprit_for(converter, model, spec, example, options, path, precision, whole=None) -> Culprit | None:
    """Search ``model`` for the first module ``converter`` cannot convert at fp32 (to files like ``path``, in a
    temporary folder); what the converter prints goes to ``path``'s convert log. A lower ``precision`` that failed
    where the whole model (``whole``: the model as converted, by default ``model``) converts at fp32 failed in
    quantization, not in a module: None, without a search."""
    import tempfile
    from pathlib import Path

    from mbench.capture import output_to
    from mbench.results import describe_error
    from mbench.spec import Precision

    def converts(module, sample) -> str:
        samples = _as_tuple(sample)
        part = _part_spec(spec, samples, spec.output_names if module is whole else ("y",))
        with tempfile.TemporaryDirectory() as folder, output_to(path.with_name(path.name + ".convert.log")):
            try:
                converter.convert(
                    module, part, samples, options, Path(folder) / f"part{path.suffix}", Precision.FP32, None
                )
            except Exception as error:  # noqa: BLE001  (a failure is the answer sought)
                return describe_error(error)
        return ""

    whole = model if whole is None else whole
    if precision is not Precision.FP32 and not converts(whole, example):
        return None
    return first_failing_module(model, example, converts)


def _part_spec(spec, samples: tuple, output_names: tuple[str, ...]):
    """``spec`` for a part of the model (or the whole) converted alone on ``samples``."""
    from dataclasses import replace

    from mbench.spec import InputSpec

    inputs = tuple(
        InputSpec(
            f"x{i}" if len(samples) > 1 else "x",
            tuple(x.shape),
            spec.inputs[0].layout,
            str(x.dtype).removeprefix("torch."),
        )
        for i, x in enumerate(samples)
    )
    return replace(spec, inputs=inputs, output_names=output_names)
