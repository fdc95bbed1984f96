"""Bounded groups: which artifacts share rounds, the cap on live agents, budgets kept with the few-runs note, and a
group whose agent dies failing its rows while the next group runs."""

import dataclasses
import json
import re
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from mbench.artifacts import find_artifacts
from mbench.cli import main
from mbench.cli._echo import echo_profile
from mbench.devices.local import agent_argv
from mbench.measure.groups import (
    Grouping,
    agent_cap,
    available_memory,
    batches,
    compared,
    group_jobs,
    measure_in_groups,
)
from mbench.measure.rounds import Job
from mbench.measure.rows import result_rows
from mbench.measure.timing import RunPlan
from mbench.spec import Format
from mbench.store import Store

# An agent answering every command at once; each timed run reads ``argv[1]`` ms; a manifest named 'dies' exits at
# its first burst, as an agent that crashed in the middle of its rounds.
FAKE_AGENT = """
import json, sys, time
ms = float(sys.argv[1])
for line in sys.stdin:
    command = json.loads(line)
    if command["do"] == "load" and command["manifest"] == "dies":
        dies = True
    if command["do"] == "burst" and globals().get("dies"):
        sys.exit(3)
    runs = max(command.get("runs") or 1, 1)
    print(json.dumps(dict(ok=True, runtime="fake", runtime_version="0", compute_units="", cpus=[], environment={},
                          rss_before_load_bytes=0, load_ms=1.0, first_ms=ms, warmup_ms=[ms] * 3,
                          wall_ms=[ms] * runs, cpu_ms=[ms] * runs, wait_ms=[0.0] * runs, t=[time.time()] * runs,
                          kernel={}, peak_rss_bytes=0)), flush=True)
"""


@pytest.fixture
def tiny(tiny_artifacts_dir):
    return {a.format: a for a in find_artifacts(tiny_artifacts_dir)}


def _jobs(tiny, models: list[str], manifest: str = "") -> list[Job]:
    """Jobs of the tiny ONNX and TFLite artifacts under other model names."""
    return [
        Job(dataclasses.replace(tiny[f], model=m), manifest or str(tiny[f].manifest_path))
        for m in models
        for f in (Format.ONNX, Format.TFLITE)
    ]


def _fake(tmp_path: Path, ms: float) -> list[str]:
    (tmp_path / "agent.py").write_text(FAKE_AGENT)
    return [sys.executable, str(tmp_path / "agent.py"), str(ms)]


def test_a_models_artifacts_and_the_pairs_share_rounds(tiny):
    assert compared(["a", "b", "c", "d", "e"], [("a", "c"), ("c", "e"), ("x", "b")]) == [["a", "c", "e"], ["b"], ["d"]]
    groups = group_jobs(_jobs(tiny, ["vgg", "mnv2", "resnet"]), [("vgg", "mnv2")])
    assert [[(j.artifact.model, j.artifact.format) for j in g] for g in groups] == [
        [("vgg", Format.ONNX), ("vgg", Format.TFLITE), ("mnv2", Format.ONNX), ("mnv2", Format.TFLITE)],
        [("resnet", Format.ONNX), ("resnet", Format.TFLITE)],
    ]


def test_a_group_over_the_cap_runs_fewer_processes_then_is_split(tiny):
    jobs, plan = _jobs(tiny, ["m", "m", "m"]), RunPlan(processes=3)
    [whole] = batches(jobs, plan, 24)
    assert whole.plan.processes == 3 and whole.notes == {"group": "m"}
    [fewer] = batches(jobs, plan, 12)
    assert fewer.plan.processes == 2
    assert fewer.notes["processes_reduced"] == "3 -> 2: 6 artifacts over the 12-agent cap"
    parts = batches(jobs, plan, 4)
    assert [len(p.jobs) for p in parts] == [3, 3] and all(p.plan.processes == 1 for p in parts)
    assert parts[1].notes["group_split"] == "part 2 of 2: ratios across the parts are not paired"


def test_the_memory_available_lowers_the_cap(tiny):
    jobs, plan = _jobs(tiny, ["m"]), RunPlan(max_agents=24, memory_margin_gb=1)
    assert agent_cap(jobs, plan, None) == 24 and agent_cap(jobs, plan, 100 * 1024**3) == 24
    assert agent_cap(jobs, plan, 2 * 1024**3) < 24 and agent_cap(jobs, plan, 0) == 1
    assert available_memory() is None or available_memory() > 0


def _children_alive(marker: str) -> int:
    """This process's live children whose command line names ``marker``."""
    count = 0
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                count += marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                pass
    return count


