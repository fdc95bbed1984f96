"""What a user sees while artifacts are measured: on a terminal a live bar (the group measuring, the last artifact
finished, how many of all, an ETA) above which each artifact's line prints as it finishes; elsewhere plain lines."""

from __future__ import annotations

import contextlib
import sys

import click

from mbench.cli._echo import echo_profile, label


def _columns():
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]


class ProfileProgress:
    """The callbacks `mbench profile` hands the library: ``group`` as each group starts (measure/groups.py) and
    ``result`` as each artifact finishes."""

    def __init__(self, progress) -> None:
        self.progress, self.task, self.name = progress, None, ""

    def group(self, start) -> None:
        self.name = f"group {start.index}/{start.count} {start.name}"
        if start.count > 1:
            click.echo(f"{self.name}: {len(start.artifacts)} artifact(s), {start.processes} process(es) each")
        if self.progress is not None:
            if self.task is None:
                self.task = self.progress.add_task(self.name, total=start.total)
            self.progress.update(self.task, description=f"{self.name}: measuring")

    def result(self, artifact, profile) -> None:
        echo_profile(artifact, profile)
        if self.progress is not None and self.task is not None:
            self.progress.update(
                self.task,
                advance=1,
                description=f"{self.name}: "
                f"{' '.join(label(artifact.model, artifact.format, artifact.precision).split())}",
            )


@contextlib.contextmanager
def profile_progress(live: bool | None = None):
    """A ProfileProgress with a live bar where stdout is a terminal (``live`` forces either), else plain lines."""
    from rich.progress import Progress

    if not (sys.stdout.isatty() if live is None else live):
        yield ProfileProgress(None)
        return
    with Progress(*_columns(), transient=True) as progress:
        yield ProfileProgress(progress)


@contextlib.contextmanager
def sweep_progress(quiet: bool):
    """The callback that shows a sweep's steps (sweep.steps.Step): a live bar on a terminal, else a plain line each;
    nothing but the summary with ``quiet``."""
    from rich.progress import Progress

    if quiet or not sys.stdout.isatty():
        yield (
            (lambda step: None)
            if quiet
            else (lambda step: click.echo(f"[{step.done}/{step.total}] {step.what}: {step.outcome}"))
        )
        return
    with Progress(*_columns(), transient=False) as progress:
        task = progress.add_task("sweep", total=None)
        yield lambda step: progress.update(
            task, description=f"{step.what}: {step.outcome}", completed=step.done, total=step.total
        )
