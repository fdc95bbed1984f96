"""Convolution variants, one layer each with a fixed input, for a layer-level benchmark across formats.

The main set maps 32 channels to 32 at 1x32x64x64 (a mid-network MobileNet-sized layer). The ``-3to4`` pair is
the seed's example on an image input: a 3x3 conv from 3 to 4 channels has 3*3*3*4 = 108 weights, its
depthwise-separable counterpart 27 + 12 = 39. No layer has a bias, so the weight counts are exactly the kernels.
"""

from __future__ import annotations

import functools

import torch
import torch.nn as nn
import torch.nn.functional as F

from mbench.models.registry import register
from mbench.spec import InputSpec, ModelSpec

CHANNELS, SIZE = 32, 64
LAYER_INPUT = (1, CHANNELS, SIZE, SIZE)
SEED_INPUT = (1, 3, 128, 128)


def depthwise_separable(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False), nn.Conv2d(c_in, c_out, 1, bias=False)
    )


class BilinearResize(nn.Module):
    """x2 bilinear upsampling (align_corners=False), the resize that replaces transposed convs in many decoders."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


C = CHANNELS
LAYERS = {
    "conv-standard3x3": (lambda: nn.Conv2d(C, C, 3, padding=1, bias=False), "3x3 conv"),
    "conv-pointwise1x1": (lambda: nn.Conv2d(C, C, 1, bias=False), "1x1 pointwise conv"),
    "conv-depthwise3x3": (lambda: nn.Conv2d(C, C, 3, padding=1, groups=C, bias=False), "3x3 depthwise conv"),
    "conv-depthwise-separable": (lambda: depthwise_separable(C, C), "3x3 depthwise + 1x1 pointwise"),
    "conv-grouped3x3": (lambda: nn.Conv2d(C, C, 3, padding=1, groups=4, bias=False), "3x3 conv, 4 groups"),
    "conv-dilated3x3-r2": (lambda: nn.Conv2d(C, C, 3, padding=2, dilation=2, bias=False), "3x3 conv, dilation 2"),
    "conv-dilated3x3-r3": (lambda: nn.Conv2d(C, C, 3, padding=3, dilation=3, bias=False), "3x3 conv, dilation 3"),
    "conv-transposed-k3s2": (
        lambda: nn.ConvTranspose2d(C, C, 3, 2, 1, output_padding=1, bias=False),
        "transposed conv, kernel 3, stride 2, output_padding 1 (x2)",
    ),
    "conv-transposed-k4s2": (
        lambda: nn.ConvTranspose2d(C, C, 4, 2, 1, bias=False),
        "transposed conv, kernel 4, stride 2 (x2)",
    ),
    "resize-bilinear-x2": (BilinearResize, "bilinear resize x2, no weights"),
}
SEED_PAIR = {
    "conv-standard3x3-3to4": (lambda: nn.Conv2d(3, 4, 3, padding=1, bias=False), "3x3 conv 3->4: 108 weights"),
    "conv-depthwise-separable-3to4": (
        lambda: depthwise_separable(3, 4),
        "depthwise-separable 3->4: 27 + 12 = 39 weights",
    ),
}


def _layer_spec(name: str, builder, description: str, shape: tuple[int, ...]) -> ModelSpec:
    return ModelSpec(name, builder, (InputSpec("x", shape),), ("y",), "layer", description, source=name)


def _register_all() -> None:
    for table, shape in ((LAYERS, LAYER_INPUT), (SEED_PAIR, SEED_INPUT)):
        for name, (builder, description) in table.items():
            register(
                functools.partial(_layer_spec, name, builder, f"{description} on {'x'.join(map(str, shape))}", shape)
            )


def layer_names() -> list[str]:
    return [*LAYERS, *SEED_PAIR]


_register_all()
