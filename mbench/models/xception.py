"""Xception (Chollet 2017) and the aligned Xception-65 backbone of DeepLab V3+ (Chen et al. 2018).

Xception: separable convs without BN between depthwise and pointwise, 'same' 3x3/2 max-pools in the residual
blocks. Aligned Xception: every max-pool becomes a strided separable conv, BN + ReLU after each depthwise conv,
16 middle blocks; at output stride 16 the exit flow is atrous (dilation 2) instead of strided.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from mbench.models._layers import SeparableConv, classifier_head, conv_bn, scaled, zoo_spec
from mbench.models.registry import register


class XceptionBlock(nn.Module):
    """ReLU-SepConv-BN repeated, then a 'same' max-pool (or a strided last conv when ``aligned``), plus a residual."""

    def __init__(
        self,
        c_in: int,
        widths: tuple[int, ...],
        stride: int = 1,
        dilation: int = 1,
        first_relu: bool = True,
        aligned: bool = False,
        residual: str = "conv",
    ) -> None:
        super().__init__()
        layers, c = [], c_in
        for i, c_out in enumerate(widths):
            last = i == len(widths) - 1
            if aligned:
                layers.append(SeparableConv(c, c_out, stride if last else 1, dilation, inner_bn=True, relu=True))
            else:
                layers += ([nn.ReLU()] if (i or first_relu) else []) + [SeparableConv(c, c_out)]
            c = c_out
        if stride != 1 and not aligned:
            layers.append(nn.MaxPool2d(3, stride, 1))
        self.body = nn.Sequential(*layers)
        self.shortcut = None
        if residual == "conv":
            self.shortcut = conv_bn(c_in, c, 1, stride, 0, relu=False)
        elif residual == "identity":
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y if self.shortcut is None else y + self.shortcut(x)


class Xception(nn.Module):
    """Entry flow (32, 64 stem; blocks of 128, 256, 728), middle flow (728 x ``middle``), exit flow, classifier."""

    def __init__(self, width: float = 1.0, middle: int = 8, classes: int = 1000) -> None:
        super().__init__()
        w = scaled(width)
        self.features = nn.Sequential(
            conv_bn(3, w(32), 3, 2, 0),
            conv_bn(w(32), w(64), 3, 1, 0),
            XceptionBlock(w(64), (w(128),) * 2, 2, first_relu=False),
            XceptionBlock(w(128), (w(256),) * 2, 2),
            XceptionBlock(w(256), (w(728),) * 2, 2),
            *[XceptionBlock(w(728), (w(728),) * 3, residual="identity") for _ in range(middle)],
            XceptionBlock(w(728), (w(728), w(1024)), 2),
            SeparableConv(w(1024), w(1536), relu=True),
            SeparableConv(w(1536), w(2048), relu=True),
        )
        self.head = classifier_head(w(2048), classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class AlignedXception(nn.Module):
    """Aligned Xception-65 at output stride 16; returns (features at stride 16, low-level features at stride 4)."""

    def __init__(self, width: float = 1.0, middle: int = 16) -> None:
        super().__init__()
        w = scaled(width)
        self.stem = nn.Sequential(conv_bn(3, w(32), 3, 2, 1), conv_bn(w(32), w(64), 3))
        self.low = XceptionBlock(w(64), (w(128),) * 3, 2, aligned=True)
        self.entry = nn.Sequential(
            XceptionBlock(w(128), (w(256),) * 3, 2, aligned=True), XceptionBlock(w(256), (w(728),) * 3, 2, aligned=True)
        )
        self.middle = nn.Sequential(
            *[XceptionBlock(w(728), (w(728),) * 3, aligned=True, residual="identity") for _ in range(middle)]
        )
        self.exit = nn.Sequential(
            XceptionBlock(w(728), (w(728), w(1024), w(1024)), aligned=True),
            XceptionBlock(w(1024), (w(1536), w(1536), w(2048)), dilation=2, aligned=True, residual="none"),
        )
        self.channels, self.low_channels = w(2048), w(128)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        low = self.low(self.stem(x))
        return self.exit(self.middle(self.entry(low))), low


@register
def xception():
    return zoo_spec(
        "xception",
        Xception,
        (1, 3, 256, 256),
        "logits",
        "classification",
        "Xception, widths /4, 2 middle blocks, 10 classes (small configuration)",
        width=0.25,
        middle=2,
        classes=10,
    )


@register
def xception_standard():
    return zoo_spec("xception@standard", Xception, (1, 3, 299, 299), "logits", "classification", "Xception (ImageNet)")
