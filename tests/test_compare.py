"""`mbench compare`: differences between two runs, the Mann-Whitney test on raw samples, the CI exit status."""

import json
import random

import pytest
from click.testing import CliRunner

from mbench.cli import main
from mbench.errors import ExitCode
from mbench.measure.estimate import LATENCY_ESTIMATOR, Rounds, estimate
from mbench.report.compare import UnknownRunError, compare_runs, latest_run
from mbench.results import Measurement
from mbench.spec import Status
from mbench.results import SampleSet
from mbench.store import Store


def _run(store, run_id, medians_and_samples, size=1e6):
    """One run: per format a median row and its raw samples, plus a size row."""
    store.start_run(run_id, "test")
    rows, samples = [], []
    for fmt, values in medians_and_samples.items():
        if values is None:
            rows.append(Measurement("m", fmt, "fp32", "host", "latency", None, "", Status.FAILED, "agent crashed"))
            continue
        ordered = sorted(values)
        rows.append(Measurement("m", fmt, "fp32", "host", "latency_median", ordered[len(ordered) // 2], "ms"))
        samples.append(SampleSet("m", fmt, "fp32", "host", "sha", tuple(values)))
    rows.append(Measurement("m", "onnx", "fp32", "-", "size", size, "bytes"))
    store.append(run_id, rows, samples)


def _normal(mean, n, seed, spread=0.3):
    rng = random.Random(seed)
    return [rng.gauss(mean, spread) for _ in range(n)]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "c.db"
    with Store(path) as store:
        _run(
            store,
            "A",
            {
                "onnx": _normal(10, 60, 1),
                "tflite": _normal(10, 60, 2),
                "pytorch": _normal(10, 60, 3),
                "noisy": _normal(10, 4, 4, spread=3),
            },
        )
        _run(
            store,
            "B",
            {
                "onnx": _normal(12, 60, 5),
                "tflite": _normal(10.05, 60, 6),
                "pytorch": None,
                "noisy": _normal(11, 4, 7, spread=3),
            },
            size=1.2e6,
        )
    return path


def _by_format(result):
    return {d.key[1]: d for d in result.differences}


def test_a_large_significant_slowdown_is_a_regression(db):
    with Store(db) as store:
        diff = _by_format(compare_runs(store, "A", "B"))
    assert diff["onnx"].regressed and diff["onnx"].p_value < 1e-6
    assert diff["onnx"].change == pytest.approx(0.2, abs=0.03)
    assert diff["onnx"].samples == (60, 60)


def test_a_change_within_the_threshold_is_not(db):
    with Store(db) as store:
        diff = _by_format(compare_runs(store, "A", "B", threshold=0.05))
    assert not diff["tflite"].regressed and abs(diff["tflite"].change) < 0.05


def test_a_big_but_insignificant_change_is_not_a_regression(db):
    with Store(db) as store:
        noisy = _by_format(compare_runs(store, "A", "B"))["noisy"]
    assert noisy.p_value > 0.05 and not noisy.regressed and "not significant" in noisy.note


def test_something_that_starts_failing_is_a_regression(db):
    with Store(db) as store:
        pytorch = _by_format(compare_runs(store, "A", "B"))["pytorch"]
    assert pytorch.regressed and "agent crashed" in pytorch.note and pytorch.after is None


def test_metrics_without_samples_use_the_threshold_alone(db):
    with Store(db) as store:
        size = compare_runs(store, "A", "B", metric="size").differences
        bigger = compare_runs(store, "A", "B", metric="size", threshold=0.5).differences
    assert size[0].regressed and size[0].p_value is None and "threshold alone" in size[0].note
    assert not bigger[0].regressed


def test_unknown_runs_are_named_with_the_known_ones(db):
    with Store(db) as store, pytest.raises(UnknownRunError, match="'Z' is not in .*known runs.*A, B"):
        compare_runs(store, "A", "Z")
    with Store(db) as store:
        assert latest_run(store, "latency_median", excluding="A") == "B"


def test_cli_exits_non_zero_on_a_regression_and_zero_without(db, tmp_path):
    runner = CliRunner()
    failing = runner.invoke(main, ["compare", "A", "B", "--db", str(db), "-o", str(tmp_path / "c.html")])
    assert failing.exit_code == 1, failing.output
    assert "REGRESSION" in failing.output and "regression(s) in latency past 5.0%" in failing.output
    page = (tmp_path / "c.html").read_text()
    assert 'id="verdict"' in page and "2 regression(s)" in page
    passing = runner.invoke(main, ["compare", "--baseline", "A", "--threshold", "50%", "--db", str(db), "--json"])
    assert passing.exit_code == 1  # the onnx slowdown is within 50 %, but pytorch now fails
    assert {r["format"] for r in json.loads(passing.stdout) if r["verdict"] != "ok"} == {"pytorch"}
    calm = runner.invoke(main, ["compare", "A", "B", "--metric", "size", "--threshold", "50%", "--db", str(db)])
    assert calm.exit_code == 0 and "ok" in calm.output


def test_without_runs_the_newest_is_compared_with_the_one_before(db, tmp_path):
    newest = CliRunner().invoke(main, ["compare", "--db", str(db)])
    assert newest.exit_code == 1 and "A (before) -> B (after)" in newest.output
    with Store(tmp_path / "one.db") as store:
        _run(store, "only", {"onnx": _normal(10, 60, 1)})
    alone = CliRunner().invoke(main, ["compare", "--db", str(tmp_path / "one.db")])
    assert alone.exit_code == ExitCode.ERROR, alone.output
    assert f"no run other than only in {tmp_path / 'one.db'} measured 'latency'" in alone.output


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["compare", "A"], "give two runs", 2),
        (["compare", "--baseline", "A", "B"], "or none (the newest two)", 2),
        (["compare", "A", "Q"], "'Q' is not in", 4),
        (["compare", "A", "B", "--threshold", "five"], "expected a percentage", 2),
    ],
)
def test_bad_input_gets_a_clear_error_and_never_a_verdicts_code(db, args, message, code):
    """Usage errors exit 2, a run that is not in the database 4 (with the run and the database named): never 1,
    which a CI gate reads as a regression."""
    result = CliRunner().invoke(main, args + ["--db", str(db)])
    assert result.exit_code == code and message in result.output
    if code == 4:
        assert str(db) in result.output


