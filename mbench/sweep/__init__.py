"""The library's front door: convert, profile, score and record, one model, device or whole sweep at a time.

config.py reads a sweep file; steps.py holds the steps every entry point shares, ops.py the ops pass's step;
local.py runs a sweep in this process and ray.py on a Ray cluster (the `lab` extra); accuracy.py is the scoring step
and coverage.py the converter-coverage sweep. The CLI is a thin layer over these; ``examples/hed_sweep.py`` drives
them from Python.
"""

from mbench.sweep.local import run_sweep
from mbench.sweep.ops import ops_and_record
from mbench.sweep.steps import convert_and_record, profile_and_record

__all__ = ["convert_and_record", "ops_and_record", "profile_and_record", "run_sweep"]
