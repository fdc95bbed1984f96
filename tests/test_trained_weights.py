"""The shipped HED weights: the registry builds them trained, the sidecar says how, and they find documents."""

import json

import pytest
import torch

from mbench import models
from mbench.data.docs import make_sample, split_indices
from mbench.accuracy.evaluate import DocExample, score_documents
from mbench.models.hed import WEIGHTS_DIR, hed_mobilenetv2_model


@pytest.mark.parametrize("name", ["hed-vgg", "hed-mobilenetv2"])
def test_registry_builds_trained_weights_with_a_recorded_recipe(name):
    shipped = torch.load(WEIGHTS_DIR / f"{name}.pt", weights_only=True)
    built = models.get(name).build().state_dict()
    assert all(torch.equal(built[k], shipped[k]) for k in shipped)
    record = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    assert record["command"].startswith(f"mbench train {name} ") and record["data_seed"] == 0
    assert record["curve"][-1]["loss"] < record["curve"][0]["loss"]


def test_untrained_build_differs():
    trained, fresh = hed_mobilenetv2_model().state_dict(), hed_mobilenetv2_model(pretrained=False).state_dict()
    assert not torch.equal(trained["sides.fuse.weight"], fresh["sides.fuse.weight"])


def test_trained_mobilenet_finds_held_out_documents():
    model = models.get("hed-mobilenetv2").build()
    held_out = [make_sample(0, i, 256) for i in split_indices(2000)["test"][:4]]
    examples = [DocExample(str(i), s.image, s.edges.astype(bool), s.corners) for i, s in enumerate(held_out)]

    def predict(image):
        with torch.inference_mode():
            return model(torch.from_numpy(image.transpose(2, 0, 1)[None].astype("float32") / 255)).numpy()

    scores = score_documents(predict, examples, levels=9)
    assert scores.ods_f > 0.5 and scores.detection_rate >= 0.5
