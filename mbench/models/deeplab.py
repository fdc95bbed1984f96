"""DeepLab V3+ (Chen et al. 2018) at output stride 16 on MobileNetV2 or aligned Xception-65.

ASPP: a 1x1 branch, three atrous depthwise-separable branches (rates 6, 12, 18), an image-pooling branch
(global mean, 1x1, bilinear back to the feature size), a 1x1 projection. Decoder: 1x1 on the stride-4 low-level
features (48 channels), bilinear x4 of the ASPP output, two separable 3x3 convs, a 1x1 classifier, bilinear x4.
Bilinear resizes use align_corners=True, as the reference TensorFlow implementation does.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from mbench.models._layers import SeparableConv, conv_bn, zoo_spec
from mbench.models.registry import register
from mbench.models.xception import AlignedXception


def _divisible(channels: float, divisor: int = 8) -> int:
    """MobileNetV2's channel rounding: to the nearest multiple of 8, never below 90 % of the request."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


def _relu6_conv(c_in, c_out, kernel=1, stride=1, dilation=1, groups=1) -> nn.Sequential:
    layers = conv_bn(c_in, c_out, kernel, stride, dilation=dilation, groups=groups)
    layers[2] = nn.ReLU6(inplace=True)
    return layers


class MobileNetV2Block(nn.Module):
    """Inverted residual: 1x1 expand (absent for t=1), 3x3 depthwise (strided or atrous), 1x1 linear projection."""

    def __init__(self, c_in: int, c_out: int, expand: int, stride: int, dilation: int) -> None:
        super().__init__()
        hidden = c_in * expand
        layers = [_relu6_conv(c_in, hidden)] if expand != 1 else []
        layers += [_relu6_conv(hidden, hidden, 3, stride, dilation, hidden), conv_bn(hidden, c_out, 1, relu=False)]
        self.body, self.residual = nn.Sequential(*layers), stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.residual else self.body(x)


# (expansion t, channels c, repeats n, stride s) of MobileNetV2; the stride-2 stage of 160 becomes dilation 2
MOBILENETV2_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class MobileNetV2Encoder(nn.Module):
    """MobileNetV2 without its last 1x1 conv, at output stride 16; returns (features, stride-4 low-level features)."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        c_in, blocks, dilation = _divisible(32 * width), [], 1
        self.stem = _relu6_conv(3, c_in, 3, 2)
        for i, (t, c, n, s) in enumerate(MOBILENETV2_STAGES):
            c_out, stride = _divisible(c * width), s
            if i == 5:
                stride, dilation = 1, 2
            for j in range(n):
                blocks.append(MobileNetV2Block(c_in, c_out, t, stride if j == 0 else 1, dilation))
                c_in = c_out
        self.low, self.high = nn.Sequential(*blocks[:3]), nn.Sequential(*blocks[3:])
        self.channels, self.low_channels = c_in, _divisible(24 * width)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        low = self.low(self.stem(x))
        return self.high(low), low


def resize(x: torch.Tensor, size) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=True)


class ASPP(nn.Module):
    def __init__(self, c_in: int, c_out: int, rates: tuple[int, ...] = (6, 12, 18)) -> None:
        super().__init__()
        self.branches = nn.ModuleList([conv_bn(c_in, c_out, 1)])
        self.branches.extend(SeparableConv(c_in, c_out, dilation=r, inner_bn=True, relu=True) for r in rates)
        self.image_pool = conv_bn(c_in, c_out, 1)
        self.project = conv_bn(c_out * (len(rates) + 2), c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = resize(self.image_pool(x.mean(dim=(2, 3), keepdim=True)), x.shape[-2:])
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], dim=1))


class DeepLabV3Plus(nn.Module):
    def __init__(self, encoder: nn.Module, channels: int = 256, low_level: int = 48, classes: int = 21) -> None:
        super().__init__()
        self.encoder = encoder
        self.aspp = ASPP(encoder.channels, channels)
        self.reduce_low = conv_bn(encoder.low_channels, low_level, 1)
        self.decoder = nn.Sequential(
            SeparableConv(channels + low_level, channels, inner_bn=True, relu=True),
            SeparableConv(channels, channels, inner_bn=True, relu=True),
        )
        self.classifier = nn.Conv2d(channels, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features, low = self.encoder(x)
        low = self.reduce_low(low)
        y = torch.cat([resize(self.aspp(features), low.shape[-2:]), low], dim=1)
        return resize(self.classifier(self.decoder(y)), x.shape[-2:])


def deeplab_mobilenetv2(width: float = 1.0, channels: int = 256) -> DeepLabV3Plus:
    return DeepLabV3Plus(MobileNetV2Encoder(width), channels)


def deeplab_xception(width: float = 1.0, middle: int = 16, channels: int = 256) -> DeepLabV3Plus:
    return DeepLabV3Plus(AlignedXception(width, middle), channels)


def _spec(name: str, builder, description: str, **config):
    return zoo_spec(name, builder, (1, 3, 256, 256), "scores", "segmentation", description, **config)


@register
def deeplabv3plus_mobilenetv2():
    return _spec(
        "deeplabv3plus-mobilenetv2",
        deeplab_mobilenetv2,
        "DeepLab V3+, MobileNetV2 width 0.5, ASPP/decoder 128 (small configuration)",
        width=0.5,
        channels=128,
    )


@register
def deeplabv3plus_mobilenetv2_standard():
    return _spec("deeplabv3plus-mobilenetv2@standard", deeplab_mobilenetv2, "DeepLab V3+, MobileNetV2, 21 classes")


@register
def deeplabv3plus_xception():
    return _spec(
        "deeplabv3plus-xception",
        deeplab_xception,
        "DeepLab V3+, aligned Xception-65 widths /4, 4 middle blocks, ASPP/decoder 128 (small configuration)",
        width=0.25,
        middle=4,
        channels=128,
    )


@register
def deeplabv3plus_xception_standard():
    return _spec("deeplabv3plus-xception@standard", deeplab_xception, "DeepLab V3+, aligned Xception-65, 21 classes")
