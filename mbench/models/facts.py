"""What a source model is, counted from the model itself: parameters, weight bytes, MACs."""
from __future__ import annotations

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
    """Count a model; MACs are half the FLOPs of torch's own flop counter on the spec's input."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = model if model is not None else spec.build()
    params = [p for p in model.parameters() if p.requires_grad]
    buffers = [b for b in model.buffers() if b.dtype.is_floating_point]
    example = torch.zeros(spec.inputs[0].shape)
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(example)
    return ModelFacts(
        spec.name, sum(p.numel() for p in params), sum(p.numel() * p.element_size() for p in params),
        sum(b.numel() * b.element_size() for b in buffers), counter.get_total_flops() // 2, spec.inputs[0].shape,
        spec.task, spec.description,
    )
