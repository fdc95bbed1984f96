"""A sweep's accuracy step: every artifact that runs here is scored on the sweep's data, or on the model's own
generated task data (document photos for edge-detection models, as `make demo` does)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mbench.accuracy.evaluate import Scoring, Task, artifact_rows, scoring_for
from mbench.accuracy.predict import IMAGENET, Preprocess
from mbench.artifacts import Artifact
from mbench.results import Measurement
from mbench.spec import ModelSpec
from mbench.store import Store
from mbench.sweep.config import AccuracySettings, SweepConfig
from mbench.sweep.steps import Progress

METRICS = ("ods_f", "top1", "miou")  # one per task: a stored row means the artifact was scored


def task_data(settings: AccuracySettings, spec: ModelSpec, out: Path) -> Path | None:
    """The folder ``spec``'s artifacts are scored on; None where the sweep names none and mbench makes none."""
    if settings.data is not None:
        return settings.data
    if settings.task == Task.DOCS.value and spec.task == "edge-detection":
        return generated_docs(settings, out)
    return None


def generated_docs(settings: AccuracySettings, out: Path) -> Path:
    """Generated document photos beside the artifacts folder; written once, reused by every rerun."""
    from mbench.data.docs import write_dataset

    folder = Path(out).parent / "data" / f"docs-n{settings.docs_n}-seed{settings.docs_seed}"
    if not (folder / "dataset.json").is_file():
        write_dataset(folder, settings.docs_n, settings.docs_seed)
    return folder


@dataclass(frozen=True)
class Job:
    """One artifact to score on one task's data; no artifact: a model with no data to score it on."""

    what: str
    artifact: Artifact | None = None
    scoring: Scoring | None = None


def plan(settings: AccuracySettings, specs: list[ModelSpec], artifacts: list[Artifact], out: Path) -> list[Job]:
    """One job per artifact the task applies to, and one per model without data."""
    scorings: dict[Path, Scoring] = {}
    jobs = []
    for spec in specs:
        data = task_data(settings, spec, out)
        if data is None:
            jobs.append(Job(f"evaluate {spec.name}: no {settings.task} data (name accuracy.data in the sweep file)"))
            continue
        if data not in scorings:
            scorings[data] = scoring_for(
                Task(settings.task), data, settings.split, settings.limit, settings.thresholds, settings.output
            )
        jobs += [
            Job(f"evaluate {a.model} {a.format.value} {a.precision.value}", a, scorings[data])
            for a in artifacts
            if a.model == spec.name and scorings[data].applies_to(a)
        ]
    return jobs


def score(job: Job, settings: AccuracySettings) -> list[Measurement]:
    preprocess = IMAGENET if settings.normalize == "imagenet" else Preprocess()
    return artifact_rows(job.artifact, job.scoring, settings.threads, preprocess)


def evaluate_step(
    config: SweepConfig,
    store: Store,
    run_id: str,
    specs: list[ModelSpec],
    artifacts: list[Artifact],
    progress: Progress,
    fresh: bool,
    tag: str,
) -> None:
    """Score every artifact that runs here on the sweep's data (``config.accuracy``; none when it is null).
    Resumes like profiling: an artifact scored by an earlier run of this sweep is not scored again."""
    if config.accuracy is None:
        return
    finished = set() if fresh else {sha for sha, _ in store.profiled(tag, METRICS)}
    jobs = plan(config.accuracy, specs, artifacts, config.out)
    progress.total = progress.done + len(jobs)
    for job in jobs:
        if job.artifact is None or job.artifact.sha256 in finished:
            progress.step(job.what, "skipped" if job.artifact is None else "resumed")
            continue
        rows = score(job, config.accuracy)
        store.append(run_id, rows)
        progress.step(job.what, rows[0].status.value)
