"""The seed zoo against the published figures of ../shared/MODELS.md, and the conv-variant micro-models.

A figure printed to n digits must agree to within one unit of its last digit (so both rounded and truncated
figures pass, and nothing looser does): 25.6 M allows 25.5-25.7 M.
"""

import pytest
import torch

from mbench import models
from mbench.models.facts import model_facts
from mbench.models.registry import names

M, G = 1e6, 1e9

# (name, published parameters, unit of its last digit, published GMACs, unit) for the standard configurations
STANDARD_FIGURES = [
    ("fcn8s@standard", 134.5 * M, 0.1 * M, 27.8 * G, 0.1 * G),
    ("deeplabv3plus-mobilenetv2@standard", 2.72 * M, 0.01 * M, 1.40 * G, 0.01 * G),
    ("deeplabv3plus-xception@standard", 41.1 * M, 0.1 * M, 12.8 * G, 0.1 * G),
    ("xception@standard", 22.9 * M, 0.1 * M, 8.36 * G, 0.01 * G),
    ("resnet50@standard", 25.6 * M, 0.1 * M, 4.09 * G, 0.01 * G),
    ("resnext50-32x4d@standard", 25.0 * M, 0.1 * M, 4.23 * G, 0.01 * G),
    ("se-resnext50@standard", 27.6 * M, 0.1 * M, 4.23 * G, 0.01 * G),
    ("inception-v1@standard", 7.0 * M, 0.1 * M, 1.58 * G, 0.01 * G),
    ("inception-v3@standard", 23.8 * M, 0.1 * M, 5.71 * G, 0.01 * G),
]


def _parameters_without_weights(name: str) -> int:
    """Build on the meta device: shapes only, so a 134 M-parameter model counts in milliseconds."""
    with torch.device("meta"):
        model = models.get(name).builder()
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("name", "params", "p_unit", "macs", "m_unit"), STANDARD_FIGURES)
def test_standard_variants_match_the_published_figures(name, params, p_unit, macs, m_unit):
    facts = model_facts(models.get(name))  # counted on the meta device: no arithmetic
    assert facts.parameters == pytest.approx(params, abs=p_unit)
    assert facts.macs == pytest.approx(macs, abs=m_unit)


# Small configurations with a figure in MODELS.md: (name, parameters, unit, GMACs, unit)
SMALL_FIGURES = [
    ("fcn8s", 1.28 * M, 0.01 * M, 1.30 * G, 0.01 * G),
    ("deeplabv3plus-mobilenetv2", 0.72 * M, 0.01 * M, 0.39 * G, 0.01 * G),
    ("xception", 0.72 * M, 0.01 * M, 0.23 * G, 0.01 * G),
]


@pytest.mark.parametrize(("name", "params", "p_unit", "macs", "m_unit"), SMALL_FIGURES)
def test_small_configurations_match_models_md(name, params, p_unit, macs, m_unit):
    facts = model_facts(models.get(name))
    assert facts.parameters == pytest.approx(params, abs=p_unit)
    assert facts.macs == pytest.approx(macs, abs=m_unit)


# MODELS.md's figures for these small configurations do not follow from their own descriptions (widths /4 divide
# conv weights by 16: ResNet-50's 23.5 M conv weights give 1.47 M, not 0.88 M; Inception v1 /2 gives 0.42 GMAC,
# not 0.56). These are the counts of the configurations as described; README lists both.
SMALL_COUNTS = [
    ("resnet50", 1_486_106),
    ("resnext50-32x4d", 1_721_178),
    ("se-resnext50", 1_882_374),
    ("inception-v1", 1_506_330),
    ("inception-v3", 1_373_346),
    ("deeplabv3plus-xception", 1_673_669),
]


@pytest.mark.parametrize(("name", "params"), SMALL_COUNTS)
def test_small_configurations_keep_their_parameter_counts(name, params):
    assert _parameters_without_weights(name) == params


def test_standard_variants_are_listed_only_on_request():
    assert "resnet50" in names() and "resnet50@standard" not in names()
    assert "resnet50@standard" in names(variants=True)


def test_fcn_upsamplers_start_as_bilinear_interpolation():
    model = models.get("fcn8s").build()
    x = torch.rand(1, 2, 8, 8)
    up = model.up_pool4(x)
    expected = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1])  # equal away from the border


@pytest.mark.parametrize(
    ("name", "shape"), [("fcn8s", (1, 2, 256, 256)), ("deeplabv3plus-xception", (1, 21, 256, 256))]
)
def test_models_produce_their_output_shape(name, shape):
    spec = models.get(name)
    with torch.inference_mode():
        assert spec.build()(torch.rand(spec.inputs[0].shape)).shape == shape


def test_the_seed_pair_has_108_and_39_weights():
    assert model_facts(models.get("conv-standard3x3-3to4")).parameters == 3 * 3 * 3 * 4 == 108
    assert model_facts(models.get("conv-depthwise-separable-3to4")).parameters == 27 + 12 == 39


@pytest.mark.parametrize(
    ("name", "params", "out_shape"),
    [
        ("conv-standard3x3", 9216, (1, 32, 64, 64)),
        ("conv-pointwise1x1", 1024, (1, 32, 64, 64)),
        ("conv-depthwise3x3", 288, (1, 32, 64, 64)),
        ("conv-depthwise-separable", 288 + 1024, (1, 32, 64, 64)),
        ("conv-grouped3x3", 2304, (1, 32, 64, 64)),
        ("conv-dilated3x3-r2", 9216, (1, 32, 64, 64)),
        ("conv-dilated3x3-r3", 9216, (1, 32, 64, 64)),
        ("conv-transposed-k3s2", 9216, (1, 32, 128, 128)),
        ("conv-transposed-k4s2", 16384, (1, 32, 128, 128)),
        ("resize-bilinear-x2", 0, (1, 32, 128, 128)),
    ],
)
def test_conv_variants_weights_and_shapes(name, params, out_shape):
    spec = models.get(name)
    model = spec.build()
    assert sum(p.numel() for p in model.parameters()) == params
    assert model(torch.rand(spec.inputs[0].shape)).shape == out_shape
