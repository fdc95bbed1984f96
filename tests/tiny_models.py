"""The tests' models, registered through MBENCH_MODEL_MODULES (conftest.py): a tiny real model with the HED
ingredients (conv+BN+ReLU, pool, depthwise, transposed conv, concat), and one with an op converters reject."""

from __future__ import annotations

import torch
import torch.nn as nn

from mbench.models.registry import register
from mbench.spec import InputSpec, ModelSpec


class TinyEdges(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.down = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.ReLU6())
        self.up = nn.ConvTranspose2d(8, 4, 4, 2, 1)
        self.head = nn.Conv2d(12, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.conv(x)
        b = self.up(self.down(a))
        return self.head(torch.cat([a, b], dim=1))


@register
def test_tiny() -> ModelSpec:
    return ModelSpec(
        "test-tiny",
        TinyEdges,
        (InputSpec("image", (1, 3, 32, 32)),),
        ("edges",),
        "edge-detection",
        "tiny test model with HED's op mix",
        source="test-tiny",
    )


class UnsupportedOp(nn.Module):
    """A conv then a batched matrix inverse: an op Core ML and ONNX have no conversion for (coverage tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.inv(self.conv(x) + 4 * torch.eye(x.shape[-1], device=x.device))


@register
def test_unsupported_op() -> ModelSpec:
    return ModelSpec(
        "test-unsupported-op",
        UnsupportedOp,
        (InputSpec("x", (1, 2, 4, 4)),),
        ("y",),
        "test",
        "tiny model with torch.linalg.inv, which converters reject",
        source="test-unsupported-op",
    )
