"""Which PyTorch modules each node of the graph ONNX Runtime ran came from.

The dynamo exporter writes each node's module scope into its metadata (``pkg.torch.onnx.name_scopes``: the module
paths from the root down, then the FX node). ONNX Runtime's optimizations fuse nodes and change layouts, and the
nodes it runs get new names and lose that metadata; the graph it ran is saved (``optimized_model_filepath``) and
matched to the artifact's graph through the tensors they share:

- a tensor of the optimized graph stands for the artifact's tensor of the same name; a new tensor stands for the
  artifact's tensor its producer is named after (``relu_1_nchwc`` makes ``relu_1``), or, out of a layout node with one
  data input (``ReorderInput``, ``Transpose``), for that input;
- a node covers the artifact's nodes between the tensors it reads and the tensors it makes: a walk back from its
  outputs that stops at its inputs and at any tensor the optimized graph still has;
- a node that covers none (a layout change of a tensor that stays) goes with the node that made that tensor, or,
  for a graph input, with the nodes that read it.

A node's modules start with its primary module: that of the covered node of its own op type (the convolution of a
fused Conv+Relu), which is where views that show one module per operator put it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from mbench.ops.modules import from_scope, parameter_module

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
_NEW_NAME_SUFFIX = re.compile(r"(_nchwc|_token_\d+|_fused\w*)+$")


@dataclass(frozen=True)
class Placement:
    """Where one node of the graph that ran comes from."""

    modules: tuple[str, ...]
    covers: tuple[str, ...]  # the artifact's node names it stands for
    how: str  # "node" (one of the artifact's nodes), "fused" (several), "layout" (moves a tensor), "" (not placed)


def node_modules(node, initializers: set[str]) -> tuple[str, ...]:
    """The modules of one exported node: the deepest scope in its metadata, and the owners of the parameters it
    reads (a convolution the exporter fused with its batch norm keeps the norm's scope and the conv's weight)."""
    owners = [parameter_module(name) for name in node.input if name in initializers]
    return tuple(dict.fromkeys([m for m in owners if m] + [m for m in [_scope(node)] if m is not None]))


def _scope(node) -> str | None:
    for prop in node.metadata_props:
        if prop.key == NAME_SCOPES:
            try:
                scopes = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError):
                return None
            return from_scope(scopes[-2]) if isinstance(scopes, list) and len(scopes) >= 2 else None
    return None


class _Graph:
    """A graph's producers and consumers by tensor name."""

    def __init__(self, graph) -> None:
        self.nodes = {n.name: n for n in graph.node}
        self.order = {name: index for index, name in enumerate(self.nodes)}
        self.initializers = {t.name for t in graph.initializer}
        self.producer = {out: n.name for n in graph.node for out in n.output if out}
        self.consumers: dict[str, list[str]] = {}
        for n in graph.node:
            for name in n.input:
                self.consumers.setdefault(name, []).append(n.name)

    def data_inputs(self, node) -> list[str]:
        return [name for name in node.input if name and name not in self.initializers]


def place_nodes(artifact_model, optimized_model) -> dict[str, Placement]:
    """Every node of ``optimized_model`` (the graph the runtime ran) placed in ``artifact_model``'s modules."""
    source, ran = _Graph(artifact_model.graph), _Graph(optimized_model.graph)
    known = set(source.producer) | {i.name for i in artifact_model.graph.input}
    stands = _stand_ins(ran, known)
    kept = {stands[t] for t in stands if stands[t] is not None}
    modules = {name: node_modules(node, source.initializers) for name, node in source.nodes.items()}
    placements = {}
    for name, node in ran.nodes.items():
        reads = {stands.get(t, t if t in known else None) for t in ran.data_inputs(node)} - {None}
        makes = {stands.get(t) for t in node.output} - {None}
        covered = between(source, reads, makes, kept) or ([name] if name in source.nodes else [])
        how = "fused" if len(covered) > 1 else "node"
        if not covered:
            covered, how = _neighbours(source, reads, makes), "layout"
        covered = _primary_first(covered, node.op_type, source)
        placements[name] = Placement(
            tuple(dict.fromkeys(m for c in covered for m in modules[c])), tuple(covered), how if covered else ""
        )
    return placements


def _primary_first(covered: list[str], op_type: str, source: _Graph) -> list[str]:
    """``covered`` with the node whose op type the running node carries (``Conv`` in ``Conv`` or ``QLinearConv``)
    moved to the front."""
    primary = next((c for c in covered if source.nodes[c].op_type in op_type), None)
    return covered if primary is None else [primary] + [c for c in covered if c != primary]


def _stand_ins(ran: _Graph, known: set[str]) -> dict[str, str | None]:
    """Each tensor of the graph that ran, as the artifact's tensor it stands for (None: a tensor of its own)."""
    stands: dict[str, str | None] = {}

    def stand(tensor: str) -> str | None:
        if tensor in stands:
            return stands[tensor]
        stands[tensor] = None  # a cycle guard; graphs have none
        if tensor in known:
            stands[tensor] = tensor
        elif tensor in ran.producer:
            node = ran.nodes[ran.producer[tensor]]
            stem = _NEW_NAME_SUFFIX.sub("", node.name)
            data = ran.data_inputs(node)
            if stem in known and stem != node.name:
                stands[tensor] = stem
            elif len(data) == 1 and len(node.output) == 1:
                stands[tensor] = stand(data[0])
        return stands[tensor]

    for node in ran.nodes.values():
        for tensor in [*node.input, *node.output]:
            stand(tensor)
    return stands


def between(source, reads: set[str], makes: set[str], kept: set[str]) -> list[str]:
    """The source graph's nodes on the way from ``reads`` to ``makes``: back from what it makes, up to what it reads
    or any tensor the graph that ran still has (``kept``). ``source`` has ``producer`` (tensor -> node name),
    ``nodes``, ``order`` (node name -> place) and ``data_inputs(node)``, as ``_Graph`` here and the exported graph in
    ops/coreml.py do."""
    found, todo = [], [t for t in makes if t not in reads]
    while todo:
        tensor = todo.pop()
        name = source.producer.get(tensor)
        if name is None or name in found:
            continue
        found.append(name)
        todo += [t for t in source.data_inputs(source.nodes[name]) if t not in reads and t not in kept]
    return sorted(found, key=source.order.__getitem__)


def _neighbours(source: _Graph, reads: set[str], makes: set[str]) -> list[str]:
    """For a node that moves a tensor: the node that made it, else (a graph input) the nodes that read it."""
    made = [source.producer[t] for t in sorted(makes | reads) if t in source.producer]
    if made:
        return made[:1]
    return list(dict.fromkeys(c for t in sorted(reads) for c in source.consumers.get(t, [])))
