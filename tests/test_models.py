import pytest
import torch

from mbench import models
from mbench.models.facts import model_facts
from mbench.models.registry import UnknownModelError, register
from mbench.models.sources import ModelSourceError, spec_from_source


@pytest.mark.parametrize(
    ("name", "params", "gmacs"), [("hed-vgg", 1_101_948, 0.873), ("hed-mobilenetv2", 282_633, 0.140)]
)
def test_hed_models_match_the_published_architecture(name, params, gmacs):
    facts = model_facts(models.get(name))
    assert facts.parameters == params
    assert facts.weight_bytes == params * 4
    assert facts.macs / 1e9 == pytest.approx(gmacs, abs=0.0005)


def test_mobilenet_hed_batchnorm_statistics_are_counted_apart():
    facts = model_facts(models.get("hed-mobilenetv2"))
    assert facts.buffer_bytes == 11_340 * 4


@pytest.mark.parametrize("name", ["hed-vgg", "hed-mobilenetv2"])
def test_hed_returns_fused_logits_and_five_side_outputs(name):
    model = models.get(name).build()
    x = torch.rand(1, 3, 64, 64)
    fused = model(x)
    sides = model(x, side_outputs=True)
    assert fused.shape == (1, 1, 64, 64)
    assert len(sides) == 6 and all(s.shape == (1, 1, 64, 64) for s in sides)
    torch.testing.assert_close(sides[0], fused)


def test_registry_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="already registered"):
        register(lambda: models.get("hed-vgg"))


def test_unknown_model_names_the_registered_ones():
    with pytest.raises(UnknownModelError, match="hed-mobilenetv2"):
        models.get("hed-vgq")


def test_user_model_from_a_file(tmp_path):
    source = tmp_path / "mine.py"
    source.write_text("import torch\ndef build():\n    return torch.nn.Conv2d(3, 2, 3)\n")
    spec = spec_from_source(f"{source}:build", (1, 3, 16, 16))
    assert spec.name == "mine" and spec.inputs[0].shape == (1, 3, 16, 16)
    assert spec.build()(torch.zeros(1, 3, 16, 16)).shape == (1, 2, 14, 14)


def test_user_model_is_named_after_its_file_or_module_or_name(tmp_path):
    source = tmp_path / "my_effnet.py"
    source.write_text("import torch\ndef build():\n    return torch.nn.Conv2d(3, 2, 3)\n")
    assert spec_from_source(f"{source}:build", (1, 3, 8, 8)).name == "my-effnet"
    assert spec_from_source(f"{source}:build", (1, 3, 8, 8), "effnet-b0").name == "effnet-b0"
    assert spec_from_source("torch.nn.modules.linear:Identity", (1, 3, 8, 8)).name == "linear"
    with pytest.raises(ModelSourceError, match="'a/b'.*names a folder"):
        spec_from_source(f"{source}:build", (1, 3, 8, 8), "a/b")


def test_user_model_errors_say_what_is_missing(tmp_path):
    with pytest.raises(ModelSourceError, match="input shape"):
        spec_from_source("mine.py:build")
    with pytest.raises(ModelSourceError, match="does not exist"):
        spec_from_source(f"{tmp_path}/absent.py:build", (1, 3, 8, 8))
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(ModelSourceError, match="no callable 'build'"):
        spec_from_source(f"{tmp_path}/empty.py:build", (1, 3, 8, 8))
