"""Interleaved rounds on devices whose tools time a whole invocation (Android's benchmark_model and
onnxruntime_perf_test, the iPhone's XCTest harness): ``plan.processes`` rounds, each invoking every artifact once in
an order shuffled by ``random.Random(plan.seed)``, so that a phone heating up or throttling over the sequence weighs
on all artifacts alike rather than on the last ones. Each invocation is asked for its share of the plan's runs and
seconds (``RunPlan.shared``); the rows combine them (``parsers.combined``). An invocation that fails ends that
artifact's rounds; what its earlier invocations measured is kept."""

from __future__ import annotations

import random
from typing import TypeVar
from collections.abc import Callable

from mbench.measure.processes import DeviceError
from mbench.measure.tool_run import COMBINED, UnparsableOutput
from mbench.measure.timing import RunPlan

T = TypeVar("T")


def rounds_of(plan: RunPlan) -> int:
    return max(plan.processes, 1)


def in_rounds(count: int, invoke: Callable[[int, RunPlan], T], plan: RunPlan) -> tuple[list[list[T]], list[str]]:
    """Per artifact (by index, ``count`` of them), what each of its invocations returned and the error that ended
    its rounds ('' where none did). ``invoke(i, share)`` runs artifact ``i`` once with its share of the plan."""
    measured: list[list[T]] = [[] for _ in range(count)]
    errors = [""] * count
    rng, share = random.Random(plan.seed), plan.shared(rounds_of(plan))
    for _ in range(rounds_of(plan)):
        active = [i for i in range(count) if not errors[i]]
        for i in rng.sample(active, len(active)):
            try:
                measured[i].append(invoke(i, share))
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
