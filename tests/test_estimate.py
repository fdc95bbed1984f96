"""Estimators, marking and the paired bootstrap ratio on synthetic samples with known answers."""

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from mbench.measure.estimate import MIN_ROUNDS, Rounds, estimate, halves_apart, paired_ratio
from mbench.measure.interference import (
    MARK_SHARE,
    NEIGHBOUR_CONTENDED_ABOVE,
    contended,
    contention,
    interference_phrase,
    mark,
    neighbour_busy,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from estimators import ESTIMATORS  # noqa: E402  (the candidates bench_repeatability.py compares)


def test_estimators_on_known_values():
    s = Rounds(
        (1.0, 2.0, 3.0, 4.0, 100.0, 5.0, 6.0, 7.0, 8.0, 9.0),
        rounds=(0,) * 5 + (1,) * 5,
        marked=(False,) * 4 + (True,) + (False,) * 5,
    )
    assert estimate(s, ESTIMATORS["median"]) == 5.5
    assert estimate(s, ESTIMATORS["trimmed_mean"]) == pytest.approx(np.mean([2, 3, 4, 5, 6, 7, 8, 9]))
    assert estimate(s, ESTIMATORS["p25"]) == pytest.approx(np.percentile(s.values, 25))
    assert estimate(s, ESTIMATORS["min_round_median"]) == 3.0  # round 0: median 3; round 1: median 7
    assert estimate(s, ESTIMATORS["unmarked_mean"]) == pytest.approx(5.0)  # the 100 ms run was marked
    assert estimate(s, ESTIMATORS["unmarked_median"]) == 5.0
    assert estimate(s, ESTIMATORS["round_median_p10"]) == pytest.approx(3.4)  # between the round medians 3 and 7
    assert estimate(s, ESTIMATORS["fast_rounds_mean"]) == pytest.approx(2.5)  # round 0 (faster), its 100 ms run marked
    assert set(ESTIMATORS) >= {"median", "trimmed_mean", "p25", "min_round_median", "unmarked_mean"}


def test_p25_rounds_weighs_every_round_alike():
    """One round of nine fast runs, then seven rounds of one slower run each (an artifact that met its rule early
    taking one run per round while the others go on): by run the fast round is most of the runs, by round an
    eighth of them."""
    s = Rounds((1.0,) * 9 + (2.0,) * 7, (0,) * 9 + tuple(range(1, 8)))
    assert estimate(s, ESTIMATORS["p25"]) == 1.0 and estimate(s, ESTIMATORS["p25_rounds"]) == 2.0
    even = Rounds(tuple(float(v) for v in range(1, 13)), tuple(i // 3 for i in range(12)))
    assert estimate(even, ESTIMATORS["p25_rounds"]) == pytest.approx(
        np.percentile(even.values, 25)
    )  # as many runs per round
    assert estimate(Rounds((4.0,)), ESTIMATORS["p25_rounds"]) == 4.0


def test_fast_rounds_keep_the_quiet_phase():
    """Eight rounds, two of them fast: the fastest quarter of rounds is the machine's quiet phase."""
    speed = (1.5, 1.0, 1.6, 1.4, 1.0, 1.5, 1.7, 1.3)
    rounds = tuple(r for r in range(8) for _ in range(4))
    s = Rounds(tuple(10.0 * speed[r] for r in rounds), rounds)
    assert estimate(s, ESTIMATORS["fast_rounds_mean"]) == pytest.approx(10.0)
    assert estimate(Rounds((4.0, 5.0, 6.0)), ESTIMATORS["fast_rounds_mean"]) == pytest.approx(
        5.0
    )  # one round: the mean


def test_too_few_unmarked_runs_fall_back_to_all_of_them():
    s = Rounds((1.0, 2.0, 3.0, 4.0), marked=(True, True, True, False))
    assert estimate(s, ESTIMATORS["unmarked_median"]) == 2.5


def test_marking_follows_cpu_share_and_run_queue_wait():
    wall = [10.0] * 10
    cpu = [10.0] * 8 + [10.0 * MARK_SHARE * 0.9, 10.0 * MARK_SHARE * 1.1]
    assert mark(wall, cpu) == [False] * 8 + [True, False]
    wait = [0.0] * 9 + [2.0]  # 20 % of the run waiting on a run queue
    assert mark(wall, [10.0] * 10, wait) == [False] * 9 + [True]
    assert mark(wall, []) == [False] * 10  # no CPU times: nothing is known, nothing marked


def test_two_thread_shares_are_judged_against_the_artifacts_own_share():
    wall, cpu = [10.0] * 10, [19.0] * 9 + [12.0]  # typically ~1.9 cores busy; one run got 1.2
    assert mark(wall, cpu) == [False] * 9 + [True]


def test_a_paired_ratio_cancels_what_the_rounds_share():
    rng = np.random.default_rng(0)
    machine = rng.uniform(1.0, 2.0, 30)  # each round's slowness, shared by both artifacts
    rounds = tuple(r for r in range(30) for _ in range(5))
    b = tuple(float(4.0 * machine[r]) for r in rounds)
    a = tuple(2.5 * v for v in b)
    ratio = paired_ratio(Rounds(a, rounds), Rounds(b, rounds), ESTIMATORS["median"])
    assert ratio.value == pytest.approx(2.5) and ratio.low == pytest.approx(2.5) and ratio.high == pytest.approx(2.5)
    assert ratio.rounds == 30 and ratio.text() == "2.50x (2.50-2.50)"


def test_the_bootstrap_interval_covers_the_true_ratio_and_narrows_with_rounds():
    widths = []
    for n_rounds in (8, 60):
        rng = np.random.default_rng(n_rounds)
        rounds = tuple(r for r in range(n_rounds) for _ in range(5))
        a = tuple(rng.lognormal(np.log(3.0), 0.1, len(rounds)))
        b = tuple(rng.lognormal(np.log(2.0), 0.1, len(rounds)))
        ratio = paired_ratio(Rounds(a, rounds), Rounds(b, rounds), ESTIMATORS["median"], seed=1)
        assert ratio.low < 1.5 < ratio.high
        widths.append(ratio.high - ratio.low)
    assert widths[1] < widths[0] / 2


def test_the_interval_counts_the_processes_a_run_happened_to_get():
    """Each agent process keeps a bias for its life (3 % here) and a run gets three per artifact, taking rounds in
    turn: over 30 simulated runs, another run's ratio falls inside a run's interval (and the true ratio, 3) far more
    often when the processes are resampled too than with rounds alone, which took the run's three as all there are."""
    rng, runs = np.random.default_rng(3), []
    rounds = tuple(r for r in range(45) for _ in range(5))
    processes = tuple(r % 3 for r in rounds)
    for _ in range(30):
        bias_a, bias_b = rng.normal(1, 0.03, 3), rng.normal(1, 0.03, 3)
        a = tuple(3.0 * bias_a[p] * rng.lognormal(0, 0.02) for p in processes)
        b = tuple(bias_b[p] * rng.lognormal(0, 0.02) for p in processes)
        runs.append((Rounds(a, rounds, processes=processes), Rounds(b, rounds, processes=processes)))
    both = [paired_ratio(a, b, ESTIMATORS["median"], resamples=200) for a, b in runs]
    alone = [
        paired_ratio(Rounds(a.values, a.rounds), Rounds(b.values, b.rounds), ESTIMATORS["median"], resamples=200)
        for a, b in runs
    ]

    def held(ratios: list) -> float:
        pairs = list(itertools.permutations(ratios, 2))
        return sum(mine.low <= other.value <= mine.high for mine, other in pairs) / len(pairs)

    assert [r.value for r in both] == [r.value for r in alone]  # the same figure, a more honest interval
    assert held(both) > 0.45 and held(alone) < 0.3
    assert sum(r.low <= 3.0 <= r.high for r in both) > 1.5 * sum(r.low <= 3.0 <= r.high for r in alone)


def test_no_shared_rounds_gives_a_ratio_that_says_it_is_not_paired():
    ratio = paired_ratio(Rounds((2.0, 2.0), (0, 0)), Rounds((1.0, 1.0), (1, 1)), ESTIMATORS["median"])
    assert ratio.value == 2.0 and ratio.low is None
    assert ratio.text() == "2.00x (not paired: measured in different rounds)"


def test_too_few_shared_rounds_say_so_instead_of_an_interval():
    """Three iPhone invocations per artifact give three rounds: a ratio, but no bootstrap over three."""
    rounds = (0, 0, 1, 1, 2, 2)
    ratio = paired_ratio(Rounds((3.0,) * 6, rounds), Rounds((1.0,) * 6, rounds), ESTIMATORS["median"])
    assert ratio.rounds == 3 and ratio.low is None
    assert ratio.text() == "3.00x (no interval: 3 rounds, 4 needed)"


def test_a_machine_that_slows_as_a_whole_swings_between_rounds_and_is_contended():
    """Nothing marked (the agent kept its CPU share), but whole rounds ran slower: the swing sees it."""
    rounds = tuple(r for r in range(8) for _ in range(5))
    steady = Rounds(tuple(10.0 + 0.01 * (i % 5) for i in range(40)), rounds)
    assert steady.swing == pytest.approx(0.0, abs=1e-9) and not contended(steady.marked_share, steady.swing)
    speed = (1.0, 1.0, 1.3, 1.3, 1.0, 1.0, 1.3, 1.3)  # half the rounds 30 % slower
    slowed = Rounds(tuple(10.0 * speed[r] for r in rounds), rounds)
    assert slowed.marked_share == 0 and slowed.swing == pytest.approx(0.3) and contended(0, slowed.swing)
    assert Rounds((1.0, 2.0, 3.0), (0, 1, 2)).swing is None  # too few rounds to say
    assert interference_phrase(0.02, 0.3) == "2 % of runs descheduled; speed swung 30 % between rounds"
    assert interference_phrase(0.5, None) == "50 % of runs descheduled"


def test_a_steady_neighbour_makes_a_row_contended_though_nothing_is_marked_and_nothing_swings():
    """The CPUs beside the agent's, busy through its bursts (ticks summed over bursts, not averaged per burst)."""
    bursts = [
        {"neighbour_ticks": 10, "neighbour_busy_ticks": 10},
        {"neighbour_ticks": 30, "neighbour_busy_ticks": 2},
        {"round": 3},
    ]  # a burst whose kernel did not say
    assert neighbour_busy(bursts) == pytest.approx(12 / 40)
    assert neighbour_busy([{"round": 0}]) is None and neighbour_busy([]) is None
    assert contended(0.0, 0.02, NEIGHBOUR_CONTENDED_ABOVE + 0.01)
    assert not contended(0.0, 0.02, NEIGHBOUR_CONTENDED_ABOVE - 0.01) and not contended(0.0, 0.02, None)
    assert interference_phrase(0.0, 0.05, 0.97) == (
        "0 % of runs descheduled; speed swung 5 % between rounds; the CPUs beside it 97 % busy"
    )


def test_contention_names_only_what_is_past_its_threshold():
    """What the headline puts beside a ratio it calls not trustworthy: the figures that made the row contended."""
    assert contention(0.0, 0.05, 0.97) == "the CPUs beside it 97 % busy"
    assert contention(0.4, 0.22, 0.01) == "40 % of runs descheduled and speed swung 22 % between rounds"
    assert contention(0.02, 0.05, 0.01) == "" and contention(0.0, None) == ""
    for seen in [(0.4, None, None), (0.0, 0.3, None), (0.0, 0.02, 0.9), (0.05, 0.05, 0.05)]:
        assert bool(contention(*seen)) == contended(*seen)


def test_halves_of_interleaved_rounds_compare_even_and_odd_rounds():
    """Rounds 0, 2, 4... at 10 ms and 1, 3, 5... at 11 ms: the halves are 10 % apart; equal rounds agree; too few
    rounds in a half say nothing. Rounds count in the order taken, not by their numbers (an artifact may join late)."""
    rounds = tuple(r for r in range(2 * MIN_ROUNDS) for _ in range(3))
    alternating = Rounds(tuple(10.0 if r % 2 == 0 else 11.0 for r in rounds), rounds)
    assert halves_apart(alternating) == pytest.approx(1 / 11)
    assert halves_apart(Rounds((5.0,) * len(rounds), rounds)) == 0.0
    assert halves_apart(Rounds((5.0,) * (len(rounds) - 3), rounds[:-3])) is None
    shifted = Rounds(alternating.values, tuple(r + 1 if r >= 3 else r for r in rounds))  # round 3 never taken
    assert halves_apart(shifted) == pytest.approx(1 / 11)
