"""Arrays through the agent's JSON lines: each one as the base64 text of its .npy bytes (dtype and shape kept exactly,
no pickle), so an artifact's inputs go to a device and its outputs come back bit for bit."""

from __future__ import annotations

import base64
import io

import numpy as np


def encode(arrays: list[np.ndarray]) -> list[str]:
    texts = []
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(array), allow_pickle=False)
        texts.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    return texts


def decode(texts: list[str]) -> list[np.ndarray]:
    return [np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False) for text in texts]
