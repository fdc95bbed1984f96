"""Core ML: no per-operation timing is read here. Core ML runs only on macOS, and there the compute plan
(``coremltools.models.compute_plan.MLComputePlan``) gives each operation's *estimated* share of the cost, not a
time; mbench does not read it yet, so the pass is a not_run row that says which of the two stopped it."""

from __future__ import annotations

import platform

from mbench.artifacts import Artifact
from mbench.measure.passes import Recorder
from mbench.ops.profile import OpProfile, OpsPlan
from mbench.runners.base import NotRunnableHere


def profile(artifact: Artifact, threads: int, plan: OpsPlan, recorder: Recorder) -> OpProfile:
    system = (recorder.identity or {}).get("system", platform.system())
    if system != "Darwin":
        where = f"on {recorder.where}, a {system} machine" if recorder.where else "here"
        raise NotRunnableHere(f"Core ML runs only on macOS: no per-operation profile {where}")
    raise NotRunnableHere(
        "Core ML gives per-operation cost only as the compute plan's estimate, which mbench does not read yet"
    )
