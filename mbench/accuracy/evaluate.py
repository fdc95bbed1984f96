"""Score artifacts on a task's data and turn the scores into measurement rows.

The document task (every edge-detection artifact on the synthetic test split) stores ``ods_f``, ``ois_f``, ``ap``
(BSDS edge protocol) and ``corner_iou``, ``detection_rate`` (the phone's corner pipeline); the plug-in tasks store
``top1`` (class sub-folders) and ``miou`` (images/ and masks/ folders). An artifact this host cannot execute
(Core ML off macOS) gets one not_run row per metric with the reason; one that fails gets failed rows with the error;
the others go on.
"""

from __future__ import annotations

import enum
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import assert_never
from collections.abc import Callable, Iterator

import numpy as np

from mbench.accuracy.classify import image_folder, top1_accuracy
from mbench.accuracy.corners import corner_scores, find_document
from mbench.data.docs import read_rgb
from mbench.accuracy.edges import (
    DEFAULT_THRESHOLDS,
    MATCH_TOLERANCE,
    edge_counts,
    edge_scores,
    matcher_seed,
    sigmoid,
    thresholds,
)
from mbench.accuracy.predict import ArtifactPredictor, Preprocess, output_index, resize_map
from mbench.accuracy.resolution import edge_parts, image_set
from mbench.accuracy.segment import mask_pairs, mean_iou
from mbench.accuracy.device_parity import device_parity
from mbench.artifacts import Artifact
from mbench.devices.predict import Target
from mbench.results import Context, Measurement, RowKey, describe_error
from mbench.runners.base import NotRunnableHere
from mbench.spec import Status

DOC_METRICS = (("ods_f", "F"), ("ois_f", "F"), ("ap", "AP"), ("corner_iou", "IoU"), ("detection_rate", "fraction"))


@dataclass(frozen=True)
class DocExample:
    name: str
    image: np.ndarray
    edges: np.ndarray
    corners: np.ndarray


@dataclass(frozen=True)
class DocScores:
    ods_f: float
    ois_f: float
    ap: float
    corner_iou: float
    detection_rate: float
    ods_threshold: float
    images: int
    seconds: float
    per_image: dict  # metric -> each image's parts (accuracy.resolution), kept in that metric's row
    image_set: str  # which images, in which order (accuracy.resolution.image_set)


def load_split(data_dir: Path, split: str = "test", limit: int | None = None) -> list[DocExample]:
    """The images, edge labels and corners that `mbench data docs` wrote under ``data_dir/split``."""
    folder = Path(data_dir) / split
    labels = folder / "corners.json"
    if not labels.is_file():
        raise FileNotFoundError(
            f"{labels} does not exist: generate the data first, e.g. "
            f"`mbench data docs --n 300 --seed 0 --out {data_dir}`"
        )
    corners = json.loads(labels.read_text())
    names = sorted(corners)[:limit]
    return [
        DocExample(
            n,
            read_rgb(folder / f"{n}.png"),
            (read_rgb(folder / f"{n}_edges.png")[..., 0] > 127),
            np.float32(corners[n]),
        )
        for n in names
    ]


def is_edge_model(artifact: Artifact, output: str = "") -> bool:
    """Edge maps are one channel at the input's resolution: N x 1 x H x W from N x 3 x H x W (the scored output)."""
    names = [o.name for o in artifact.outputs]
    if not names or output and output not in names:
        return False
    shape_in, shape_out = artifact.inputs[0].shape, artifact.outputs[output_index(artifact, output)].shape
    return (
        len(shape_in) == 4
        and shape_in[1] == 3
        and len(shape_out) == 4
        and shape_out[1] == 1
        and tuple(shape_out[2:]) == tuple(shape_in[2:])
    )


