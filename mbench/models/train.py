"""Train an HED model on synthetic documents on the CPU, with the original project's loss.

Loss: class-balanced sigmoid cross-entropy (Xie & Tu 2015) on the fused map and on each side output (deep
supervision): beta = negative pixels / all pixels over the batch, positives weighted beta / (1 - beta), the whole
scaled by (1 - beta). Adam. The data are drawn from a seed at the training resolution (HED is fully convolutional,
so weights trained at 128 x 128 run at 256 x 256).
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Callable

import numpy as np

from mbench.data.docs import make_sample, split_indices


@dataclass(frozen=True)
class TrainConfig:
    model: str
    epochs: int = 6
    n_documents: int = 2000  # train split is the first 80%, as `mbench data docs --n N` splits it
    size: int = 128
    batch: int = 8
    lr: float = 5e-4
    seed: int = 0  # data seed
    init_seed: int = 0  # weight initialisation and batch order
    threads: int = 1
    side_weight: float = 1.0  # deep supervision: weight of each side output's loss
    max_minutes: float | None = None  # stop after the epoch that crosses this wall time


@dataclass(frozen=True)
class EpochLog:
    epoch: int
    loss: float
    seconds: float


def balanced_bce(logits, target):
    """Class-balanced sigmoid cross-entropy; ``target`` holds 0/1 floats of the logits' shape."""
    import torch.nn.functional as F

    beta = (1 - target.mean()).clamp(1e-4, 1 - 1e-4)
    pos_weight = (beta / (1 - beta)).reshape(1)
    return F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight) * (1 - beta)


def hed_loss(outputs, target, side_weight: float):
    fused, *sides = outputs
    return balanced_bce(fused, target) + side_weight * sum(balanced_bce(s, target) for s in sides)


def training_arrays(config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The train split at the training size: images N x 3 x S x S uint8 and edges N x 1 x S x S uint8."""
    indices = split_indices(config.n_documents)["train"]
    samples = [make_sample(config.seed, i, config.size) for i in indices]
    images = np.stack([s.image.transpose(2, 0, 1) for s in samples])
    edges = np.stack([s.edges[None] for s in samples])
    return images, edges


def build_untrained(name: str):
    """A freshly initialised HED: Xavier-uniform convolutions, bilinear transposed convolutions (Xie & Tu 2015)."""
    from mbench.models.hed import UNTRAINED
    from mbench.models.registry import UnknownModelError

    if name not in UNTRAINED:
        raise UnknownModelError(f"cannot train {name!r}: trainable models are {', '.join(sorted(UNTRAINED))}")
    model = UNTRAINED[name]()
    for module in model.modules():
        _initialise(module)
    return model


def _initialise(module) -> None:
    import torch.nn as nn

    if isinstance(module, nn.ConvTranspose2d):
        nn.init.zeros_(module.bias)
        module.weight.data.copy_(_bilinear_kernel(module.kernel_size[0]))
    elif isinstance(module, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)


def _bilinear_kernel(k: int):
    import torch

    centre = (k - 1) / 2 if k % 2 else k / 2 - 0.5
    ramp = 1 - torch.abs(torch.arange(k, dtype=torch.float32) - centre) / (k / 2)
    return (ramp[:, None] * ramp[None, :]).reshape(1, 1, k, k)


def train(config: TrainConfig, log: Callable[[EpochLog], None] | None = None):
    """Train ``config.model`` from scratch; returns the model (in eval mode) and the per-epoch log."""
    import torch

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.init_seed)
    model = build_untrained(config.model)
    model.train()
    images, edges = training_arrays(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    order = np.random.default_rng(config.init_seed)
    history, started = [], time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        loss = _epoch(model, optimizer, images, edges, order.permutation(len(images)), config)
        history.append(EpochLog(epoch, loss, time.perf_counter() - started))
        if log:
            log(history[-1])
        if config.max_minutes is not None and history[-1].seconds > config.max_minutes * 60:
            break
    model.eval()
    return model, history


def _epoch(model, optimizer, images, edges, permutation, config: TrainConfig) -> float:
    import torch

    total, batches = 0.0, 0
    for start in range(0, len(permutation) - config.batch + 1, config.batch):
        chosen = permutation[start : start + config.batch]
        x = torch.from_numpy(images[chosen]).float() / 255
        y = torch.from_numpy(edges[chosen]).float()
        loss = hed_loss(model(x, side_outputs=True), y, config.side_weight)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, batches = total + loss.item(), batches + 1
    return total / max(batches, 1)


def save_checkpoint(model, config: TrainConfig, history: list[EpochLog], path: Path, command: str = "") -> Path:
    """``path`` (.pt): the state_dict alone, loadable with ``torch.load(weights_only=True)``; ``path`` .json: how."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    record = {
        "config": asdict(config),
        "data_seed": config.seed,
        "epochs_run": len(history),
        "final_loss": history[-1].loss if history else None,
        "wall_seconds": round(history[-1].seconds, 1) if history else 0.0,
        "curve": [asdict(h) for h in history],
        "command": command,
        "torch": torch.__version__,
        "host": {"machine": platform.machine(), "python": platform.python_version()},
    }
    path.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return path
