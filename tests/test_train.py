"""Training: the class-balanced loss by hand, a two-step run on tiny data, checkpoints that load weights-only."""

import json

import pytest

from mbench.errors import MBenchError
import torch

from mbench.models.train import TrainConfig, balanced_bce, build_untrained, save_checkpoint, train


def test_balanced_bce_matches_the_formula():
    logits = torch.tensor([[2.0, -1.0, 0.5, -3.0]])
    target = torch.tensor([[1.0, 0.0, 0.0, 0.0]])
    beta = 0.75  # 3 negatives of 4
    pos = beta / (1 - beta) * torch.log1p(torch.exp(-logits[0, 0]))
    neg = torch.log1p(torch.exp(logits[0, 1:])).sum()
    expected = (1 - beta) * (pos + neg) / 4
    assert balanced_bce(logits, target).item() == pytest.approx(expected.item(), rel=1e-5)


def test_two_steps_on_tiny_data_then_weights_only_load(tmp_path):
    config = TrainConfig("hed-mobilenetv2", epochs=2, n_documents=5, size=32, batch=4)
    seen = []
    model, history = train(config, log=seen.append)
    assert [h.epoch for h in history] == [1, 2] and seen == history
    assert all(torch.isfinite(torch.tensor(h.loss)) for h in history)
    path = save_checkpoint(model, config, history, tmp_path / "m.pt", command="mbench train ...")
    fresh = build_untrained("hed-mobilenetv2")
    fresh.load_state_dict(torch.load(path, weights_only=True))
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["data_seed"] == 0 and record["config"]["size"] == 32 and record["epochs_run"] == 2
    assert record["final_loss"] == history[-1].loss


def test_only_hed_models_train():
    with pytest.raises(MBenchError, match="trainable models are hed-mobilenetv2, hed-vgg"):
        build_untrained("test-tiny")
