"""`mbench compare RUN --models BASE,CAND`: two builds measured in one run, gated on their paired ratio."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from mbench.cli import main
from mbench.measure.estimate import Rounds, estimate
from mbench.report.compare_models import compare_models
from mbench.results import Context, Measurement, SampleSet
from mbench.store import Store

ROUNDS = tuple(r for r in range(30) for _ in range(6))


def _model(store, run, model, values, contended=False):
    details = json.dumps({"contended": contended, "marked_share": 0.0, "round_swing": 0.3 if contended else 0.02})
    latency = estimate(Rounds(tuple(values), ROUNDS))
    store.append(
        run,
        [Measurement(model, "onnx", "fp32", "host", "latency", latency, "ms", context=Context(details=details))],
        [SampleSet(model, "onnx", "fp32", "host", f"sha-{model}", tuple(values), rounds=ROUNDS)],
    )


def _one_run(db, slower: float, noise: float = 0.01, contended: bool = False):
    """Base and candidate in the same 30 rounds; the machine's speed swings 2x from round to round (shared)."""
    rng = np.random.default_rng(0)
    machine = rng.uniform(1.0, 2.0, 30)
    with Store(db) as store:
        store.start_run("R", "test")
        for model, scale in (("base", 1.0), ("cand", slower)):
            values = [float(10 * scale * machine[r] * rng.lognormal(0, noise)) for r in ROUNDS]
            _model(store, "R", model, values, contended)


def test_a_true_slowdown_is_caught_through_a_machine_that_swings_2x(tmp_path):
    _one_run(tmp_path / "slow.db", 1.10)
    with Store(tmp_path / "slow.db") as store:
        [d] = compare_models(store, "R", "base", "cand", 0.05).differences
    assert d.regressed and not d.inconclusive and d.key == ("cand vs base", "onnx", "fp32", "host")
    paired = re.search(r"paired over 30 rounds: ([\d.]+)x \(([\d.]+)-([\d.]+)\)", d.note)
    assert paired, d.note
    ratio, low, high = map(float, paired.groups())
    assert ratio == pytest.approx(1.10, abs=0.005) and low < 1.10 < high, d.note  # the slowdown put in, in its interval
    result = CliRunner().invoke(main, ["compare", "R", "--models", "base,cand", "--db", str(tmp_path / "slow.db")])
    assert result.exit_code == 1 and "candidate against baseline" in result.output, result.output


def test_an_identical_build_passes_and_a_contended_one_is_inconclusive(tmp_path):
    _one_run(tmp_path / "same.db", 1.0)
    _one_run(tmp_path / "busy.db", 1.04, noise=0.3, contended=True)
    with Store(tmp_path / "same.db") as store:
        [same] = compare_models(store, "R", "base", "cand", 0.05).differences
    with Store(tmp_path / "busy.db") as store:
        [busy] = compare_models(store, "R", "base", "cand", 0.05).differences
    assert not same.regressed and not same.inconclusive
    assert busy.inconclusive and not busy.regressed and "neither confirmed nor ruled out" in busy.note
    runner = CliRunner()
    assert (
        runner.invoke(main, ["compare", "R", "--models", "base,cand", "--db", str(tmp_path / "same.db")]).exit_code == 0
    )
    assert (
        runner.invoke(main, ["compare", "R", "--models", "base,cand", "--db", str(tmp_path / "busy.db")]).exit_code == 3
    )


def test_bad_model_names_say_what_was_measured(tmp_path):
    _one_run(tmp_path / "r.db", 1.0)
    runner = CliRunner()
    unknown = runner.invoke(main, ["compare", "R", "--models", "base,nope", "--db", str(tmp_path / "r.db")])
    assert (
        unknown.exit_code == 4 and "'nope' has no latency in run R" in unknown.output and "base, cand" in unknown.output
    )
    one = runner.invoke(main, ["compare", "R", "--models", "base", "--db", str(tmp_path / "r.db")])
    assert one.exit_code == 2 and "two different model names" in one.output
    two_runs = runner.invoke(main, ["compare", "R", "S", "--models", "base,cand", "--db", str(tmp_path / "r.db")])
    assert two_runs.exit_code == 2 and "exactly one RUN" in two_runs.output


def test_the_verdict_on_known_ratios():
    from mbench.measure.estimate import Ratio
    from mbench.report.compare_models import verdict

    def call(value, low, high, contended=False):
        regressed, inconclusive, _ = verdict(Ratio(value, low, high, 30), 0.05, contended)
        return "regression" if regressed else "inconclusive" if inconclusive else "ok"

    assert call(1.09, 1.08, 1.11) == "regression"
    assert call(1.09, 1.08, 1.11, contended=True) == "regression"  # the whole interval is past 1.05
    assert call(1.09, 1.02, 1.16, contended=True) == "inconclusive"
    assert call(1.17, 0.86, 1.80) == "inconclusive"  # past the threshold, but the interval reaches below 1
    assert call(0.94, 0.80, 1.15) == "inconclusive"  # a regression past 5 % is not ruled out
    assert call(1.00, 0.98, 1.02) == "ok" and call(1.03, 1.01, 1.04) == "ok"
    assert verdict(Ratio(1.08, None, None, 1), 0.05, False)[0]  # no interval: the threshold alone decides
