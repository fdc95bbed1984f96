"""Inception v1 with BatchNorm (GoogLeNet, Szegedy et al. 2015, 5x5 branches as published) and Inception v3
(Szegedy et al. 2016, factorised 1x7 / 7x1 kernels). Auxiliary classifiers are left out (inference graphs).

``width`` scales every channel count; the small configurations use width 1/2 (v1) and 1/4 (v3).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from mbench.models._layers import classifier_head, conv_bn, scaled, zoo_spec
from mbench.models.registry import register


class Branches(nn.Module):
    """Parallel branches concatenated on channels: the Inception module."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


def _seq(*layers) -> nn.Sequential:
    return nn.Sequential(*layers)


def inception_v1_module(c_in, c1, c3r, c3, c5r, c5, pool) -> Branches:
    return Branches(
        conv_bn(c_in, c1, 1),
        _seq(conv_bn(c_in, c3r, 1), conv_bn(c3r, c3, 3)),
        _seq(conv_bn(c_in, c5r, 1), conv_bn(c5r, c5, 5)),
        _seq(nn.MaxPool2d(3, 1, 1, ceil_mode=True), conv_bn(c_in, pool, 1)),
    )


# (c1, c3 reduce, c3, c5 reduce, c5, pool proj) of modules 3a..5b; "M" is a 3x3/2 ceil-mode max-pool
V1_MODULES = (
    (64, 96, 128, 16, 32, 32),
    (128, 128, 192, 32, 96, 64),
    "M",
    (192, 96, 208, 16, 48, 64),
    (160, 112, 224, 24, 64, 64),
    (128, 128, 256, 24, 64, 64),
    (112, 144, 288, 32, 64, 64),
    (256, 160, 320, 32, 128, 128),
    "M",
    (256, 160, 320, 32, 128, 128),
    (384, 192, 384, 48, 128, 128),
)


