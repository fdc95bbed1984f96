"""PyTorch eager: every module's own time, from forward pre- and post-hooks on every module (``named_modules()``),
which the runner puts on when loaded for a pass (runners/torch_eager.ModuleTimes).

A module's own time is its forward's time less its submodules' (a ``Sequential`` keeps only its loop, the model's
own forward keeps what it does outside its submodules, e.g. a final ``torch.sigmoid``), so the modules' times add up
to the whole forward. Its op type is the module's class. The hooks cost a few microseconds per module call, which
the pass's total includes and the timed rounds never see.
"""

from __future__ import annotations

import json

from mbench.artifacts import Artifact
from mbench.measure.passes import Recorder
from mbench.ops.modules import from_scope
from mbench.ops.profile import OpProfile, OpsPlan, OpTime, recorded
from mbench.runners.torch_eager import MODULE_TIMES


def profile(artifact: Artifact, threads: int, plan: OpsPlan, recorder: Recorder) -> OpProfile:
    with recorded(recorder, artifact, threads, plan) as recording:
        written = json.loads(recording.path(MODULE_TIMES).read_text())
    seen, kinds, per_run = recording.runs, written["kinds"], written["runs"][-plan.runs :]
    ops = tuple(
        OpTime(
            kinds[name],
            seen.mean([run.get(name, 0.0) * 1e3 for run in per_run]),
            (from_scope(name),),
            (name or "forward",),
            "eager",
            "module",
        )
        for name in per_run[0]
    )
    notes = ("each module's own time (its forward less its submodules'), from forward hooks",)
    return OpProfile.of_runs(recording, seen, threads, plan, seen.mean(seen.wall_ms), ops, notes, seen.wall_ms)
