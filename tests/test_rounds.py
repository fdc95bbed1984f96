"""Interleaved rounds on the host: warm agents, shuffled order, pairing, CPU-share marking, death with the parent."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import time
from collections import defaultdict

import pytest

from mbench.artifacts import find_artifacts
from mbench.convert.pipeline import convert_model
from mbench.devices.inventory import load_inventory
from mbench.devices.local import agent_argv
from mbench.measure import rounds as rounds_module
from mbench.measure.agent import AgentResult
from mbench.measure.rounds import SPARE_WARMUP_S, AgentSession, Job, Track, _grow, _pace, measure_in_rounds
from mbench.measure.rows import interference
from mbench.measure.estimate import LATENCY_QUANTILE, MIN_ROUNDS, Rounds, halves_apart, paired_ratio
from mbench.measure.interference import mark, neighbour_busy
from mbench.measure.timing import RunPlan, ci_width
from mbench.models.sources import spec_from_source
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import profile_and_record

PLAN = RunPlan(
    warmup_runs=2,
    warmup_seconds=0,
    runs=10,
    min_seconds=0.15,
    max_seconds=1,
    target_ci=0,
    burst_seconds=0.02,
    seed=7,
    processes=2,
)


@pytest.fixture(scope="module")
def rounds_db(tiny_artifacts_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rounds")
    (folder / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    with Store(folder / "r.db") as store:
        profile_and_record(tiny_artifacts_dir, "host", load_inventory(folder / "devices.yaml"), store, PLAN)
        yield store.measurements(), store.samples()


def _orders(samples) -> dict[int, list[tuple[int, float, str]]]:
    """Per round: (position, first timestamp, format) of every artifact in it."""
    found = defaultdict(list)
    for s in samples:
        firsts = {}
        for r, p, t in zip(s.rounds, s.positions, s.timestamps):
            firsts.setdefault((r, p), t)
        for (r, p), t in firsts.items():
            found[r].append((p, t, s.format))
    return found


def test_every_round_is_a_shuffled_permutation_timed_in_its_order(rounds_db):
    _, samples = rounds_db
    assert {s.format for s in samples} == {"onnx", "tflite", "pytorch"}
    assert all(len(s.rounds) == len(s.positions) == len(s.timestamps) == len(s.values_ms) for s in samples)
    orders = _orders(samples)
    assert len(orders) >= 4
    for entries in orders.values():
        assert sorted(p for p, _, _ in entries) == list(range(len(entries)))  # a permutation
        by_position = [fmt for _, _, fmt in sorted(entries)]
        assert by_position == [fmt for _, _, fmt in sorted(entries, key=lambda e: e[1])]  # timed in that order
    sequences = {tuple(fmt for _, _, fmt in sorted(e)) for e in orders.values() if len(e) == 3}
    assert len(sequences) > 1  # shuffled, not one fixed order


def test_rounds_pair_artifacts_and_rows_say_what_was_seen(rounds_db):
    rows, samples = rounds_db
    onnx, tflite = (
        Rounds(s.values_ms, s.rounds, s.marked) for f in ("onnx", "tflite") for s in samples if s.format == f
    )
    ratio = paired_ratio(onnx, tflite)
    assert ratio.rounds >= 4 and ratio.low <= ratio.value <= ratio.high
    latency = rows[(rows.metric == "latency") & (rows.format == "onnx")].iloc[0]
    details = json.loads(latency.details)
    assert latency.value > 0 and 0 <= details["marked_share"] <= 1 and isinstance(details["contended"], bool)
    assert details["cpus"] and details["rounds"] >= 4 and details["round_seed"] == 7 and latency.threads == 1
    assert ("neighbour_busy" in details) == (len(os.sched_getaffinity(0)) > 1)  # pinned to one CPU of several
    assert (details["burst_seconds"], details["burst_runs"]) == (PLAN.burst_seconds, PLAN.burst_runs)
    assert details["paced_burst_runs"] >= PLAN.burst_runs  # the runs its bursts were paced to (rounds._pace)


def test_bursts_are_paced_so_every_artifact_meets_its_minimums_in_the_same_round():
    """A 7.6 ms model needs 132 runs for its second, in 10 rounds of 0.1 s bursts (14 runs); a 31.5 ms one needs its
    50 runs, in 13 rounds of 4: both are paced to 13 rounds, the fast one with 11 runs a burst. Without a run time
    (no warm-up, no first run) bursts keep to their seconds."""
    plan = RunPlan(runs=50, min_seconds=1.0, burst_seconds=0.1, burst_runs=3)
    fast, slow, unknown = (
        Track(Job(None, ""), AgentResult("ok", warmup_ms=warm, first_ms=first))
        for warm, first in (([7.7, 7.6, 7.5], 9.0), ([31.5], 40.0), ([], None))
    )
    _pace([fast, slow], plan)
    assert (fast.paced_runs, slow.paced_runs) == (11, 4) and 11 * 13 >= 132 and 4 * 13 >= 50
    assert fast.result.burst_runs == 11
    again = Track(Job(None, ""), AgentResult("ok", warmup_ms=[7.6]))
    _pace([again, unknown], plan)
    assert again.paced_runs == unknown.paced_runs == 0


def test_bursts_grow_once_the_minimums_are_met_until_the_rest_of_a_round_is_a_fifth_of_it():
    """Two settled artifacts (10 and 20 ms a run) and two still measuring (15 and 30 ms): a round costs every
    artifact's re-warm run and each settled one's timed run besides the bursts, 105 ms; the two share four times that
    alike, 210 ms, so the 15 ms one that has its minimums gets 14 runs a burst; near the end of its budget only what is
    left of it (110 ms: 8 runs); the 30 ms one, short of its minimums, keeps its pace; never fewer than paced."""
    plan = RunPlan(runs=50, min_seconds=1.0, max_seconds=20, burst_seconds=0.1, burst_runs=3)

    def track(ms: float, runs: int = 0, settled: bool = False, paced: int = 0) -> Track:
        made = Track(Job(None, ""), AgentResult("ok", warmup_ms=[ms], samples_ms=[ms] * runs, burst_runs=paced))
        made.settled = settled
        return made

    settled = [track(10.0, 200, settled=True), track(20.0, 100, settled=True)]
    going, short = track(15.0, 134), track(30.0, 20, paced=4)
    _grow([*settled, going, short], plan)
    assert (going.grown_runs, short.grown_runs) == (14, 0) and going.result.grown_burst_runs == 14
    assert all(t.grown_runs == 0 for t in settled)
    late = track(15.0, 1326)  # 19.89 s of its 20 s budget
    _grow([*settled, late, short], plan)
    assert late.grown_runs == 8
    paced = track(15.0, 134, paced=20)  # already 20 runs a burst: not grown to fewer
    _grow([*settled, paced, short], plan)
    assert paced.grown_runs == 0 and paced.paced_runs == 20


def test_a_burst_has_at_least_its_runs_however_long_they_take(tiny_artifacts_dir):
    """A burst shorter than one run still has ``burst_runs`` timed runs (after its re-warm run): a slow model's
    bursts are not one timed run each, half of their time spent re-warming."""
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    plan = RunPlan(
        warmup_seconds=0,
        runs=9,
        min_seconds=0,
        max_seconds=10,
        target_ci=0,
        burst_seconds=1e-6,
        burst_runs=3,
        processes=1,
    )
    [track] = measure_in_rounds([Job(onnx, str(onnx.manifest_path))], agent_argv(), plan, 1, None, 60)
    assert not track.failed, track.result.error
    assert track.result.rounds == [0] * 3 + [1] * 3 + [2] * 3


def test_each_artifacts_processes_take_its_bursts_in_turn(rounds_db):
    rows, samples = rounds_db
    for s in samples:
        assert len(s.processes) == len(s.values_ms)
        turns = [
            p
            for i, p in enumerate(s.processes)
            if i == 0 or (s.rounds[i], s.processes[i]) != (s.rounds[i - 1], s.processes[i - 1])
        ]  # one entry per burst
        assert turns == [i % 2 for i in range(len(turns))]
    details = json.loads(rows[(rows.metric == "latency") & (rows.format == "tflite")].iloc[0].details)
    assert details["processes"] == 2


FAKE_AGENT = """
import json, os, random, sys, time
noisy = False  # an ONNX artifact's runs spread too wide for any stopping rule: it runs to its budget
with open(sys.argv[1], "a") as log:
    log.write(json.dumps(dict(pid=os.getpid(), do="started", cpus=None, start=time.time(), end=time.time())) + "\\n")