class InceptionV1(nn.Module):
    def __init__(self, width: float = 1.0, classes: int = 1000) -> None:
        super().__init__()
        w = scaled(width)
        layers = [
            conv_bn(3, w(64), 7, 2, 3),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            conv_bn(w(64), w(64), 1),
            conv_bn(w(64), w(192), 3),
            nn.MaxPool2d(3, 2, ceil_mode=True),
        ]
        c_in = w(192)
        for cfg in V1_MODULES:
            if cfg == "M":
                layers.append(nn.MaxPool2d(3, 2, ceil_mode=True))
                continue
            layers.append(inception_v1_module(c_in, *map(w, cfg)))
            c_in = sum(map(w, (cfg[0], cfg[2], cfg[4], cfg[5])))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(classifier_head(c_in, classes)[:2], nn.Dropout(0.4), nn.Linear(c_in, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _v3_conv(c_in, c_out, kernel, stride=1, padding=None) -> nn.Sequential:
    return conv_bn(c_in, c_out, kernel, stride, padding, eps=1e-3)


def _pool_branch(c_in, c_out) -> nn.Sequential:
    return _seq(nn.AvgPool2d(3, 1, 1), _v3_conv(c_in, c_out, 1))


def _chain(c_in, *steps) -> nn.Sequential:
    """1x1 then a chain of (channels, kernel) convs, all 'same'-padded."""
    layers = []
    for c_out, kernel in steps:
        layers.append(_v3_conv(c_in, c_out, kernel))
        c_in = c_out
    return _seq(*layers)


def v3_block_a(c_in, pool, w) -> Branches:
    return Branches(
        _v3_conv(c_in, w(64), 1),
        _chain(c_in, (w(48), 1), (w(64), 5)),
        _chain(c_in, (w(64), 1), (w(96), 3), (w(96), 3)),
        _pool_branch(c_in, w(pool)),
    )


def v3_reduction_b(c_in, w) -> Branches:
    return Branches(
        _v3_conv(c_in, w(384), 3, 2, 0),
        _seq(_chain(c_in, (w(64), 1), (w(96), 3)), _v3_conv(w(96), w(96), 3, 2, 0)),
        nn.MaxPool2d(3, 2),
    )


def v3_block_c(c_in, c7, w) -> Branches:
    return Branches(
        _v3_conv(c_in, w(192), 1),
        _chain(c_in, (w(c7), 1), (w(c7), (1, 7)), (w(192), (7, 1))),
        _chain(c_in, (w(c7), 1), (w(c7), (7, 1)), (w(c7), (1, 7)), (w(c7), (7, 1)), (w(192), (1, 7))),
        _pool_branch(c_in, w(192)),
    )


def v3_reduction_d(c_in, w) -> Branches:
    return Branches(
        _seq(_v3_conv(c_in, w(192), 1), _v3_conv(w(192), w(320), 3, 2, 0)),
        _seq(_chain(c_in, (w(192), 1), (w(192), (1, 7)), (w(192), (7, 1))), _v3_conv(w(192), w(192), 3, 2, 0)),
        nn.MaxPool2d(3, 2),
    )


class SplitPair(nn.Module):
    """A conv followed by 1x3 and 3x1 convs in parallel, concatenated (Inception v3's block E)."""

    def __init__(self, stem: nn.Module, c_mid: int, c_out: int) -> None:
        super().__init__()
        self.stem = stem
        self.pair = Branches(_v3_conv(c_mid, c_out, (1, 3)), _v3_conv(c_mid, c_out, (3, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pair(self.stem(x))


def v3_block_e(c_in, w) -> Branches:
    return Branches(
        _v3_conv(c_in, w(320), 1),
        SplitPair(_v3_conv(c_in, w(384), 1), w(384), w(384)),
        SplitPair(_chain(c_in, (w(448), 1), (w(384), 3)), w(384), w(384)),
        _pool_branch(c_in, w(192)),
    )


class InceptionV3(nn.Module):
    def __init__(self, width: float = 1.0, classes: int = 1000) -> None:
        super().__init__()
        w = scaled(width)
        stem = [
            _v3_conv(3, w(32), 3, 2, 0),
            _v3_conv(w(32), w(32), 3, 1, 0),
            _v3_conv(w(32), w(64), 3),
            nn.MaxPool2d(3, 2),
            _v3_conv(w(64), w(80), 1),
            _v3_conv(w(80), w(192), 3, 1, 0),
            nn.MaxPool2d(3, 2),
        ]
        a_out = lambda pool: w(64) + w(64) + w(96) + w(pool)  # noqa: E731
        blocks = [v3_block_a(w(192), 32, w), v3_block_a(a_out(32), 64, w), v3_block_a(a_out(64), 64, w)]
        blocks.append(v3_reduction_b(a_out(64), w))
        c = w(384) + w(96) + a_out(64)
        blocks += [v3_block_c(c, c7, w) for c7 in (128, 160, 160, 192)]
        blocks.append(v3_reduction_d(c, w))
        e_in = w(320) + w(192) + c
        e_out = w(320) + 4 * w(384) + w(192)
        blocks += [v3_block_e(e_in, w), v3_block_e(e_out, w)]
        self.features = nn.Sequential(*stem, *blocks)
        self.head = nn.Sequential(classifier_head(e_out, classes)[:2], nn.Dropout(0.5), nn.Linear(e_out, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _spec(name: str, builder, shape: tuple[int, ...], description: str, **config):
    return zoo_spec(name, builder, shape, "logits", "classification", description, **config)


V1_INPUT, V3_INPUT = (1, 3, 224, 224), (1, 3, 299, 299)


@register
def inception_v1():
    return _spec(
        "inception-v1",
        InceptionV1,
        V1_INPUT,
        "Inception v1 (GoogLeNet) with BatchNorm, width /2, 10 classes (small configuration)",
        width=0.5,
        classes=10,
    )


@register
def inception_v1_standard():
    return _spec("inception-v1@standard", InceptionV1, V1_INPUT, "Inception v1 (GoogLeNet) with BatchNorm (ImageNet)")


@register
def inception_v3():
    return _spec(
        "inception-v3",
        InceptionV3,
        V3_INPUT,
        "Inception v3, width /4, 10 classes (small configuration)",
        width=0.25,
        classes=10,
    )


@register
def inception_v3_standard():
    return _spec("inception-v3@standard", InceptionV3, V3_INPUT, "Inception v3 (ImageNet, no auxiliary classifier)")