def test_two_real_profile_runs_compare(profiled_db):
    with Store(profiled_db) as store:
        runs = list(store.runs().run_id)
        result = compare_runs(store, runs[1], runs[2], threshold=100.0)
    timed = {d.key[1]: d for d in result.differences if d.p_value is not None}
    assert set(timed) == {"onnx", "tflite", "pytorch"}
    assert all(0 <= d.p_value <= 1 and d.samples[0] >= 15 and not d.regressed for d in timed.values())


def _latency_run(store, run_id, values, marked, contended, swing=None, estimator=None, runs_kept=True):
    from mbench.results import Context

    store.start_run(run_id, "test")
    details = json.dumps(
        {
            "contended": contended,
            "marked_share": sum(marked) / len(marked),
            "round_swing": swing,
            **({"estimator": estimator} if estimator else {}),
        }
    )
    ordered = sorted(values)
    row = Measurement(
        "m", "onnx", "fp32", "host", "latency", ordered[len(ordered) // 2], "ms", context=Context(details=details)
    )
    kept = [SampleSet("m", "onnx", "fp32", "host", "sha", tuple(values), marked=tuple(marked))] if runs_kept else []
    store.append(run_id, [row], kept)


def test_a_slowdown_on_a_contended_machine_is_inconclusive_with_its_own_exit_code(tmp_path):
    db = tmp_path / "busy.db"
    with Store(db) as store:
        _latency_run(store, "Q", _normal(10, 60, 1), [False] * 60, contended=False)
        slow = _normal(10, 20, 2) + _normal(14, 40, 3)  # the machine took the CPU away for 40 of 60 runs
        _latency_run(store, "B", slow, [False] * 20 + [True] * 40, contended=True)
        _latency_run(store, "R", _normal(12, 60, 4), [False] * 30 + [True] * 30, contended=True)
        busy = compare_runs(store, "Q", "B").differences[0]
        real = compare_runs(store, "Q", "R").differences[0]
    assert busy.inconclusive and not busy.regressed and "could be the machine" in busy.note
    assert "contended after (67 % of runs descheduled)" in busy.note  # what made it contended, with its figure
    assert real.regressed and not real.inconclusive and "unmarked runs agree" in real.note
    result = CliRunner().invoke(main, ["compare", "Q", "B", "--db", str(db)])
    assert result.exit_code == 3 and "inconclusive" in result.output, result.output
    assert CliRunner().invoke(main, ["compare", "Q", "R", "--db", str(db)]).exit_code == 1


def test_rows_stored_with_another_estimator_are_estimated_again_from_their_runs(tmp_path):
    """A row stored before today's headline estimator against one after: the older one is estimated again from its
    stored runs, so both sides are alike, and the note says so; a row whose runs were not stored keeps its value and
    the note says the two were estimated differently."""
    older = _normal(10, 60, 1)
    with Store(tmp_path / "estimators.db") as store:
        _latency_run(store, "A", older, [False] * 60, contended=False, estimator="p25")
        _latency_run(store, "B", _normal(10, 60, 2), [False] * 60, contended=False, estimator=LATENCY_ESTIMATOR)
        _latency_run(
            store, "C", _normal(10, 60, 3), [False] * 60, contended=False, estimator="p25_rounds", runs_kept=False
        )
        stored = {r.run_id: r.value for r in store.measurements().itertuples()}
        across = compare_runs(store, "A", "B").differences[0]
        unstored = compare_runs(store, "C", "B").differences[0]
        _latency_run(store, "D", _normal(10, 60, 4), [False] * 60, contended=False, estimator="p25")
        both = compare_runs(store, "A", "D").differences[0]
    assert LATENCY_ESTIMATOR != "p25" and across.before == pytest.approx(estimate(Rounds(tuple(older))))
    assert across.before != pytest.approx(stored["A"]) and across.after == pytest.approx(stored["B"])
    assert f"{LATENCY_ESTIMATOR} taken again from the stored runs (first stored as p25)" in across.note
    assert "estimated differently" not in across.note and not across.regressed
    assert unstored.before == pytest.approx(stored["C"]) and "taken again" not in unstored.note
    assert f"estimated differently: p25_rounds then {LATENCY_ESTIMATOR}" in unstored.note
    assert "(both stored as p25)" in both.note


def test_a_change_within_the_machines_swing_is_inconclusive_one_past_it_stands(tmp_path):
    """Rows contended by swing (nothing marked: a neighbour the guest cannot see slowed whole rounds)."""
    with Store(tmp_path / "swing.db") as store:
        _latency_run(store, "A", _normal(10, 60, 1), [False] * 60, contended=True, swing=0.25)
        _latency_run(store, "B", _normal(11.5, 60, 2), [False] * 60, contended=True, swing=0.25)  # +15 %
        _latency_run(store, "C", _normal(14, 60, 3), [False] * 60, contended=False, swing=0.02)  # +40 %
        _latency_run(store, "D", _normal(9, 60, 4), [False] * 60, contended=True, swing=0.25)  # -10 %
        _latency_run(store, "E", _normal(6, 60, 5), [False] * 60, contended=True, swing=0.25)  # -40 %
        within = compare_runs(store, "A", "B").differences[0]
        past = compare_runs(store, "A", "C").differences[0]
        faster = compare_runs(store, "A", "D").differences[0]
        clearly_faster = compare_runs(store, "A", "E").differences[0]
    assert within.inconclusive and not within.regressed and "swung up to 25%" in within.note
    assert past.regressed and "by more than the swing (25%)" in past.note
    assert faster.inconclusive and not faster.regressed and "cannot be ruled out" in faster.note
    assert not clearly_faster.inconclusive and not clearly_faster.regressed


def test_a_regression_within_the_swing_of_uncontended_rows_is_inconclusive(tmp_path):
    """Neither row contended (swing 9 %, nothing marked), +12 %: past a 5 % threshold, not past it plus the swing."""
    with Store(tmp_path / "drift.db") as store:
        _latency_run(store, "A", _normal(10, 60, 1), [False] * 60, contended=False, swing=0.09)
        _latency_run(store, "B", _normal(11.2, 60, 2), [False] * 60, contended=False, swing=0.05)
        _latency_run(store, "C", _normal(10.2, 60, 3), [False] * 60, contended=False, swing=0.05)
        drifted = compare_runs(store, "A", "B").differences[0]
        small = compare_runs(store, "A", "C").differences[0]
    assert drifted.inconclusive and not drifted.regressed and "swung up to 9%" in drifted.note
    assert not small.inconclusive and not small.regressed  # within the threshold on a quiet machine: ok


def _drift_run(store, run_id, scales, shas, swing=0.02):
    """One artifact per scale (each multiplies a 10 ms latency), ``shas`` naming each one's build."""
    from mbench.results import Context

    store.start_run(run_id, "test")
    details = json.dumps({"contended": False, "marked_share": 0.0, "round_swing": swing})
    for i, (scale, sha) in enumerate(zip(scales, shas)):
        values = _normal(10 * scale, 60, 10 * i + len(run_id), spread=0.1)
        ordered = sorted(values)
        row = Measurement(
            f"m{i}",
            "onnx",
            "fp32",
            "host",
            "latency",
            ordered[30],
            "ms",
            artifact_sha256=sha,
            context=Context(details=details),
        )
        store.append(run_id, [row], [SampleSet(f"m{i}", "onnx", "fp32", "host", sha, tuple(values))])


def test_a_machine_that_moved_between_runs_is_seen_through_the_unchanged_artifacts(tmp_path):
    same = ["a", "b", "c", "d"]
    with Store(tmp_path / "moved.db") as store:
        _drift_run(store, "A", [1, 1, 1, 1], same)
        _drift_run(store, "B", [1.3, 1.3, 1.3, 1.3], same)  # the same builds, the machine 30 % slower
        _drift_run(store, "C", [1.3 * 1.5, 1.3, 1.3, 1.3], ["a2", "b", "c", "d"])  # m0 rebuilt and 50 % slower
        rerun = compare_runs(store, "A", "B").differences
        rebuilt = compare_runs(store, "A", "C").differences
    assert not any(d.regressed for d in rerun) and all(d.inconclusive for d in rerun)
    assert "the machine moved +30% between the runs (median of 3 unchanged artifacts, spread 0%)" in rerun[0].note
    assert rebuilt[0].regressed and "+50% against the machine's drift (+30%)" in rebuilt[0].note
    assert not any(d.regressed for d in rebuilt[1:])


def test_references_that_disagree_about_the_drift_leave_a_small_change_inconclusive():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "spread.db") as store:
        _drift_run(store, "A", [1, 1, 1, 1], ["a", "b", "c", "d"])
        _drift_run(store, "B", [1.5 * 1.15, 1.1, 1.5, 1.9], ["a2", "b", "c", "d"])  # +15 % on a drift of 10-90 %
        rebuilt = compare_runs(store, "A", "B").differences[0]
    assert rebuilt.inconclusive and not rebuilt.regressed and "spread 40%" in rebuilt.note


