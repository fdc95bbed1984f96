"""Converter coverage, the recording half: convert every model to every format and precision (through
``convert_and_record``), store each model's parity tolerance, and optionally run every host-runnable artifact a few
times. ``mbench.report.coverage`` reads the rows back into the matrix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Callable

from mbench.convert.parity import relative_tolerance, tolerance
from mbench.measure.timing import RunPlan
from mbench.results import Context, Measurement
from mbench.spec import Format, ModelSpec, Precision

if TYPE_CHECKING:
    from mbench.convert.pipeline import Conversion
    from mbench.devices.inventory import Inventory
    from mbench.store import Store

HOST_RUN_PLAN = RunPlan(warmup_runs=3, warmup_seconds=0.2, runs=10, min_seconds=0.3, max_seconds=30.0)
TOLERANCE_METRIC = "parity_tolerance"
# Parity rows from before the tolerance was recorded with them are judged by ModelSpec's default absolute one.
DEFAULT_TOLERANCE = ModelSpec.__dataclass_fields__["parity_atol"].default


def reference_scale(spec: ModelSpec) -> float:
    """The largest |PyTorch output| on the parity inputs, over every output, as the conversions compute it."""
    from mbench.convert.reference import reference_output

    return reference_output(spec).scale


def parity_tolerance(spec: ModelSpec, precision: Precision, scale: float | None = None) -> tuple[float, float]:
    """(tolerance, largest |reference output|): the larger of the spec's absolute one and the relative one."""
    scale = reference_scale(spec) if scale is None else scale
    return tolerance(spec.parity_atol, precision, scale), scale


def tolerance_row(spec: ModelSpec, precision: Precision, scale: float) -> Measurement:
    limit, _ = parity_tolerance(spec, precision, scale)
    details = {"atol": spec.parity_atol, "rtol": relative_tolerance(precision), "reference_max_abs": scale}
    return Measurement(
        spec.name,
        Format.PYTORCH.value,
        precision.value,
        "host",
        TOLERANCE_METRIC,
        limit,
        "abs",
        context=Context(details=json.dumps(details)),
    )


@dataclass(frozen=True)
class HostRun:
    """Where and how to run each converted artifact a few times; None in ``record_coverage`` skips it."""

    inventory: Inventory
    device: str = "host"
    plan: RunPlan = HOST_RUN_PLAN
    threads: int | None = None


def record_coverage(
    specs: list[ModelSpec],
    formats: list[Format],
    precisions: list[Precision],
    out_dir: Path,
    store: Store,
    host_run: HostRun | None = None,
    on_outcome: Callable[[Conversion], None] | None = None,
    on_result=None,
) -> None:
    """Convert every model to every format at every precision, store tolerances, then run on the host if asked."""
    from mbench.convert.pipeline import ConvertSettings
    from mbench.results import new_run_id
    from mbench.sweep.steps import convert_and_record, profile_and_record

    convert_and_record(
        specs, formats, out_dir, store, ConvertSettings(tuple(precisions)), on_outcome, command="mbench coverage"
    )
    run_id = new_run_id()
    store.start_run(run_id, "mbench coverage (parity tolerances)")
    scales = {spec.name: reference_scale(spec) for spec in specs}
    store.append(
        run_id, [tolerance_row(spec, precision, scales[spec.name]) for precision in precisions for spec in specs]
    )
    if host_run is not None:
        profile_and_record(
            out_dir,
            host_run.device,
            host_run.inventory,
            store,
            host_run.plan,
            host_run.threads,
            [s.name for s in specs],
            on_result=on_result,
            command="mbench coverage (host runs)",
        )