def test_more_artifacts_than_the_cap_never_see_more_agents_alive(tiny):
    """Eight real agents' worth of work (two groups of four artifacts, three processes each) under a cap of three:
    the first group runs one process per artifact in two parts, and never are more than three agents alive."""
    jobs = _jobs(tiny, ["a", "a", "b", "b"])
    plan = RunPlan(warmup_seconds=0, runs=5, min_seconds=0, max_seconds=0.2, target_ci=0, processes=3, max_agents=3)
    most, done = [0], threading.Event()

    def watch():
        while not done.is_set():
            most[0] = max(most[0], _children_alive("mbench.measure.agent"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        found = list(measure_in_groups(jobs, agent_argv(), plan, 1, None, 60, Grouping(), lambda: None))
    finally:
        done.set()
        watcher.join()
    assert all(not t.failed for t, _ in found), [t.result.error for t, _ in found]
    assert 1 <= most[0] <= 3
    assert {b.name for _, b in found} == {"a (1/2)", "a (2/2)", "b (1/2)", "b (2/2)"}
    rounds = {}
    for track, batch in found:
        rounds.setdefault(batch.name, set()).update(track.result.rounds)
    parts = list(rounds.values())
    assert all(not (r & s) for i, r in enumerate(parts) for s in parts[i + 1 :])  # rounds of two parts never pair


def test_a_budget_ends_timed_runs_before_the_minimums_and_the_row_says_so(tiny, tmp_path, capsys):
    """100 ms a run, 1000 runs wanted, 0.3 s of budget: the artifact stops at its budget, its row is ok and keeps
    the runs it got, and the details and the line say how few."""
    plan = RunPlan(warmup_seconds=0, runs=1000, min_seconds=0, max_seconds=0.3, target_ci=0, processes=1)
    [(track, batch)] = measure_in_groups(
        _jobs(tiny, ["slow"])[:1], _fake(tmp_path, 100), plan, 1, None, 30, memory=lambda: None
    )
    runs = len(track.result.samples_ms)
    assert not track.failed and 3 <= runs <= 4
    profile = result_rows(track.job.artifact, "host", track.result, "host", plan=batch.plan, notes=batch.notes)
    assert profile.status.value == "ok"
    echo_profile(track.job.artifact, profile)
    assert f"few runs: {runs} of 1000 wanted" in capsys.readouterr().out


def test_a_group_whose_agent_dies_fails_its_rows_and_the_next_group_runs(tiny, tmp_path):
    plan = RunPlan(warmup_seconds=0, runs=5, min_seconds=0, max_seconds=1, target_ci=0, processes=1)
    jobs = _jobs(tiny, ["crashes"], manifest="dies") + _jobs(tiny, ["next"])
    found = list(measure_in_groups(jobs, _fake(tmp_path, 1), plan, 1, None, 30, memory=lambda: None))
    by_model = {}
    for track, batch in found:
        profile = result_rows(track.job.artifact, "host", track.result, "host", plan=batch.plan, notes=batch.notes)
        by_model.setdefault(track.job.artifact.model, []).append((track, profile))
    assert [t.result.status for t, _ in by_model["crashes"]] == ["failed", "failed"]
    crashed = [p.failure for _, p in by_model["crashes"]]  # each artifact's one row, failed with the reason
    assert all(row.status.value == "failed" and "agent exited 3" in row.error for row in crashed)
    assert [len(t.result.samples_ms) >= 5 and p.status.value for t, p in by_model["next"]] == ["ok", "ok"]
    assert all(p.rows[0].value > 0 for _, p in by_model["next"])


QUICK = ["--warmup-seconds", "0", "--runs", "5", "--min-seconds", "0", "--target-ci", "0", "--threads", "1"]


def _profile(folder, inventory_file, db, *options):
    result = CliRunner().invoke(
        main, ["profile", str(folder), "--devices", str(inventory_file), "--db", str(db), *QUICK, *options]
    )
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        run = store.runs().run_id.iloc[-1]
        return result.output, run, {s.model: set(s.rounds) for s in store.samples(run)}, store.measurements()


def test_on_the_host_paired_models_share_rounds_and_a_ratio_across_groups_says_it_is_not_paired(
    as_models, inventory_file, tmp_path
):
    """`mbench profile --pair a,c` over models a, b, c: a and c in one group's rounds, b in its own after them, each
    group shown as it starts; a's ratio to c is paired, and `compare --models a,b` says a and b were not."""
    folder = as_models(["a", "b", "c"], [Format.ONNX])
    output, run, rounds, rows = _profile(folder, inventory_file, tmp_path / "r.db", "--pair", "a,c")
    assert "group 1/2 a+c: 2 artifact(s), 3 process(es) each" in output and "group 2/2 b: 1 artifact(s)" in output
    assert rounds["a"] == rounds["c"] and not rounds["a"] & rounds["b"]
    groups = {m: json.loads(d)["group"] for m, d in zip(rows.model, rows.details) if m in "abc"}
    assert groups == {"a": "a+c", "b": "b", "c": "a+c"}
    [ratio] = [line for line in output.splitlines() if " onnx " in line and " = " in line]
    assert "not paired" not in ratio and re.search(r"= [\d.]+x \(", ratio), output
    compared = CliRunner().invoke(main, ["compare", run, "--models", "a,b", "--db", str(tmp_path / "r.db")])
    assert "not paired: measured in different rounds" in compared.output and "--pair" in compared.output


def test_the_parts_of_a_split_group_are_not_paired_and_their_ratio_says_so(as_models, inventory_file, tmp_path):
    """A pair over the cap of one agent is split in two parts, one after the other: the rows say so, and the closing
    ratio and the report's headline say it is not paired rather than look like one."""
    folder = as_models(["a", "c"], [Format.ONNX])
    output, _, rounds, rows = _profile(
        folder, inventory_file, tmp_path / "r.db", "--pair", "a,c", "--max-agents", "1", "--processes", "1"
    )
    assert "group 1/2 a+c (1/2)" in output and "group 2/2 a+c (2/2)" in output
    assert not rounds["a"] & rounds["c"]
    split = [json.loads(d).get("group_split") for d in rows[rows.metric == "latency"].details]
    assert split == [
        "part 1 of 2: ratios across the parts are not paired",
        "part 2 of 2: ratios across the parts are not paired",
    ]
    [ratio] = [line for line in output.splitlines() if " onnx " in line and " = " in line]
    assert re.search(r"= [\d.]+x \(not paired: measured in different rounds\)", ratio), output
    page = tmp_path / "report.html"
    report = ["report", "-o", str(page), "--pair", "a,c", "--db", str(tmp_path / "r.db")]
    assert CliRunner().invoke(main, report).exit_code == 0
    assert re.search(r"[\d.]+x \(not paired: measured in different rounds\)", page.read_text())  # the headline