def test_on_a_calm_machine_the_unchanged_artifacts_set_the_margin_not_the_swing(tmp_path):
    """Rows swung 9 % between rounds but are not contended; the unchanged builds moved 0-2 % between the runs, so a
    +10 % rebuild is a regression (measured: 18:48 UTC in benchmarks/RESULTS.md). With only two references the swing
    stays the margin."""
    with Store(tmp_path / "calm.db") as store:
        _drift_run(store, "A", [1, 1, 1, 1], ["a", "b", "c", "d"], swing=0.09)
        _drift_run(store, "B", [1.10, 1.0, 1.01, 0.99], ["a2", "b", "c", "d"], swing=0.09)
        _drift_run(store, "C", [1, 1, 1], ["a", "b", "c"], swing=0.09)
        _drift_run(store, "D", [1.10, 1.0, 1.01], ["a2", "b", "c"], swing=0.09)
        calm = compare_runs(store, "A", "B").differences
        few = compare_runs(store, "C", "D").differences[0]
    assert calm[0].regressed and "more than the widest an unchanged artifact strayed" in calm[0].note
    assert not any(d.regressed or d.inconclusive for d in calm[1:])
    assert few.inconclusive and not few.regressed and "swung up to 9%" in few.note


def test_a_machine_that_got_faster_does_not_hide_a_regression(tmp_path):
    """Measured (benchmarks/RESULTS.md, 2026-12-01 21:13 UTC): the unchanged builds ran 2-6 % faster in the second
    run, so a true +9 % rebuild read +4 % and passed the 5 % threshold."""
    with Store(tmp_path / "faster.db") as store:
        _drift_run(store, "A", [1, 1, 1, 1, 1], ["a", "b", "c", "d", "e"])
        _drift_run(store, "B", [1.09 * 0.96, 0.96, 0.95, 0.97, 0.96], ["a2", "b", "c", "d", "e"])
        rebuilt, *unchanged = compare_runs(store, "A", "B").differences
    assert rebuilt.change < 0.05 and rebuilt.regressed and "against the machine's drift (-4%)" in rebuilt.note
    assert not any(d.regressed or d.inconclusive for d in unchanged)
