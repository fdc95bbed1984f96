"""XNNPACK's operators inside one ExecuTorch delegate call, placed in the edge-graph nodes the call took.

The XNNPACK delegate reports each operator it ran (``Convolution (NHWC, F32) IGEMM #4``) but leaves the map from
those to the edge graph's debug handles empty, so operators and nodes are lined up by kind, in order: XNNPACK runs
its operators in the order of the graph it was given, and it fuses batch norms and activations into the operator
before them. Each operator takes the next node of a kind it can be (its own node, whose module comes first: its
primary module), and nodes it passes over go to the operator before (fused into it). A layout operator with no node
of its own (the delegate's input and output transposes) goes with the operator beside it. Where a node XNNPACK
cannot fuse would be passed over, or an operator finds no node, the line-up is refused (None) and the caller keeps
the delegate as one block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# XNNPACK operator kinds (the name before " (") -> the edge ops each can stand for
KINDS = {
    "Convolution": {"convolution", "convolution_1x1"},
    "Fully Connected": {"convolution_1x1", "linear", "addmm", "mm", "bmm"},
    "Deconvolution": {"convolution_transposed"},
    "Max Pooling": {"max_pool2d", "max_pool2d_with_indices"},
    "Argmax Pooling": {"max_pool2d_with_indices"},
    "Average Pooling": {"avg_pool2d"},
    "Global Average Pooling": {"mean", "avg_pool2d", "adaptive_avg_pool2d"},
    "Mean": {"mean"},
    "Sum": {"sum"},
    "Add": {"add"},
    "Multiply": {"mul"},
    "Subtract": {"sub"},
    "Divide": {"div"},
    "Maximum": {"maximum"},
    "Minimum": {"minimum"},
    "Clamp": {"relu", "hardtanh", "clamp"},
    "Sigmoid": {"sigmoid"},
    "TanH": {"tanh"},
    "Tanh": {"tanh"},
    "GELU": {"gelu"},
    "Global Sum Pooling": {"sum"},
    "Reshape": {"view_copy", "squeeze_copy", "unsqueeze_copy", "_clone_dim_order", "clone"},
    "Even Split": {"split_with_sizes_copy", "split_copy"},
    "Depth To Space": {"pixel_shuffle"},
    "HardSwish": {"hardswish"},
    "ELU": {"elu"},
    "Leaky ReLU": {"leaky_relu"},
    "Softmax": {"_softmax"},
    "Square Root": {"sqrt"},
    "Reciprocal Square Root": {"rsqrt"},
    "Negate": {"neg"},
    "Abs": {"abs"},
    "Exp": {"exp"},
    "Log": {"log"},
    "Square": {"pow"},
    "Floor": {"floor"},
    "Ceiling": {"ceil"},
    "Resize Bilinear": {"upsample_bilinear2d", "upsample_nearest2d"},
    "Constant Pad": {"constant_pad_nd"},
    "Concatenate": {"cat"},
    "Copy": {"cat", "view_copy", "clone", "squeeze_copy", "unsqueeze_copy", "expand_copy"},
    "Transpose": {"permute_copy"},
    "Convert": {"quantize_per_tensor", "dequantize_per_tensor", "_to_copy"},
    "Slice": {"slice_copy"},
    "Batch Matrix Multiply": {"bmm"},
}
LAYOUT = {"Transpose", "Copy", "Convert", "Reshape"}  # may run without a node of their own
FUSABLE = {
    "_native_batch_norm_legit_no_training",
    "relu",
    "hardtanh",
    "clamp",
    "getitem",
    "dequantize_per_tensor",
    "dequantize_per_channel",
    "quantize_per_tensor",
    "view_copy",
    "clone",
    "_to_copy",
    "alias_copy",
    "_clone_dim_order",
    "_to_dim_order_copy",
}
_COUNTER = re.compile(r"\s*#\d+$")


@dataclass(frozen=True)
class Node:
    """An edge-graph node the delegate took: its op (``convolution``, ``relu``) and its modules."""

    op: str
    modules: tuple[str, ...]


def op_type(event_name: str) -> str:
    """An XNNPACK operator's type: its event name without the counter (``Convolution (NHWC, F32) IGEMM``)."""
    return _COUNTER.sub("", event_name)


def kind(event_name: str) -> str:
    """An XNNPACK operator's kind: its name before the layout and type, without ``Static `` (``Static Reshape (NC)
    #1`` -> ``Reshape``)."""
    return event_name.split(" (")[0].split(" #")[0].strip().removeprefix("Static ")


def line_up(operators: list[str], nodes: list[Node]) -> list[tuple[tuple[str, ...], str]] | None:
    """For each operator (event name, in run order), the modules of the nodes it stands for and how it was placed
    ("xnnpack op" or "layout"); None where the two cannot be lined up."""
    owned: list[list[int]] = [[] for _ in operators]
    position, previous, matched = 0, None, None
    for index, name in enumerate(operators):
        wanted = KINDS.get(kind(name), set())
        found = _next(nodes, position, wanted)
        if found is None:
            if kind(name) in LAYOUT:
                continue
            if matched is not None and nodes[matched].op in wanted:  # one node run as several operators
                owned[index] = [matched]
                continue
            return None
        owned[previous if previous is not None else index] += list(range(position, found))
        owned[index].insert(0, found)  # its own node first: the primary module
        position, previous, matched = found + 1, index, found
    if previous is None or any(n.op not in FUSABLE for n in nodes[position:]):
        return None
    owned[previous] += list(range(position, len(nodes)))
    return _with_layout(owned, nodes)


def _next(nodes: list[Node], start: int, wanted: set[str]) -> int | None:
    """The first node from ``start`` whose op is ``wanted``, passing over only nodes XNNPACK fuses."""
    for j in range(start, len(nodes)):
        if nodes[j].op in wanted:
            return j
        if nodes[j].op not in FUSABLE:
            return None
    return None


def _with_layout(owned, nodes) -> list[tuple[tuple[str, ...], str]]:
    """Operators that own no node take the modules of the nearest one before them that does (after, at the start)."""
    placed = [tuple(dict.fromkeys(m for j in mine for m in nodes[j].modules)) for mine in owned]
    found = []
    for index, modules in enumerate(placed):
        if modules:
            found.append((modules, "xnnpack op"))
            continue
        before = [m for m in placed[:index] if m]
        after = [m for m in placed[index:] if m]
        found.append(((before[-1] if before else after[0]), "layout"))
    return found
