"""Building blocks shared by the zoo: conv + BN (+ ReLU), separable convs, bilinear kernels, model specs."""

from __future__ import annotations

import functools

import torch
import torch.nn as nn

from mbench.spec import InputSpec, ModelSpec


def conv_bn(
    c_in: int,
    c_out: int,
    kernel=3,
    stride: int = 1,
    padding=None,
    dilation: int = 1,
    groups: int = 1,
    relu: bool = True,
    eps: float = 1e-5,
) -> nn.Sequential:
    """Conv (no bias) + BatchNorm (+ ReLU); ``padding`` defaults to 'same' for odd kernels at stride 1."""
    if padding is None:
        padding = tuple(dilation * (k // 2) for k in _pair(kernel))
    layers = [
        nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation, groups, bias=False),
        nn.BatchNorm2d(c_out, eps=eps),
    ]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


def _pair(kernel) -> tuple[int, int]:
    return tuple(kernel) if isinstance(kernel, (tuple, list)) else (kernel, kernel)


class SeparableConv(nn.Module):
    """Depthwise 3x3 (optionally atrous) then pointwise 1x1, without biases.

    ``inner_bn``: BN + ReLU after the depthwise conv too (DeepLab V3+'s variant); Xception (Chollet) has none.
    ``out_bn``: BN after the pointwise conv (+ ReLU when ``relu``).
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        stride: int = 1,
        dilation: int = 1,
        inner_bn: bool = False,
        out_bn: bool = True,
        relu: bool = False,
    ) -> None:
        super().__init__()
        depthwise = [nn.Conv2d(c_in, c_in, 3, stride, dilation, dilation, groups=c_in, bias=False)]
        if inner_bn:
            depthwise += [nn.BatchNorm2d(c_in), nn.ReLU(inplace=True)]
        pointwise = [nn.Conv2d(c_in, c_out, 1, bias=False)]
        if out_bn:
            pointwise += [nn.BatchNorm2d(c_out)] + ([nn.ReLU(inplace=True)] if relu else [])
        self.depthwise, self.pointwise = nn.Sequential(*depthwise), nn.Sequential(*pointwise)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def bilinear_kernel(channels: int, kernel: int) -> torch.Tensor:
    """The (channels, channels, k, k) transposed-conv weight that upsamples each channel bilinearly (as in FCN)."""
    factor = (kernel + 1) // 2
    center = factor - 1 if kernel % 2 == 1 else factor - 0.5
    og = torch.arange(kernel, dtype=torch.float32)
    filt_1d = 1 - torch.abs(og - center) / factor
    weight = torch.zeros(channels, channels, kernel, kernel)
    weight[range(channels), range(channels)] = filt_1d[:, None] * filt_1d[None, :]
    return weight


def scaled(width: float):
    """A channel-count function for a width multiplier: at least one channel, rounded down."""
    return lambda channels: max(1, int(channels * width))


def zoo_spec(
    name: str, builder, shape: tuple[int, ...], output: str, task: str, description: str, **kwargs
) -> ModelSpec:
    """A spec whose builder is ``builder(**kwargs)``; ``source`` is the registry name, so artifacts can be rebuilt."""
    return ModelSpec(
        name,
        functools.partial(builder, **kwargs),
        (InputSpec("image", shape),),
        (output,),
        task,
        description,
        source=name,
    )


def classifier_head(c_in: int, classes: int) -> nn.Sequential:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, classes))
