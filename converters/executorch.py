"""PyTorch -> ExecuTorch program (.pte): torch.export, edge dialect, a delegate partition, then ExecuTorch bytecode.

Delegates: ``xnnpack`` (CPU; runs here through ``executorch.runtime``) and ``coreml`` (a Core ML partition inside the
.pte; runs only on macOS). What the delegate did not take runs on ExecuTorch's portable kernels: the manifest's
quantization text counts both from the lowered edge program.
Precisions: fp32; fp16 (the model and its inputs cast to float16 before export: XNNPACK takes fp16 nodes, so I/O is
float16); int8 static through torchao's PT2E (prepare_pt2e, calibrate, convert_pt2e) with ExecuTorch's
XNNPACKQuantizer, symmetric per-channel weights, then re-export and lower.
With ``etrecord`` (the default) an ETRecord is written beside the program (``model.pte.etrecord``): the edge graph
with each node's debug handle and module stack, which the devtools Inspector needs to place an ETDump's operator
times in the source model (mbench.ops.executorch).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mbench.artifacts import Converted, TensorInfo, package_versions
from mbench.data.calibration import Calibration
from mbench.models.outputs import output_infos
from mbench.spec import ModelSpec, Precision

NAME = "executorch.exir.to_edge_transform_and_lower"
PRECISIONS = frozenset({Precision.FP32, Precision.FP16, Precision.INT8})
DELEGATES = ("xnnpack", "coreml")
DELEGATE_CALL = "executorch_call_delegate"
ETRECORD_SUFFIX = ".etrecord"


@dataclass(frozen=True)
class Options:
    delegate: str = "xnnpack"  # or "coreml" (a Core ML partition: runs on macOS only)
    etrecord: bool = True  # write the ETRecord beside the .pte (etrecord_path), for per-operator profiles

    def __post_init__(self) -> None:
        if self.delegate not in DELEGATES:
            raise ValueError(f"executorch delegate {self.delegate!r} is not one of {', '.join(DELEGATES)}")


def versions() -> dict[str, str]:
    return package_versions("torch", "executorch", "torchao", "coremltools")


@dataclass(frozen=True)
class Delegation:
    """How much of the edge graph the delegate took: its calls, the ops inside them, and the ops left outside."""

    delegate: str
    delegated_ops: int
    portable_ops: Counter

    @property
    def total_ops(self) -> int:
        return self.delegated_ops + sum(self.portable_ops.values())

    @property
    def share(self) -> float:
        return self.delegated_ops / self.total_ops if self.total_ops else 0.0

    def record(self) -> dict:
        return {
            "delegate": self.delegate,
            "delegated_ops": self.delegated_ops,
            "share": round(self.share, 4),
            "portable_ops": dict(sorted(self.portable_ops.items())),
        }

    def describe(self) -> str:
        left = ", ".join(f"{op} x{n}" for op, n in sorted(self.portable_ops.items())) or "none"
        return (
            f"{self.delegate} delegate took {self.delegated_ops} of {self.total_ops} "
            f"ops ({self.share:.0%}); left to portable kernels: {left}"
        )


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
    from executorch.exir import to_edge_transform_and_lower

    if precision not in PRECISIONS:
        raise ValueError(f"executorch cannot produce {precision.value}")
    model, examples = _prepared(model, examples, precision, calibration)
    exported = torch.export.export(model, examples)
    edge = to_edge_transform_and_lower(
        exported, partitioner=[_partitioner(options.delegate)], generate_etrecord=options.etrecord
    )
    delegation = count_delegation(edge.exported_program().graph_module, options.delegate)
    program = edge.to_executorch()
    out_path.write_bytes(program.buffer)
    etrecord_path(out_path).unlink(missing_ok=True)
    if options.etrecord:
        program.get_etrecord().save(str(etrecord_path(out_path)))
    inputs = tuple(
        TensorInfo(i.name, tuple(i.shape), i.layout, str(x.dtype).removeprefix("torch."))
        for i, x in zip(spec.inputs, examples)
    )
    return Converted(
        inputs,
        output_infos(model, examples, spec),
        f"{_QUANTIZATION[precision]}; {delegation.describe()}",
        calibrated=precision is Precision.INT8,
        delegation=delegation.record(),
    )


def etrecord_path(pte_path: Path) -> Path:
    """Where the ETRecord of the program at ``pte_path`` lies."""
    return pte_path.with_name(pte_path.name + ETRECORD_SUFFIX)


_QUANTIZATION = {
    Precision.FP32: "none (fp32)",
    Precision.FP16: "fp16 weights, compute and I/O (model cast to float16 before export)",
    Precision.INT8: "int8 static PT2E (XNNPACKQuantizer, symmetric per-channel weights, int8 activations), fp32 I/O",
}


def _prepared(model, examples: tuple, precision: Precision, calibration: Calibration | None):
    """The module to export and its examples: as is (fp32), cast to float16 (float inputs only), or quantized
    through PT2E."""
    import copy

    if precision is Precision.FP16:
        return copy.deepcopy(model).half(), tuple(x.half() if x.is_floating_point() else x for x in examples)
    if precision is Precision.INT8:
        return _quantized(model, examples, calibration), examples
    return model, examples


def _quantized(model, examples: tuple, calibration: Calibration | None):
    import torch
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    if calibration is None:
        raise ValueError("int8 static quantization needs calibration samples")
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(torch.export.export(model, examples).module(), quantizer)
    with torch.no_grad():
        for feed in calibration.feeds():
            prepared(*(torch.from_numpy(x) for x in feed))
    return convert_pt2e(prepared)


def _partitioner(delegate: str):
    if delegate == "coreml":
        from executorch.backends.apple.coreml.partition import CoreMLPartitioner

        return CoreMLPartitioner()
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    return XnnpackPartitioner()


def count_delegation(graph_module, delegate: str) -> Delegation:
    """Count the ops each delegate call swallowed (from its lowered module's original graph, where kept) and the
    ops outside any delegate, by name."""
    delegated, portable = 0, Counter()
    for node in graph_module.graph.nodes:
        if node.op != "call_function":
            continue
        name = getattr(node.target, "__name__", str(node.target))
        if name == DELEGATE_CALL:
            delegated += _ops_in(getattr(graph_module, node.args[0].target))
        elif name != "getitem":
            portable[name.removesuffix(".default")] += 1
    return Delegation(delegate, delegated, portable)


def _ops_in(lowered) -> int:
    program = getattr(lowered, "original_module", None)
    if program is None:
        return 1
    return sum(
        1 for n in program.graph.nodes if n.op == "call_function" and getattr(n.target, "__name__", "") != "getitem"
    )