for line in sys.stdin:
    command = json.loads(line)
    noisy = noisy or command.get("manifest", "").endswith(".onnx.manifest.json")
    start = time.time()
    time.sleep(0.2 if command["do"] in ("runtime", "load", "warmup") else 0)
    with open(sys.argv[1], "a") as log:
        log.write(json.dumps(dict(pid=os.getpid(), do=command["do"], cpus=command.get("cpus"), start=start,
                                  end=time.time(), seconds=command.get("seconds"), runs=command.get("runs"),
                                  warmup_seconds=command.get("plan", {}).get("warmup_seconds"))) + "\\n")
    print(json.dumps(dict(ok=True, runtime="fake", runtime_version="0", compute_units="", cpus=[], environment={},
                          rss_before_load_bytes=0, load_ms=1.0, first_ms=1.0, warmup_ms=[1.0],
                          wall_ms=[random.uniform(1, 3) if noisy else 1.0],
                          cpu_ms=[1.0], wait_ms=[0.0], t=[start], kernel={}, peak_rss_bytes=0)), flush=True)
"""


def test_first_processes_start_alone_and_the_others_side_by_side(tiny_artifacts_dir, tmp_path):
    """Every agent starts and imports its runtime side by side (nothing is timed yet); then each artifact's first
    agent loads and warms up pinned with nothing else running (its load, first run and warm-up go on the row); the
    other agents of all artifacts then load and warm up together, unpinned, and are pinned before the rounds."""
    agent, log = tmp_path / "agent.py", tmp_path / "steps.jsonl"
    agent.write_text(FAKE_AGENT)
    jobs = [Job(a, str(a.manifest_path)) for a in find_artifacts(tiny_artifacts_dir)[:2]]
    plan = RunPlan(warmup_seconds=0.5, runs=1, min_seconds=0, max_seconds=0, target_ci=0, processes=3)
    tracks = list(measure_in_rounds(jobs, [sys.executable, str(agent), str(log)], plan, 1, [0], 30))
    assert [t.failed for t in tracks] == [False, False] and all(len(t.sessions) == 3 for t in tracks)
    steps = [json.loads(line) for line in log.read_text().splitlines()]
    firsts = {s["pid"] for s in steps if s["do"] == "load" and s["cpus"] == [0]}
    spares = {s["pid"] for s in steps} - firsts
    assert len(firsts) == 2 and len(spares) == 4
    warmups = {s["pid"]: s["warmup_seconds"] for s in steps if s["do"] == "warmup"}
    assert [warmups[pid] for pid in firsts] == [0.5, 0.5]  # the row's warm-up: the plan's
    assert [warmups[pid] for pid in spares] == [SPARE_WARMUP_S] * 4  # nothing of it reaches a row
    starting = [s for s in steps if s["do"] in ("load", "warmup", "pin")]
    for first in (s for s in starting if s["pid"] in firsts):
        assert not [s for s in starting if s is not first and s["start"] < first["end"] and first["start"] < s["end"]]
    spare_loads = [s for s in starting if s["pid"] in spares and s["do"] == "load"]
    assert all(s["cpus"] is None for s in spare_loads)
    assert any(a is not b and a["start"] < b["end"] and b["start"] < a["end"] for a in spare_loads for b in spare_loads)
    runtimes = [s for s in steps if s["do"] == "runtime"]
    assert len(runtimes) == 6 and max(s["end"] for s in runtimes) <= min(s["start"] for s in starting)
    assert any(a is not b and a["start"] < b["end"] and b["start"] < a["end"] for a in runtimes for b in runtimes)
    for pid in firsts:
        assert [s["do"] for s in steps if s["pid"] == pid][:4] == ["started", "runtime", "load", "warmup"]
    for pid in spares:
        assert [s["do"] for s in steps if s["pid"] == pid][:5] == ["started", "runtime", "load", "warmup", "pin"]
        assert next(s["cpus"] for s in steps if s["pid"] == pid and s["do"] == "pin") == [0]


def test_agents_start_only_as_many_at_a_time_as_there_are_cpus(tiny_artifacts_dir, tmp_path):
    """An agent starts when a worker takes it, not all at once with the others (an sshd drops connections past ten
    starting at once): at no moment are more of them started but not yet past their first command than the workers;
    spares load as many at a time."""
    agent, log = tmp_path / "agent.py", tmp_path / "steps.jsonl"
    agent.write_text(FAKE_AGENT)
    workers = max(2, os.cpu_count() or 1)
    jobs = [Job(a, str(a.manifest_path)) for a in find_artifacts(tiny_artifacts_dir)[:2]]
    plan = RunPlan(warmup_seconds=0, runs=1, min_seconds=0, max_seconds=0, target_ci=0, processes=workers // 2 + 2)
    assert [t.failed for t in measure_in_rounds(jobs, [sys.executable, str(agent), str(log)], plan, 1, [0], 30)] == [
        False,
        False,
    ]
    steps = [json.loads(line) for line in log.read_text().splitlines()]
    for first, then in (("started", "runtime"), ("load", "pin")):
        done = {s["pid"]: s["end"] for s in steps if s["do"] == then}
        begun = {s["pid"]: s["start"] for s in steps if s["do"] == first and s["pid"] in done}
        assert len(begun) >= 2 * (plan.processes - 1) > workers
        assert max(sum(begun[p] <= t < done[p] for p in begun) for t in begun.values()) <= workers


@pytest.mark.parametrize("together", [False, True])
def test_an_artifact_leaves_when_its_rule_holds_or_waits_for_the_others(tiny_artifacts_dir, tmp_path, together):
    """With ``together`` (the default) an artifact whose stopping rule holds stays until every artifact's does, with
    one run per round, so all rows cover the same rounds; apart, it leaves when its own rule holds."""
    agent, log = tmp_path / "agent.py", tmp_path / "log"
    agent.write_text(FAKE_AGENT)
    found = {a.format: a for a in find_artifacts(tiny_artifacts_dir)}
    jobs = [Job(found[f], str(found[f].manifest_path)) for f in (Format.ONNX, Format.TFLITE)]
    plan = RunPlan(
        warmup_seconds=0, runs=10, min_seconds=0, max_seconds=0.1, target_ci=0.01, processes=1, together=together
    )
    tracks = {
        t.job.artifact.format: t
        for t in measure_in_rounds(jobs, [sys.executable, str(agent), str(log)], plan, 1, None, 30)
    }
    rounds = {f: len(set(t.result.rounds)) for f, t in tracks.items()}
    assert 35 <= rounds[Format.ONNX] <= 100  # spread runs (1-3 ms, one per burst): it spends its 0.1 s budget
    if together:
        assert rounds[Format.TFLITE] == rounds[Format.ONNX]
        pid = tracks[Format.TFLITE].sessions[0].process.pid
        asked = [
            (s["seconds"], s["runs"])
            for s in map(json.loads, log.read_text().splitlines())
            if s["pid"] == pid and s["do"] == "burst"
        ]
        # paced (its ten runs in one round, the fake answering one a burst), then settled: one run a round
        assert asked == [(0, 10)] * 10 + [(0, 1)] * (rounds[Format.ONNX] - 10)
    else:
        assert rounds[Format.TFLITE] == 10  # steady runs: its rule holds after the minimum of ten runs
    result = tracks[Format.TFLITE].result
    seen = interference(Rounds.measured(result.samples_ms, result.rounds, result.cpu_ms, result.wait_ms), result, plan)
    assert seen.get("rounds_together", False) is together  # the row says how it was measured


@pytest.mark.parametrize("halves", [True, False])
def test_agreeing_halves_of_the_rounds_settle_an_artifact_before_its_budget(
    tiny_artifacts_dir, tmp_path, monkeypatch, halves
):
    """Seeded runs spread evenly over 1.0-1.5 ms, one per round: the headline quantile's interval (the 10th
    percentile's) needs about 3,000 runs to reach 1 %, so by it alone the artifact spends its budget; its even and
    odd rounds agree within 1 % long before, while that interval is within three times the target, and settle it."""
    agent = tmp_path / "agent.py"
    agent.write_text(
        "import random\nrandom.seed(0)\n" + FAKE_AGENT.replace("random.uniform(1, 3)", "1.0 + random.random() / 2")
    )
    if not halves:
        monkeypatch.setattr(rounds_module, "halves_apart", lambda runs: None)
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    plan = RunPlan(warmup_seconds=0, runs=50, min_seconds=0, max_seconds=2, target_ci=0.01, processes=1)
    [track] = measure_in_rounds(
        [Job(onnx, str(onnx.manifest_path))], [sys.executable, str(agent), str(tmp_path / "log")], plan, 1, None, 30
    )
    spent = sum(track.result.samples_ms) / 1e3
    if halves:
        assert 2 * MIN_ROUNDS <= len(track.result.samples_ms) < 1000 and spent < plan.max_seconds / 2
        assert halves_apart(Rounds(tuple(track.result.samples_ms), tuple(track.result.rounds))) <= plan.target_ci
    else:
        assert spent >= plan.max_seconds or ci_width(track.result.samples_ms, LATENCY_QUANTILE) <= plan.target_ci
        assert len(track.result.samples_ms) > 1400


def test_an_agent_ssh_could_not_start_is_started_again(tiny_artifacts_dir, tmp_path):
    """Exit 255 before any answer is ssh's own failure (sshd dropping connections past its MaxStartups): the agent
    never ran, so it is started again; the first two launches here fail that way, the third answers."""
    agent, launches = tmp_path / "agent.py", tmp_path / "launches"
    agent.write_text(
        "import sys\nfrom pathlib import Path\nlaunches = Path(sys.argv[2])\n"
        "n = len(launches.read_text()) if launches.exists() else 0\nlaunches.write_text('x' * (n + 1))\n"
        "if n < 2:\n    print('kex_exchange_identification: read: Connection reset by peer', "
        "file=sys.stderr)\n    sys.exit(255)\n" + FAKE_AGENT
    )
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    plan = RunPlan(warmup_seconds=0, runs=1, min_seconds=0, max_seconds=0, target_ci=0, processes=1)
    [track] = measure_in_rounds(
        [Job(onnx, str(onnx.manifest_path))],
        [sys.executable, str(agent), str(tmp_path / "log"), str(launches)],
        plan,
        1,
        None,
        30,
    )
    assert not track.failed and track.result.samples_ms and launches.read_text() == "xxx"


def test_an_agent_started_again_lives_through_the_rounds(tiny_artifacts_dir, tmp_path):
    """The real agent (it asks the kernel to kill it when the thread that started it ends) behind a launcher whose
    second launch fails as a dropped ssh connection: the agents start side by side, so whichever of the two it was
    is started again by a thread that outlives it, and both take their bursts."""
    launcher, launches = tmp_path / "launch.py", tmp_path / "launches"
    launcher.write_text(
        "import os, sys\nn = 0\nwhile True:\n    try:\n"  # numbered atomically: launches race
        "        os.close(os.open(f'{sys.argv[1]}.{n}', os.O_CREAT | os.O_EXCL))\n        break\n"
        "    except FileExistsError:\n        n += 1\n"
        "if n == 1:\n    print('kex_exchange_identification: read: Connection reset by peer', "
        "file=sys.stderr)\n    sys.exit(255)\nos.execv(sys.argv[2], sys.argv[2:])\n"
    )
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    plan = RunPlan(
        warmup_seconds=0, runs=10, min_seconds=0.1, max_seconds=0.3, target_ci=0, burst_seconds=0.02, processes=2
    )
    [track] = measure_in_rounds(
        [Job(onnx, str(onnx.manifest_path))],
        [sys.executable, str(launcher), str(launches), *agent_argv()],
        plan,
        1,
        None,
        60,
    )
    assert not track.failed, track.result.error
    assert len(list(tmp_path.glob("launches.*"))) == 3 and set(track.result.processes) == {0, 1}


def test_pinning_moves_every_thread_of_an_agent(tiny_artifacts_dir):
    """Threads started before pinning (numpy's BLAS pool, at import) are moved too, at load and by 'pin'."""
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    cpu = sorted(os.sched_getaffinity(0))[-1]
    for pinned_at_load in (True, False):
        session = AgentSession(agent_argv(), timeout_s=120)
        try:
            assert session.first(
                do="load", manifest=str(onnx.manifest_path), threads=1, cpus=[cpu] if pinned_at_load else None
            )["ok"]
            if not pinned_at_load:
                assert session.ask(do="pin", cpus=[cpu])["cpus"] == [cpu]
            tasks = os.listdir(f"/proc/{session.process.pid}/task")
            assert len(tasks) > 1 and {tuple(os.sched_getaffinity(int(t))) for t in tasks} == {(cpu,)}
        finally:
            session.stop()


def test_a_starved_agent_sees_marked_runs(tmp_path):
    """An agent pinned to one CPU beside a busy loop pinned to the same CPU: many runs lose the CPU mid-run."""
    tiny = spec_from_source("test-tiny")
    spec = dataclasses.replace(tiny, inputs=(dataclasses.replace(tiny.inputs[0], shape=(1, 3, 256, 256)),))
    onnx = next(o.artifact for o in convert_model(spec, [Format.ONNX], tmp_path) if o.artifact)
    cpu = sorted(os.sched_getaffinity(0))[-1]
    session = AgentSession(agent_argv(), timeout_s=120)
    busy = None
    try:
        assert session.first(do="load", manifest=str(onnx.manifest_path), threads=1, cpus=[cpu])["ok"]
        quiet = session.ask(do="burst", seconds=0.5)
        busy = subprocess.Popen(
            [sys.executable, "-c", f"import os; os.sched_setaffinity(0, [{cpu}])\nwhile True: pass"]
        )
        time.sleep(0.2)
        starved = session.ask(do="burst", seconds=1.0)
    finally:
        if busy:
            busy.kill()
        session.ask(do="close")
        session.stop()
    wall, cpu_ms, wait = (quiet[k] + starved[k] for k in ("wall_ms", "cpu_ms", "wait_ms"))
    marks = mark(wall, cpu_ms, wait)
    starved_marks = marks[len(quiet["wall_ms"]) :]  # the quiet burst sets the typical share where the host is quiet
    assert sum(starved_marks) / len(starved_marks) >= 0.5, starved_marks


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs a CPU beside the agent's")
def test_an_agent_sees_a_busy_loop_on_the_cpu_beside_it(tiny_artifacts_dir):
    """Nothing takes the agent's CPU, so nothing is marked: the kernel's ticks of the CPU beside it say it was busy."""
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    *others, cpu = sorted(os.sched_getaffinity(0))
    session = AgentSession(agent_argv(), timeout_s=120)
    busy = None
    try:
        assert session.first(do="load", manifest=str(onnx.manifest_path), threads=1, cpus=[cpu])["ok"]
        for _ in range(10):  # wait for the CPU beside it to be free of other work, so that the loop is what it sees
            quiet = session.ask(do="burst", seconds=0.5)["kernel"]
            if neighbour_busy([quiet]) < 0.8 / len(others):
                break
        else:
            pytest.skip(f"something else keeps the CPU beside the agent busy ({neighbour_busy([quiet]):.0%})")
        busy = subprocess.Popen(
            [sys.executable, "-c", f"import os; os.sched_setaffinity(0, {others})\nwhile True: pass"]
        )
        time.sleep(0.2)
        loaded = session.ask(do="burst", seconds=1.0)["kernel"]
    finally:
        if busy:
            busy.kill()
        session.ask(do="close")
        session.stop()
    beside = neighbour_busy([loaded])
    assert quiet["neighbour_ticks"] > 0 and beside >= 0.8 / len(others) and beside > neighbour_busy([quiet]), (
        quiet,
        loaded,
    )


def test_the_agent_dies_when_mbench_is_killed(tiny_artifacts_dir, tmp_path):
    """kill -9 of the process that started an agent: the agent is gone within a few seconds."""
    onnx = next(a for a in find_artifacts(tiny_artifacts_dir) if a.format is Format.ONNX)
    parent = tmp_path / "parent.py"
    parent.write_text(
        textwrap.dedent(f"""
        import sys, time
        from mbench.devices.local import agent_argv
        from mbench.measure.rounds import AgentSession, Job, measure_in_rounds
        session = AgentSession(agent_argv(), timeout_s=60)
        assert session.first(do="load", manifest={str(onnx.manifest_path)!r}, threads=1, cpus=None)["ok"]
        print(session.process.pid, flush=True)
        time.sleep(600)
    """)
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, str(parent)], stdout=subprocess.PIPE, text=True, env=env)
    agent = int(process.stdout.readline())
    assert _alive(agent)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 5
    while _alive(agent) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(agent)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_tool_processes_die_with_their_parent(tmp_path):
    parent = tmp_path / "parent.py"
    parent.write_text("from mbench.measure.processes import run_tool\nrun_tool(['sleep', '600'], 900, 'sleep')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, str(parent)], env=env)
    deadline = time.monotonic() + 20
    while not (sleepers := _children_named(process.pid, "sleep")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleepers
    process.kill()
    process.wait()
    time.sleep(1)
    assert not any(_alive(pid) for pid in sleepers)


def _children_named(parent: int, name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().split(")")
                comm, ppid = fields[0].split("(")[-1], int(fields[-1].split()[1])
            except (FileNotFoundError, IndexError, ValueError):
                continue
            if comm == name and ppid == parent:
                found.append(int(entry))
    return found