def score_documents(
    predict: Callable[[np.ndarray], np.ndarray], examples: list[DocExample], levels: int = DEFAULT_THRESHOLDS
) -> DocScores:
    """Run ``predict`` (RGB image -> logits of shape [1 x] h x w) on each example and score edges and corners."""
    started, grid = time.perf_counter(), thresholds(levels)
    counts, found = [], []
    for example in examples:
        logits = np.asarray(predict(example.image), np.float32)
        probability = resize_map(sigmoid(logits.reshape(logits.shape[-2:])), example.edges.shape)
        counts.append(edge_counts(probability, example.edges, grid))
        found.append(find_document(probability))
    edges = edge_scores(counts, grid)
    corners = corner_scores(found, [e.corners for e in examples])
    per_image = {
        **edge_parts(counts),
        "corner_iou": [[iou] for iou in corners.per_image],
        "detection_rate": [[float(f is not None)] for f in found],
    }
    return DocScores(
        edges.ods_f,
        edges.ois_f,
        edges.ap,
        corners.corner_iou,
        corners.detection_rate,
        edges.ods_threshold,
        len(examples),
        time.perf_counter() - started,
        per_image,
        image_set([e.name for e in examples]),
    )


class Task(str, enum.Enum):
    """What an artifact is scored on: the document data, or a user's classification or segmentation folder."""

    DOCS = "docs"
    CLASSIFY = "classify"
    SEGMENT = "segment"


Predict = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Scoring:
    """The metrics (name, unit) a task stores and the function that computes them from a predictor."""

    metrics: tuple[tuple[str, str], ...]
    score: Callable[[Predict], dict]
    applies_to: Callable[[Artifact], bool]
    details: dict
    output: str = ""  # the output scored, by name; "" is each artifact's first


def scoring_for(
    task: Task,
    data_dir: Path,
    split: str = "test",
    limit: int | None = None,
    levels: int = DEFAULT_THRESHOLDS,
    output: str = "",
) -> Scoring:
    """The task's metrics on ``data_dir``, scoring each artifact's output named ``output`` (its first by default)."""
    return replace(_scoring(task, data_dir, split, limit, levels, output), output=output)


def _scoring(task: Task, data_dir: Path, split: str, limit: int | None, levels: int, output: str) -> Scoring:
    if task is Task.DOCS:
        examples = load_split(data_dir, split, limit)
        details = {
            "data": str(data_dir),
            "split": split,
            **_dataset_record(data_dir),
            "images": len(examples),
            "thresholds": levels,
            "match_tolerance": MATCH_TOLERANCE,
            "match_seed": matcher_seed(),
            "nms": True,
        }
        return Scoring(
            DOC_METRICS,
            lambda p: asdict(score_documents(p, examples, levels)),
            lambda artifact: is_edge_model(artifact, output),
            details,
        )
    if task is Task.CLASSIFY:
        image_folder(data_dir)  # fail early, before any artifact loads, on a folder of the wrong shape
        return Scoring(
            (("top1", "fraction"),), lambda p: asdict(top1_accuracy(p, data_dir)), _any, {"data": str(data_dir)}
        )
    if task is Task.SEGMENT:
        mask_pairs(Path(data_dir) / "images", Path(data_dir) / "masks")
        return Scoring(
            (("miou", "IoU"),),
            lambda p: asdict(mean_iou(p, Path(data_dir) / "images", Path(data_dir) / "masks")),
            _any,
            {"data": str(data_dir)},
        )
    assert_never(task)


def _any(artifact: Artifact) -> bool:
    return True


def evaluate_artifacts(
    artifacts: list[Artifact],
    scoring: Scoring,
    threads: int = 1,
    preprocess: Preprocess = Preprocess(),
    where: Target | None = None,
) -> Iterator[tuple[Artifact, list[Measurement]]]:
    """Score each artifact the task applies to, in turn, on this host or ``where`` (a device); yields its rows
    (numbers, or the reason there are none)."""
    where = where or Target()
    for artifact in artifacts:
        if scoring.applies_to(artifact):
            yield artifact, artifact_rows(artifact, scoring, threads, preprocess, where)


