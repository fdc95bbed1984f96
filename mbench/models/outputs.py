"""A forward pass's outputs as one flat, named, ordered list, the form every format converts and every runner returns.

A forward may return a tensor, a tuple or list of tensors, or a dict of tensors, nested one level (a dict of tuples,
a tuple holding a dict). Names are the dict's keys, else ``output_0``, ``output_1``, ...; a nested part joins its
parent's name and its own with ``_`` (``aux_0``). The order is the forward's own (a dict's insertion order).
A model's declared output names (``ModelSpec.output_names``) name a tensor or a tuple of the same length.
"""

from __future__ import annotations

from mbench.spec import InputSpec, ModelSpec

FORMS = "a tensor, a tuple or list of tensors, or a dict of tensors (nested one level at most)"


class OutputFormError(TypeError):
    """A forward returned something mbench cannot name as outputs."""


def named_outputs(result, declared: tuple[str, ...] = ()) -> list[tuple[str, object]]:
    """(name, tensor) pairs for a forward's ``result``."""
    pairs = _flatten(result, "", depth=0)
    if declared and len(declared) == len(pairs) and not isinstance(result, dict):
        return [(name, tensor) for name, (_, tensor) in zip(declared, pairs)]
    return pairs


def _flatten(value, prefix: str, depth: int) -> list[tuple[str, object]]:
    import torch

    if isinstance(value, torch.Tensor):
        return [(prefix or "output", value)]
    if depth > 1:
        raise OutputFormError(f"the forward returned outputs nested deeper than one level; expected {FORMS}")
    if isinstance(value, dict):
        items = [(str(key), part) for key, part in value.items()]
    elif isinstance(value, (tuple, list)):
        items = [(str(i) if prefix else f"output_{i}", part) for i, part in enumerate(value)]
    else:
        raise OutputFormError(f"the forward returned {type(value).__name__}; expected {FORMS}")
    if not items:
        raise OutputFormError(f"the forward returned an empty {type(value).__name__}; expected {FORMS}")
    return [pair for key, part in items for pair in _flatten(part, f"{prefix}_{key}" if prefix else key, depth + 1)]


def flat_tensors(result) -> tuple:
    """The forward's tensors in output order."""
    return tuple(tensor for _, tensor in named_outputs(result))


def exportable(model, result):
    """``model`` itself where its forward returns one tensor; else a module around it whose forward returns the
    flat tuple of its tensors (what exporters take and what the runtimes give back in this order)."""
    import torch

    if isinstance(result, torch.Tensor):
        return model

    class FlatOutputs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args):
            return flat_tensors(self.model(*args))

    return FlatOutputs().eval()


def output_infos(model, examples: tuple, spec: ModelSpec) -> tuple[InputSpec, ...]:
    """The outputs of ``model(*examples)`` as an artifact's TensorInfos, named as ``spec`` names them."""
    import torch

    with torch.no_grad():
        tensors = flat_tensors(model(*examples))
    layout = spec.inputs[0].layout
    return tuple(
        InputSpec(name, tuple(t.shape), layout if t.dim() == 4 else "", str(t.dtype).removeprefix("torch."))
        for name, t in zip(spec.output_names, tensors)
    )
