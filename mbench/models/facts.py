"""What a source model is, counted from the model itself: parameters, weight bytes, MACs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from mbench.spec import ModelSpec


@dataclass(frozen=True)
class ModelFacts:
    name: str
    parameters: int
    weight_bytes: int  # trainable parameters at their stored dtype
    buffer_bytes: int  # BatchNorm running statistics and other float buffers
    macs: int
    input_shape: tuple[int, ...]
    task: str
    description: str


def model_facts(spec: ModelSpec, model=None) -> ModelFacts:
    """Count a model; MACs are half the FLOPs of torch's own flop counter on the spec's input.

    Without a ``model``, it is built on the meta device (shapes only, so counting costs no arithmetic), or on the
    CPU where its forward cannot run on meta tensors (e.g. it makes CPU tensors of its own).
    """
    import torch

    if model is not None:
        return _count(spec, model)
    try:
        with torch.device("meta"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # shipped weights cannot load into meta tensors: no matter
            return _count(spec, spec.build())
    except (RuntimeError, NotImplementedError):
        return _count(spec, spec.build())


def _count(spec: ModelSpec, model) -> ModelFacts:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    params = [p for p in model.parameters() if p.requires_grad]
    buffers = [b for b in model.buffers() if b.dtype.is_floating_point]
    examples = [torch.zeros(i.shape, dtype=getattr(torch, i.dtype), device=device) for i in spec.inputs]
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(*examples)
    return ModelFacts(
        spec.name,
        sum(p.numel() for p in params),
        sum(p.numel() * p.element_size() for p in params),
        sum(b.numel() * b.element_size() for b in buffers),
        counter.get_total_flops() // 2,
        spec.inputs[0].shape,
        spec.task,
        spec.description,
    )
