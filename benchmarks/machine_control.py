"""The machine under a benchmark, apart from mbench (bench_repeatability.py): a busy loop on one core while a
block runs, and a control measurement of the CPU's and the memory's speed and swing with no mbench in the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from mbench.devices.local import placement
from mbench.measure.estimate import Rounds, estimate


class BusyLoop:
    """One core kept busy by a separate process while the block runs."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc) -> None:
        self.process.kill()
        self.process.wait()


CONTROL = """
import json, os, sys, time
import numpy as np
seconds, chunk_s, cpus = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
if cpus:
    os.sched_setaffinity(0, [int(c) for c in cpus.split(",")])
a = np.random.default_rng(0).random((256, 256), dtype=np.float32)
source = np.ones(16 * 2**20, dtype=np.float32)
target = np.empty_like(source)
steps = {"matmul": lambda: a @ a, "memory": lambda: np.copyto(target, source)}
found, start = {kind: {"ms": [], "chunks": []} for kind in steps}, time.perf_counter()
while (began := time.perf_counter()) - start < seconds:
    chunk = int((began - start) / chunk_s)
    kind = ("matmul", "memory")[chunk % 2]
    steps[kind]()
    found[kind]["ms"].append((time.perf_counter() - began) * 1e3)
    found[kind]["chunks"].append(chunk)
print(json.dumps(found))
"""


def control(seconds: float, chunk_s: float = 0.25) -> dict:
    """The machine with no mbench in the way, in its own process, one BLAS thread, pinned where a one-thread agent
    is (CPU 0 takes most interrupts), for ``seconds`` in chunks of ``chunk_s`` standing for rounds, taking turns: a
    fixed numpy 256x256 matmul (in cache: the CPU's speed) and a 64 MB array copy (past any cache here: the
    memory's, which the HED models' large feature maps lean on). Each one's level (the `latency` estimator, ms) and
    swing (a row's ``round_swing``)."""
    cpus = placement(1)
    env = {**os.environ, **{k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    argv = [sys.executable, "-c", CONTROL, str(seconds), str(chunk_s), ",".join(map(str, cpus or []))]
    found = json.loads(subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout)
    timed = {kind: Rounds(tuple(f["ms"]), tuple(f["chunks"])) for kind, f in found.items()}
    return {
        "swing": timed["matmul"].swing,
        "level_ms": estimate(timed["matmul"]),
        "memory_swing": timed["memory"].swing,
        "memory_level_ms": estimate(timed["memory"]),
    }
