"""PyTorch eager: every module's own time, from forward pre- and post-hooks on every module (``named_modules()``).

A module's own time is its forward's time less its submodules' (a ``Sequential`` keeps only its loop, the model's
own forward keeps what it does outside its submodules, e.g. a final ``torch.sigmoid``), so the modules' times add up
to the whole forward. Its op type is the module's class. The hooks cost a few microseconds per module call, which
the pass's total includes and the timed rounds never see.
"""

from __future__ import annotations

import time
from collections import defaultdict

from mbench.artifacts import Artifact
from mbench.ops.modules import from_scope
from mbench.ops.profile import OpProfile, OpsPlan, OpTime, profiled_runs
from mbench.runners.base import seeded_inputs
from mbench.runners.torch_eager import TorchEagerRunner


class ModuleTimes:
    """Hooks that add each module call's own time (its time less its submodules') to the module's total."""

    def __init__(self, model) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.kinds = {name: type(module).__name__ for name, module in model.named_modules()}
        self._open: list[list] = []  # [name, start, time in submodules]
        self._handles = []
        for name, module in model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._entered(name)))
            self._handles.append(module.register_forward_hook(self._left))

    def _entered(self, name: str):
        def hook(module, args):
            self._open.append([name, time.perf_counter(), 0.0])

        return hook

    def _left(self, module, args, output):
        name, start, inside = self._open.pop()
        spent = time.perf_counter() - start
        self.own[name] += spent - inside
        if self._open:
            self._open[-1][2] += spent

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def profile(artifact: Artifact, threads: int, plan: OpsPlan) -> OpProfile:
    runner = TorchEagerRunner()
    runner.load(artifact, threads)
    inputs = seeded_inputs(artifact.inputs)
    hooks, per_run = ModuleTimes(runner.module), []

    def run() -> None:
        hooks.own.clear()
        runner.run(inputs)
        per_run.append(dict(hooks.own))

    try:
        seen = profiled_runs(run, plan)
    finally:
        hooks.remove()
    per_run = per_run[-plan.runs :]
    ops = tuple(
        OpTime(
            hooks.kinds[name],
            seen.mean([run.get(name, 0.0) * 1e3 for run in per_run]),
            (from_scope(name),),
            (name or "forward",),
            "eager",
            "module",
        )
        for name in per_run[0]
    )
    return OpProfile(
        "torch-eager",
        runner.version(),
        threads,
        plan,
        seen.mean(seen.wall_ms),
        ops,
        ("each module's own time (its forward less its submodules'), from forward hooks",),
        runs_ms=seen.wall_ms,
        marked=plan.runs - len(seen.kept),
        cpu_share=seen.cpu_share,
    )
