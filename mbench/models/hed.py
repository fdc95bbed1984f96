"""HED edge detectors for document scanning (Xie & Tu 2015), in the two sizes of ../shared/MODELS.md.

Both return fused logits of shape 1x1xHxW; ``side_outputs=True`` also returns the five side maps for training.
The registry builds them with the weights trained here (``weights/``); ``pretrained=False`` gives them untrained.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from mbench.models.registry import register, register_pair
from mbench.spec import InputSpec, ModelSpec

HED_INPUT = InputSpec("image", (1, 3, 256, 256))
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"  # trained here by `mbench train`; see README


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1, eps: float = 1e-5) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out, eps=eps), nn.ReLU(inplace=True)
    )


class SideOutputs(nn.Module):
    """dsn1..dsn5: 1x1 conv + BN per tap, transposed-conv upsampling by 2, 4, 8, 16, and a 1x1 fuse."""

    def __init__(self, channels: tuple[int, ...], eps: float = 1e-5) -> None:
        super().__init__()
        self.dsn = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, 1, 1, bias=False), nn.BatchNorm2d(1, eps=eps)) for c in channels
        )
        self.up = nn.ModuleList(nn.ConvTranspose2d(1, 1, 2 * f, f, f // 2) for f in (2, 4, 8, 16))
        self.fuse = nn.Conv2d(len(channels), 1, 1)

    def forward(self, taps: list[torch.Tensor]) -> list[torch.Tensor]:
        sides = [self.dsn[0](taps[0])]
        sides += [up(dsn(t)) for dsn, up, t in zip(self.dsn[1:], self.up, taps[1:])]
        return [self.fuse(torch.cat(sides, dim=1)), *sides]


class HEDVGG(nn.Module):
    """VGG-style HED: five conv blocks of widths 12..192, max-pool between them."""

    def __init__(self, widths: tuple[int, ...] = (12, 24, 48, 96, 192), depths=(2, 2, 3, 3, 3)) -> None:
        super().__init__()
        blocks, c_in = [], 3
        for width, depth in zip(widths, depths):
            layers = [conv_bn_relu(c_in if i == 0 else width, width) for i in range(depth)]
            blocks.append(nn.Sequential(*layers))
            c_in = width
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.MaxPool2d(2, 2)
        self.sides = SideOutputs(widths)

    def forward(self, x: torch.Tensor, side_outputs: bool = False):
        taps = []
        for i, block in enumerate(self.blocks):
            x = block(self.pool(x) if i else x)
            taps.append(x)
        maps = self.sides(taps)
        return maps if side_outputs else maps[0]


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand + ReLU6 (kept for t=1), 3x3 depthwise + ReLU6, 1x1 linear projection.

    Stride-1 blocks add a residual, through a 1x1 conv + BN when the channel count changes.
    """

    def __init__(self, c_in: int, c_out: int, expand: int, stride: int) -> None:
        super().__init__()
        hidden, eps = c_in * expand, 1e-3
        self.body = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden, eps=eps),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden, eps=eps),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, eps=eps),
        )
        self.residual = stride == 1
        self.shortcut = nn.Identity()
        if self.residual and c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out, eps=eps))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y + self.shortcut(x) if self.residual else y


# (c_in, c_out, expand, stride, side output after this block) for blocks 1_0 .. 5_2
MOBILENET_HED_BLOCKS = (
    (12, 6, 1, 1, True),
    (6, 12, 6, 2, False),
    (12, 12, 6, 1, True),
    (12, 24, 6, 2, False),
    (24, 24, 6, 1, False),
    (24, 24, 6, 1, True),
    (24, 48, 6, 2, False),
    (48, 48, 6, 1, False),
    (48, 48, 6, 1, False),
    (48, 48, 6, 1, False),
    (48, 64, 6, 1, False),
    (64, 64, 6, 1, False),
    (64, 64, 6, 1, True),
)


class HEDMobileNetV2(nn.Module):
    """MobileNetV2-style HED: a 3-conv stem, 13 inverted residual blocks, side outputs at 5 depths."""

    def __init__(self) -> None:
        super().__init__()
        eps = 1e-3
        self.stem = nn.ModuleList(
            [conv_bn_relu(3, 3, eps=eps), conv_bn_relu(3, 6, eps=eps), conv_bn_relu(6, 12, 2, eps)]
        )
        self.blocks = nn.ModuleList(InvertedResidual(*cfg[:4]) for cfg in MOBILENET_HED_BLOCKS)
        self.taps_after = [i for i, cfg in enumerate(MOBILENET_HED_BLOCKS) if cfg[4]]
        self.sides = SideOutputs((6, 6, 12, 24, 64), eps)

    def forward(self, x: torch.Tensor, side_outputs: bool = False):
        x = self.stem[1](self.stem[0](x))
        taps = [x]
        x = self.stem[2](x)
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps_after:
                taps.append(x)
        maps = self.sides(taps)
        return maps if side_outputs else maps[0]


UNTRAINED = {"hed-vgg": HEDVGG, "hed-mobilenetv2": HEDMobileNetV2}


def load_trained(model: nn.Module, name: str) -> nn.Module:
    """Load the shipped weights ``weights/NAME.pt`` (a state_dict) into ``model``."""
    path = WEIGHTS_DIR / f"{name}.pt"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: the trained weights of {name} are missing; retrain them with the command in "
            f"README.md (Trained weights), or build the model untrained with pretrained=False"
        )
    model.load_state_dict(torch.load(path, weights_only=True))
    return model


def hed_vgg_model(pretrained: bool = True) -> HEDVGG:
    return load_trained(HEDVGG(), "hed-vgg") if pretrained else HEDVGG()


def hed_mobilenetv2_model(pretrained: bool = True) -> HEDMobileNetV2:
    return load_trained(HEDMobileNetV2(), "hed-mobilenetv2") if pretrained else HEDMobileNetV2()


def _hed_spec(name: str, builder, description: str) -> ModelSpec:
    return ModelSpec(name, builder, (HED_INPUT,), ("edges",), "edge-detection", description, source=name)


@register
def hed_vgg() -> ModelSpec:
    return _hed_spec("hed-vgg", hed_vgg_model, "VGG-style HED edge detector (the 4.4 MB document-scanning model)")


@register
def hed_mobilenetv2() -> ModelSpec:
    return _hed_spec("hed-mobilenetv2", hed_mobilenetv2_model, "MobileNetV2-style HED edge detector (the 1.6 MB model)")


register_pair("hed-vgg", "hed-mobilenetv2")  # the document-scanning result: a 4.4 MB VGG against a 1.6 MB MobileNetV2
