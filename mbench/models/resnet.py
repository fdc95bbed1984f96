"""ResNet-50 (He et al. 2016), ResNeXt-50 32x4d (Xie et al. 2017) and SE-ResNeXt-50 (Hu et al. 2018).

All three are one bottleneck network: ``groups`` and ``width_per_group`` make it ResNeXt, ``se_reduction`` adds
squeeze-and-excitation. The small configurations divide every width by 4 (ResNeXt: 8 groups of 4 channels).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from mbench.models._layers import classifier_head, conv_bn, zoo_spec
from mbench.models.registry import register


class SqueezeExcite(nn.Module):
    """Global average pool, FC down by ``reduction``, ReLU, FC up, sigmoid, channel-wise multiply."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, channels // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped) with the stride, 1x1 expand, optional SE, residual through 1x1 conv when needed."""

    def __init__(self, c_in: int, width: int, c_out: int, stride: int, groups: int, se_reduction: int | None):
        super().__init__()
        body = [
            conv_bn(c_in, width, 1),
            conv_bn(width, width, 3, stride, groups=groups),
            conv_bn(width, c_out, 1, relu=False),
        ]
        if se_reduction:
            body.append(SqueezeExcite(c_out, se_reduction))
        self.body = nn.Sequential(*body)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = conv_bn(c_in, c_out, 1, stride, relu=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class BottleneckNet(nn.Module):
    """7x7/2 stem, 3x3/2 max-pool, four stages of (3, 4, 6, 3) bottlenecks, global pool, FC."""

    def __init__(
        self,
        base: int = 64,
        groups: int = 1,
        width_per_group: int = 64,
        se_reduction: int | None = None,
        classes: int = 1000,
        depths: tuple[int, ...] = (3, 4, 6, 3),
    ) -> None:
        super().__init__()
        layers, c_in = [conv_bn(3, base, 7, 2, 3), nn.MaxPool2d(3, 2, 1)], base
        for stage, depth in enumerate(depths):
            planes = base * 2**stage
            width = planes * width_per_group // base * groups
            for i in range(depth):
                stride = 2 if i == 0 and stage > 0 else 1
                layers.append(Bottleneck(c_in, width, planes * 4, stride, groups, se_reduction))
                c_in = planes * 4
        self.features = nn.Sequential(*layers)
        self.head = classifier_head(c_in, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


STANDARD_INPUT, SMALL_INPUT = (1, 3, 224, 224), (1, 3, 224, 224)


def _spec(name: str, description: str, shape=SMALL_INPUT, **config):
    return zoo_spec(name, BottleneckNet, shape, "logits", "classification", description, **config)


@register
def resnet50():
    return _spec(
        "resnet50", "ResNet-50, widths /4, 10 classes (small configuration)", base=16, width_per_group=16, classes=10
    )


@register
def resnet50_standard():
    return _spec("resnet50@standard", "ResNet-50 (ImageNet, 1000 classes)", STANDARD_INPUT)


@register
def resnext50():
    return _spec(
        "resnext50-32x4d",
        "ResNeXt-50, 8 groups x 4 channels, 10 classes (small configuration)",
        base=16,
        groups=8,
        width_per_group=4,
        classes=10,
    )


@register
def resnext50_standard():
    return _spec(
        "resnext50-32x4d@standard", "ResNeXt-50 32x4d (ImageNet)", STANDARD_INPUT, groups=32, width_per_group=4
    )


@register
def se_resnext50():
    return _spec(
        "se-resnext50",
        "SE-ResNeXt-50, 8 groups x 4 channels, 10 classes (small configuration)",
        base=16,
        groups=8,
        width_per_group=4,
        se_reduction=16,
        classes=10,
    )


@register
def se_resnext50_standard():
    return _spec(
        "se-resnext50@standard",
        "SE-ResNeXt-50 32x4d (ImageNet)",
        STANDARD_INPUT,
        groups=32,
        width_per_group=4,
        se_reduction=16,
    )
