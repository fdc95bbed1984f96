"""A failed conversion names the first module that does not convert, found by converting submodules alone."""

import time

import pytest
import torch
from torch import nn

from mbench import models
from mbench.convert.diagnose import describe_module, first_failing_module, operator_in_message
from mbench.convert.pipeline import convert_model
from mbench.spec import Format, InputSpec, ModelSpec, Status


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()
        self.up2 = models.get("conv-transposed-k3s2").build()  # the zoo's layer that litert-torch rejects

    def forward(self, x):
        return self.up2(self.act(x))


class Container(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Conv2d(32, 32, 3, padding=1)
        self.decoder = Decoder()

    def forward(self, x):
        return self.decoder(self.encoder(x))


def test_tflite_failure_names_the_transposed_conv_and_keeps_the_message(tmp_path):
    spec = ModelSpec("test-container", Container, (InputSpec("x", (1, 32, 16, 16)),), ("y",), "test")
    (outcome,) = [o for o in convert_model(spec, [Format.TFLITE], tmp_path) if o.format is Format.TFLITE]
    assert outcome.artifact is None and outcome.status is Status.FAILED
    assert outcome.error.startswith("fails at decoder.up2 (ConvTranspose2d k3 s2 p1 op1): ")
    assert "failed to legalize operation" in outcome.error
    assert operator_in_message(outcome.error) == "mhlo.convolution"


@pytest.mark.parametrize(
    ("module", "text"),
    [
        (nn.ConvTranspose2d(4, 4, 3, 2, 1, output_padding=1), "ConvTranspose2d k3 s2 p1 op1"),
        (nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=4), "Conv2d k3 s1 p2 d2 g4"),
        (nn.Upsample(scale_factor=2.0, mode="bilinear"), "Upsample x2.0 bilinear"),
        (nn.ReLU(), "ReLU"),
    ],
)
def test_modules_are_described_with_their_key_hyper_parameters(module, text):
    assert describe_module(module) == text


def test_the_search_stops_at_its_time_budget_with_the_deepest_failure_so_far():
    def slow(module, sample):  # the decoder and everything in it fail, each try takes 0.2 s
        time.sleep(0.2)
        return "" if isinstance(module, nn.Conv2d) else "nope"

    culprit = first_failing_module(Container(), torch.zeros(1, 32, 8, 8), slow, seconds=0.3)
    assert culprit.name == "decoder" and not culprit.complete and "search stopped" in str(culprit)
    assert first_failing_module(Container(), torch.zeros(1, 32, 8, 8), slow).name == "decoder.act"
    assert first_failing_module(Container(), torch.zeros(1, 32, 8, 8), lambda m, s: "") is None


def test_a_lower_precision_whose_model_converts_at_fp32_is_not_searched(tmp_path):
    from converters import tflite

    from mbench.convert.diagnose import culprit_for
    from mbench.spec import Precision

    spec = ModelSpec("test-conv", lambda: nn.Conv2d(3, 3, 3), (InputSpec("x", (1, 3, 8, 8)),), ("y",), "test")
    started = time.monotonic()
    assert (
        culprit_for(
            tflite,
            spec.build(),
            spec,
            torch.zeros(1, 3, 8, 8),
            tflite.Options(),
            tmp_path / "m-int8.tflite",
            Precision.INT8,
        )
        is None
    )
    culprit = culprit_for(
        tflite,
        Container().eval(),
        spec,
        torch.zeros(1, 32, 8, 8),
        tflite.Options(),
        tmp_path / "c-int8.tflite",
        Precision.INT8,
    )
    assert str(culprit) == "decoder.up2 (ConvTranspose2d k3 s2 p1 op1)" and time.monotonic() - started < 120
