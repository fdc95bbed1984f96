"""FCN-8s (Long, Shelhamer & Darrell 2015) on a VGG16 backbone.

fc6/fc7 are convolutions; score maps from pool3, pool4 and fc7 are fused by transposed convs (k4 s2 p1, then
k16 s8 p4) initialised to bilinear upsampling, as the paper does. Convs use 'same' padding instead of the
original pad-100-and-crop, so the output is the input size without crops. Standard: 21 classes (PASCAL VOC),
fc6 7x7x4096; small: widths /4, fc6 3x3x256, fc7 256, 2 classes.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from mbench.models._layers import bilinear_kernel, scaled, zoo_spec
from mbench.models.registry import register

VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def vgg_block(c_in: int, widths: tuple[int, ...]) -> nn.Sequential:
    layers = []
    for c_out in widths:
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
        c_in = c_out
    return nn.Sequential(*layers, nn.MaxPool2d(2, 2))


def bilinear_upsampler(classes: int, kernel: int, stride: int, padding: int) -> nn.ConvTranspose2d:
    up = nn.ConvTranspose2d(classes, classes, kernel, stride, padding, bias=False)
    with torch.no_grad():
        up.weight.copy_(bilinear_kernel(classes, kernel))
    return up


class FCN8s(nn.Module):
    def __init__(self, width: float = 1.0, fc_width: int = 4096, fc_kernel: int = 7, classes: int = 21) -> None:
        super().__init__()
        w, blocks, c_in = scaled(width), [], 3
        for widths in VGG16_BLOCKS:
            blocks.append(vgg_block(c_in, tuple(map(w, widths))))
            c_in = w(widths[-1])
        self.to_pool3, self.to_pool4, self.to_pool5 = nn.Sequential(*blocks[:3]), blocks[3], blocks[4]
        self.fc = nn.Sequential(
            nn.Conv2d(c_in, fc_width, fc_kernel, padding=fc_kernel // 2),
            nn.ReLU(inplace=True),
            nn.Dropout2d(),
            nn.Conv2d(fc_width, fc_width, 1),
            nn.ReLU(inplace=True),
            nn.Dropout2d(),
        )
        self.score_fr = nn.Conv2d(fc_width, classes, 1)
        self.score_pool4, self.score_pool3 = nn.Conv2d(w(512), classes, 1), nn.Conv2d(w(256), classes, 1)
        self.up2, self.up_pool4 = bilinear_upsampler(classes, 4, 2, 1), bilinear_upsampler(classes, 4, 2, 1)
        self.up8 = bilinear_upsampler(classes, 16, 8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool3 = self.to_pool3(x)
        pool4 = self.to_pool4(pool3)
        score = self.up2(self.score_fr(self.fc(self.to_pool5(pool4))))
        score = self.up_pool4(score + self.score_pool4(pool4))
        return self.up8(score + self.score_pool3(pool3))


@register
def fcn8s():
    return zoo_spec(
        "fcn8s",
        FCN8s,
        (1, 3, 256, 256),
        "scores",
        "segmentation",
        "FCN-8s, VGG16 widths /4, fc6 3x3x256, 2 classes (small configuration)",
        width=0.25,
        fc_width=256,
        fc_kernel=3,
        classes=2,
    )


@register
def fcn8s_standard():
    return zoo_spec(
        "fcn8s@standard",
        FCN8s,
        (1, 3, 256, 256),
        "scores",
        "segmentation",
        "FCN-8s, VGG16 backbone, 21 classes (PASCAL VOC)",
    )
