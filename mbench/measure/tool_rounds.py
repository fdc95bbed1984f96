"""Interleaved rounds on devices whose tools time a whole invocation (Android's benchmark_model and
onnxruntime_perf_test, the iPhone's XCTest harness): ``plan.processes`` rounds, each invoking every artifact once in
an order shuffled by ``random.Random(plan.seed)``, so that a phone heating up or throttling over the sequence weighs
on all artifacts alike rather than on the last ones. Each invocation is asked for its share of the plan's runs and
seconds (``RunPlan.shared``); the rows combine them (``parsers.combined``). An invocation that fails ends that
artifact's rounds; what its earlier invocations measured is kept.

Artifacts are measured in the groups the host's are (measure/groups.py: a model's formats and precisions, the
pairs), one group's rounds after another (``in_groups``), so the rounds of a group cover only the artifacts compared
with each other, and a group's round numbers go on from the one before: rounds of two groups never pair."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Generic, TypeVar
from collections.abc import Callable, Iterator

from mbench.artifacts import Artifact
from mbench.measure.groups import Grouping, GroupStart, group_name, grouped
from mbench.measure.processes import DeviceError
from mbench.measure.tool_run import COMBINED, UnparsableOutput
from mbench.measure.timing import RunPlan

T = TypeVar("T")
Item = TypeVar("Item")


def rounds_of(plan: RunPlan) -> int:
    return max(plan.processes, 1)


def in_rounds(
    items: list[Item], invoke: Callable[[Item, RunPlan], T], plan: RunPlan
) -> tuple[list[list[T]], list[str]]:
    """Per item, what each of its invocations returned and the error that ended its rounds ('' where none did).
    ``invoke(item, share)`` runs an item once with its share of the plan."""
    measured: list[list[T]] = [[] for _ in items]
    errors = [""] * len(items)
    rng, share = random.Random(plan.seed), plan.shared(rounds_of(plan))
    for _ in range(rounds_of(plan)):
        active = [i for i in range(len(items)) if not errors[i]]
        for i in rng.sample(active, len(active)):
            try:
                measured[i].append(invoke(items[i], share))
            except (DeviceError, UnparsableOutput) as error:
                errors[i] = str(error)
    return measured, errors


def invocations_seen(invocations: int, error: str, plan: RunPlan) -> dict:
    """What a row's details say of its rounds."""
    return {
        "invocations": invocations,
        "rounds": rounds_of(plan),
        **({"combined": COMBINED} if invocations > 1 else {}),
        **({"failed_invocation": error} if error else {}),
    }


@dataclass(frozen=True)
class Measured(Generic[Item, T]):
    """One item's invocations in its group's rounds."""

    item: Item
    runs: list[T]  # what each invocation returned, in order
    error: str  # what ended its rounds early ('' where nothing did)
    rounds: list[int]  # the round of each invocation, numbered on from the groups before
    notes: dict  # what its rows' details say of its group


def in_groups(
    items: list[Item],
    artifact: Callable[[Item], Artifact],
    invoke: Callable[[Item, RunPlan], T],
    plan: RunPlan,
    grouping: Grouping,
    results: int | None = None,
) -> Iterator[list[Measured[Item, T]]]:
    """Each group's items once its rounds have ended, group after group (module docstring); ``grouping.on_group``
    hears of each group as it starts. ``artifact`` is an item's artifact (an item is an artifact with a delegate, or
    a built harness), ``invoke(item, share)`` runs it once; ``results``: the rows' sets to come in all (one per
    item unless said)."""
    groups = grouped(items, lambda item: artifact(item).model, grouping.pairs)
    for index, group in enumerate(groups):
        name = group_name([artifact(item).model for item in group])
        arts = [artifact(item) for item in group]
        grouping.on_group(GroupStart(index + 1, len(groups), name, arts, 1, len(items) if results is None else results))
        measured, errors = in_rounds(group, invoke, plan)
        first = index * rounds_of(plan)
        yield [
            Measured(item, runs, error, [first + k for k in range(len(runs))], {"group": name})
            for item, runs, error in zip(group, measured, errors)
        ]
