"""An ops pass as measurement rows: ``op_ms`` per (module path, op type), ``op_attributed`` per artifact; a pass
that fails is one ``op_attributed`` row with its error, and the artifact's timed rows are never touched. Core ML's
pass has no times: its rows are ``op_estimated_share`` (the compute plan's estimated share of the cost, unit
``fraction``, ``estimated`` in their details) in place of ``op_ms``, and its ``op_attributed`` the share of that
estimated cost placed.

``op_ms`` rows keep in ``details``: ``module`` (the path; several joined by ';' where a fused node or a delegate
block stands for several; '' where the operator could not be placed), ``op_type``, ``nodes`` (the runtime's own
names), ``where`` (execution provider or delegate), ``placed`` (how it was placed) and ``share`` (of the operators'
time). The ``op_attributed`` row keeps the whole inference's time (``run_ms``: the mean over the runs not marked as
descheduled of ``runs_ms``, each profiled run's, where the runtime reports them), how many runs were marked
(``runs_marked``), the CPU the runs got (``cpu_share``: CPU time over wall time, about the thread count when the
machine was idle), the operators' time (``ops_ms``), the pass's own cost (``pass_seconds``) and its notes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator

from mbench.artifacts import Artifact
from mbench.measure.passes import Here, Recorder
from mbench.ops.modules import joined
from mbench.ops.profile import OpProfile, OpsPlan, profile_ops
from mbench.results import Context, Measurement, RowKey, describe_error, host_details
from mbench.runners.base import NotRunnableHere
from mbench.spec import Status

OP_MS = "op_ms"
OP_ESTIMATED = "op_estimated_share"  # Core ML: the compute plan's estimated share of the cost, never a time
OP_ATTRIBUTED = "op_attributed"
METRICS = (OP_MS, OP_ESTIMATED, OP_ATTRIBUTED)
NODES_KEPT = 50  # node names kept per row; a delegate block or a module called in a loop can have hundreds


def op_rows(artifact: Artifact, device: str, profile: OpProfile, recorder: Recorder = Here()) -> list[Measurement]:
    """The pass's rows, heaviest module and op type first, tagged with the machine ``recorder`` ran it on."""
    key = RowKey.of(artifact, device)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for op in profile.ops:
        groups[joined(op.modules), op.op_type].append(op)
    rows = []
    for (module, op_type), ops in sorted(groups.items(), key=lambda item: -sum(op.ms for op in item[1])):
        ms = sum(op.ms for op in ops)
        nodes = [name for op in ops for name in op.nodes]
        details = {
            "module": module,
            "op_type": op_type,
            "nodes": nodes[:NODES_KEPT],
            "node_count": len(nodes),
            "where": joined(op.where for op in ops),
            "placed": joined(op.placed for op in ops),
            "share": round(ms / profile.ops_ms, 6) if profile.ops_ms else None,
            **({"estimated": True} if profile.estimated else {}),
        }
        metric, unit = (OP_ESTIMATED, "fraction") if profile.estimated else (OP_MS, "ms")
        rows.append(key.row(metric, ms, unit, _context(artifact, profile, details, recorder)))
    summary = {
        "run_ms": round(profile.run_ms, 6),
        **({"estimated": True} if profile.estimated else {"ops_ms": round(profile.ops_ms, 6)}),
        "runs_ms": [round(ms, 4) for ms in profile.runs_ms],
        "runs_marked": profile.marked,
        "cpu_share": None if profile.cpu_share is None else round(profile.cpu_share, 4),
        "cpus": list(profile.cpus),
        "warmup_seconds": profile.plan.warmup_seconds,
        "pass_seconds": round(profile.seconds, 3),
        "notes": list(profile.notes),
    }
    return rows + [
        key.row(OP_ATTRIBUTED, profile.attributed, "fraction", _context(artifact, profile, summary, recorder))
    ]


def _context(artifact: Artifact, profile: OpProfile, details: dict, recorder: Recorder) -> Context:
    return _where(
        recorder,
        artifact,
        details,
        runtime=profile.runtime,
        runtime_version=profile.version,
        threads=profile.threads,
        warmup_runs=profile.plan.warmup_runs,
        runs=profile.plan.runs,
    )


def _where(recorder: Recorder, artifact: Artifact, details: dict, **fields) -> Context:
    """A row's context on the machine ``recorder`` ran the pass on: its hostname, identity and provenance."""
    remote = recorder.identity
    return Context.of_artifact(
        artifact,
        provenance=recorder.provenance,
        details=json.dumps({**(remote or host_details()), "pass": "ops", **details}),
        **fields,
        **({"host": remote["hostname"]} if remote else {}),
    )


def failure_row(
    artifact: Artifact,
    device: str,
    status: Status,
    error: str,
    threads: int | None = None,
    plan: OpsPlan = OpsPlan(),
    recorder: Recorder = Here(),
) -> Measurement:
    context = _where(recorder, artifact, {}, threads=threads, warmup_runs=plan.warmup_runs, runs=plan.runs)
    return RowKey.of(artifact, device).failure(OP_ATTRIBUTED, status, error, context)


def ops_pass(
    artifacts: Iterable[Artifact],
    threads: int,
    plan: OpsPlan = OpsPlan(),
    device: str = "host",
    skipped: tuple[Status, str] | None = None,
    recorder: Recorder = Here(),
) -> Iterator[tuple[Artifact, list[Measurement]]]:
    """The pass on each artifact, its runs made by ``recorder`` (in this process unless told), yielded as rows as
    each finishes; an artifact whose runtime has no profiler there is a not_run row, one whose profiling fails a
    failed row, and the others go on. ``skipped``: why ``device`` cannot run the pass (not_run) or could not be
    reached (failed), which makes every artifact a row of that status that says so."""
    for artifact in artifacts:
        if skipped:
            yield artifact, [failure_row(artifact, device, *skipped, threads, plan, recorder)]
            continue
        try:
            rows = op_rows(artifact, device, profile_ops(artifact, threads, plan, recorder), recorder)
        except NotRunnableHere as reason:
            rows = [failure_row(artifact, device, Status.NOT_RUN, str(reason), threads, plan, recorder)]
        except Exception as error:  # noqa: BLE001  (one artifact's failure is a row; the pass goes on)
            rows = [failure_row(artifact, device, Status.FAILED, describe_error(error), threads, plan, recorder)]
        yield artifact, rows
