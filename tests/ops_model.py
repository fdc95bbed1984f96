"""A model whose slowest module is known by construction, for the per-operator profiles (test_ops.py).

``wide`` is a 3x3 convolution of 64 to 64 channels (36,864 MACs a pixel); the others stay under 300 MACs a pixel,
so on any runtime ``wide`` must take most of the time. The final sigmoid is the root module's own op."""

from __future__ import annotations

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class WideInTheMiddle(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = Block(3, 64, 1)
        self.wide = Block(64, 64, 3)
        self.narrow = Block(64, 4, 1)
        self.head = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x):
        return torch.sigmoid(self.head(self.narrow(self.wide(self.stem(x)))))


def build() -> nn.Module:
    torch.manual_seed(0)
    return WideInTheMiddle()


INPUT_SHAPE = (1, 3, 64, 64)
SOURCE = f"{__file__}:build"
RUNTIMES = {"onnx": "onnxruntime", "executorch": "executorch", "pytorch": "torch-eager"}  # format -> runtime profiled


def estimated_rows(coreml_artifact, wide: float = 0.75, run_ms: float = 4.2) -> list:
    """The rows of a profile of estimated shares of this model's .mlpackage, as Core ML's compute plan gives them
    (the values are set here, not Core ML's: no Mac here): ``wide`` for the wide block, the stem the rest but 5 %,
    the root's sigmoid 5 %."""
    from mbench.ops.profile import OpProfile, OpsPlan, OpTime
    from mbench.ops.rows import op_rows

    ops = (
        OpTime("conv", wide, ("wide.conv", "wide.bn"), ("_native_batch_norm_legit_no_training_1",), "CPU", "fused"),
        OpTime(
            "conv", 0.95 - wide, ("stem.conv", "stem.bn"), ("_native_batch_norm_legit_no_training",), "CPU", "fused"
        ),
        OpTime("sigmoid", 0.05, ("(root)",), ("output",), "CPU", "node"),
    )
    profile = OpProfile("coreml", "9.0", 1, OpsPlan(), run_ms, ops, ("estimated",), 1.0, estimated=True)
    return op_rows(coreml_artifact, "host", profile)