def artifact_rows(
    artifact: Artifact,
    scoring: Scoring,
    threads: int = 1,
    preprocess: Preprocess = Preprocess(),
    where: Target | None = None,
) -> list[Measurement]:
    """The task's scores of one artifact run here or on a device (``where``), on the output the scoring names; on a
    device also its parity with PyTorch there (accuracy/device_parity.py)."""
    where = where or Target()
    predictor = ArtifactPredictor(artifact, threads, preprocess, output=scoring.output, make_runner=where.runner)
    details, key = {**where.details, **scoring.details}, RowKey.of(artifact, where.device)
    context = _context(artifact, threads, where, details)
    try:
        with predictor:
            details["output"] = predictor.scored_output
            context = _context(artifact, threads, where, details, predictor.runner)
            scores = scoring.score(predictor.predict)
            parity = device_parity(artifact, predictor.runner, key, context) if where.runner else []
    except NotRunnableHere as reason:
        return _reason_rows(key, scoring, Status.NOT_RUN, str(reason), context)
    except Exception as error:  # noqa: BLE001  (one artifact failing is a row; the others go on)
        return _reason_rows(key, scoring, Status.FAILED, describe_error(error), context)
    names = {metric for metric, _ in scoring.metrics}
    per_image = scores.pop("per_image", {})
    extra = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items() if k not in names}
    details = {**details, **extra}
    rows = [
        key.row(
            metric,
            float(scores[metric]),
            unit,
            replace(
                context,
                details=json.dumps({**details, "per_image": per_image[metric]} if metric in per_image else details),
            ),
        )
        for metric, unit in scoring.metrics
    ]
    return rows + parity


def _context(artifact: Artifact, threads: int, where: Target, details: dict, runner=None) -> Context:
    named = dict(runtime=runner.name, runtime_version=runner.version()) if runner else {}
    remote = {"host": where.details["hostname"]} if where.runner and "hostname" in where.details else {}
    return Context.of_artifact(
        artifact, threads=threads, provenance=where.provenance, details=json.dumps(details), **named, **remote
    )


def _reason_rows(key: RowKey, scoring: Scoring, status: Status, reason: str, context: Context) -> list[Measurement]:
    return [key.failure(metric, status, reason, context) for metric, _ in scoring.metrics]


def evaluate_and_record(
    artifacts_dir: Path,
    data_dir: Path,
    store,
    task: Task = Task.DOCS,
    split: str = "test",
    threads: int = 1,
    models: list[str] | None = None,
    limit: int | None = None,
    levels: int = DEFAULT_THRESHOLDS,
    preprocess: Preprocess = Preprocess(),
    on_result: Callable[[Artifact, list[Measurement]], None] | None = None,
    command: str | None = None,
    output: str = "",
    where: Target | None = None,
) -> int:
    """Evaluate the artifacts under ``artifacts_dir`` that the task applies to, each on its output named ``output``
    (its first by default), on this host or ``where`` (a device, devices/predict.py); returns the rows stored."""
    from mbench.artifacts import find_artifacts
    from mbench.results import new_run_id

    if task is not Task.DOCS and not models:
        raise ValueError(
            f"task {task.value!r}: name the model(s) to score with --model (the folder's labels "
            "must match those models' outputs)"
        )
    scoring = scoring_for(task, data_dir, split, limit, levels, output)
    artifacts = [
        a for a in find_artifacts(artifacts_dir) if (not models or a.model in models) and scoring.applies_to(a)
    ]
    if not artifacts:
        raise FileNotFoundError(
            f"no artifacts for task {task.value!r} under {artifacts_dir}"
            + (f" for models {', '.join(models)}" if models else "")
        )
    run_id, written = new_run_id(), 0
    store.start_run(run_id, command or " ".join(sys.argv))
    for artifact, rows in evaluate_artifacts(artifacts, scoring, threads, preprocess, where):
        written += store.append(run_id, rows)
        if on_result:
            on_result(artifact, rows)
    return written


def _dataset_record(data_dir: Path) -> dict:
    record = Path(data_dir) / "dataset.json"
    if not record.is_file():
        return {}
    saved = json.loads(record.read_text())
    return {"data_seed": saved.get("seed"), "data_n": saved.get("n"), "data_size": saved.get("size")}
