"""Several artifacts on one machine, measured in interleaved rounds so that a slow phase of the machine falls on
all of them alike.

Each artifact gets ``plan.processes`` warm agent processes of its own (``python -m mbench.measure.agent``, kept
alive across rounds, dying with this process), which take its bursts in turn: something fixed for a process's life
(its memory layout, most likely) biases all its runs alike, so an artifact's runs come from several processes and
the bias averages out instead of deciding a comparison (as pyperf spreads a benchmark over processes).

Start-up: every agent process starts and imports its runtime first, side by side (as many at a time as there are
CPUs): nothing is timed yet. Then each artifact's first process loads and warms up pinned, with nothing else
running: its load time, first run and warm-up are the row's. Then the other processes of all artifacts load and
warm up side by side, unpinned, before taking their CPUs; every agent is killed once it has answered 'close'.

Rounds: round after round each artifact still measuring gets one burst of timed runs, in an order shuffled by
``random.Random(plan.seed)``. Bursts are paced (``_pace``): the artifact that needs most rounds to meet the plan's
minimums at bursts of ``plan.burst_seconds`` (of at least ``plan.burst_runs`` runs) sets the number, and each of the
others takes just the runs that meet its own by then, so a round costs what the artifacts need. Once an artifact has
its minimums but not yet its stopping rule, its bursts grow (``_grow``) until the rest of a round is at most
``OVERHEAD_SHARE`` of it. A burst starts with one untimed run that re-warms what the artifact before it displaced
(caches, the runtime's thread pool); that run counts in the artifact's time budget.

Settling: once the plan's stopping rule (``timing.enough``, in rounds with the agreement of its even and odd
rounds) holds for an artifact it is settled. With ``plan.together`` (the default) it stays in the rounds with one
timed run per round until every artifact is settled, so all rows of a profile cover the same stretch of the
machine, and the headline estimator weighs every round alike (estimate.latency). Without it a settled artifact
leaves at once. Every run keeps its round, its position in the round, its process and a timestamp. What each of
these choices was measured to gain is in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import math
import os
import random
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from collections.abc import Iterator

from mbench.artifacts import Artifact
from mbench.measure.agent import AgentResult
from mbench.measure.session import AgentSession
from mbench.measure.estimate import Rounds, halves_apart
from mbench.measure.timing import RunPlan, enough


@dataclass(frozen=True)
class Job:
    """One artifact to measure: its manifest where the agent runs, and (Core ML on a Mac) the compute units."""

    artifact: Artifact
    manifest: str
    compute_units: str = ""
    label: str = ""  # the device name its rows carry


@dataclass
class Track:
    """One artifact's measurement in progress."""

    job: Job
    result: AgentResult
    sessions: list[AgentSession] = field(default_factory=list)
    failed: bool = False
    rewarm_s: float = 0.0  # the untimed first run of each burst, counted in the artifact's time budget
    bursts: int = 0
    settled: bool = False  # its stopping rule has held: with plan.together it takes one run per round from then on
    grown_runs: int = 0  # timed runs per burst once grown (_grow); 0: paced or plan's bursts

    @property
    def turn(self) -> int:
        """The index of the agent process whose turn it is: an artifact's processes take its bursts in turn."""
        return self.bursts % len(self.sessions)

    @property
    def paced_runs(self) -> int:
        """Timed runs per burst until settled (_pace, kept on the result for the row); 0: bursts of seconds."""
        return self.result.burst_runs

    @property
    def timed_s(self) -> float:
        return sum(self.result.samples_ms) / 1e3 + self.rewarm_s

    def enough(self, plan: RunPlan) -> bool:
        """The plan's stopping rule on the runs so far, the agreement of its even and odd rounds included."""
        runs = Rounds(tuple(self.result.samples_ms), tuple(self.result.rounds))
        return enough(runs.values, self.timed_s, plan, lambda: halves_apart(runs))

    def take(self, reply: dict, keys: tuple[str, ...]) -> bool:
        """Copy ``keys`` of a reply into the result; a failed reply ends the track with its reason."""
        if not reply.get("ok"):
            self.result.status, self.result.error, self.failed = reply.get("status", "failed"), reply["error"], True
            return False
        for key in keys:
            if key == "environment":
                self.result.environment.update(reply[key])
            else:
                setattr(self.result, key, reply[key])
        return True

    def add_burst(self, reply: dict, number: int, position: int) -> None:
        r = self.result
        self.rewarm_s += reply.get("rewarm_ms", 0.0) / 1e3
        r.samples_ms += reply["wall_ms"]
        r.cpu_ms += reply["cpu_ms"]
        r.wait_ms += reply["wait_ms"]
        r.timestamps += reply["t"]
        r.rounds += [number] * len(reply["wall_ms"])
        r.positions += [position] * len(reply["wall_ms"])
        r.processes += [self.turn] * len(reply["wall_ms"])
        r.kernel.append({"round": number, **reply["kernel"]})
        self.bursts += 1


def _started(
    jobs: list[Job], argv: list[str], plan: RunPlan, threads: int, timeout_s: float, starters: ThreadPoolExecutor
) -> list[Track]:
    """Each job's ``plan.processes`` agent processes started and their runtime imported ('runtime'), as many at a
    time as this machine has CPUs (at least two): nothing of theirs is timed yet, and importing a runtime (torch:
    most of two seconds) would otherwise keep one CPU busy while the other idles. A process starts when a thread
    of ``starters`` takes it, not all at once: a remote sshd drops connections past ten authenticating at once
    (its MaxStartups)."""
    tracks = [
        Track(
            job,
            AgentResult("ok", threads=threads, compute_units=job.compute_units),
            [AgentSession(argv, timeout_s) for _ in range(max(plan.processes, 1))],
        )
        for job in jobs
    ]
    agents = [(track, session) for track in tracks for session in track.sessions]
    replies = list(
        starters.map(
            lambda agent: agent[1].first(
                do="runtime", manifest=agent[0].job.manifest, compute_units=agent[0].job.compute_units
            ),
            agents,
        )
    )
    for (track, _), reply in zip(agents, replies):  # a job's first process first: its failure is the row's
        if not track.failed:
            track.take(reply, ())
    return tracks


LOADED = (
    "runtime",
    "runtime_version",
    "compute_units",
    "cpus",
    "environment",
    "rss_before_load_bytes",
    "load_ms",
    "first_ms",
)


def _first(track: Track, plan: RunPlan, threads: int, cpus: list[int] | None) -> Track:
    """The artifact's first agent process pinned, loaded and warmed up with nothing else running: its load, first
    run and warm-up are the row's."""
    job, session = track.job, track.sessions[0]
    if track.take(
        session.ask(do="load", manifest=job.manifest, threads=threads, compute_units=job.compute_units, cpus=cpus),
        LOADED,
    ):
        track.take(session.ask(do="warmup", plan=asdict(plan)), ("warmup_ms",))
    return track


SPARE_WARMUP_S = 0.1  # a spare's warm-up goes on past this only until its timings settle (timing.warm_up)


def _spare(job: Job, session: AgentSession, plan: RunPlan, threads: int, cpus: list[int] | None) -> dict:
    """One more agent process of an artifact loaded and warmed up unpinned, then pinned to ``cpus``: the reply of
    the step that failed, else the last one's. Nothing of a spare's warm-up reaches a row, so it ends as soon as its
    timings settle rather than after the plan's minimum time (0.5 s by default, 12 spares for six artifacts)."""
    warm = replace(plan, warmup_seconds=min(plan.warmup_seconds, SPARE_WARMUP_S))
    steps: list[dict] = [
        dict(do="load", manifest=job.manifest, threads=threads, compute_units=job.compute_units, cpus=None),
        dict(do="warmup", plan=asdict(warm)),
        *([dict(do="pin", cpus=cpus)] if cpus else []),
    ]
    reply: dict = {}
    for step in steps:
        reply = session.ask(**step)
        if not reply.get("ok"):
            break
    return reply


def _add_spares(
    tracks: list[Track], plan: RunPlan, threads: int, cpus: list[int] | None, starters: ThreadPoolExecutor
) -> None:
    """Each track's other agent processes, once every first process is warm: loaded and warmed up as many at a time
    as ``starters`` has threads, on any CPU: nothing of theirs but their timed runs reaches a row, and the untimed
    run that starts each burst re-warms what a process's first burst needs on its pinned CPUs."""
    spares = [(track, session) for track in tracks for session in track.sessions[1:]]
    replies = list(starters.map(lambda spare: _spare(spare[0].job, spare[1], plan, threads, cpus), spares))
    for (track, _), reply in zip(spares, replies):
        if not track.failed:
            track.take(reply, ())


def _finish(track: Track) -> Track:
    """Every agent closed; the row's peak memory is the largest of its processes'."""
    peaks = []
    for session in track.sessions:
        if not track.failed:
            closed = session.ask(do="close")
            if track.take(closed, ("environment",)):
                peaks.append(closed["peak_rss_bytes"])
        session.stop()
    track.result.peak_rss_bytes = max(peaks, default=None)
    return track


def _typical_ms(track: Track) -> float | None:
    """A run's time: the median of the first process's warm-up runs, else its first run."""
    r = track.result
    return statistics.median(r.warmup_ms) if r.warmup_ms else r.first_ms


def _pace(tracks: list[Track], plan: RunPlan) -> None:
    """Each track's runs per burst, so that every artifact meets the plan's minimums (``plan.runs`` runs and
    ``plan.min_seconds`` of them) in the same round: the one that needs most rounds at bursts of
    ``plan.burst_seconds`` (of at least ``plan.burst_runs``) sets their number, the others take just the runs that
    bring them to theirs by then; an artifact whose budget affords fewer runs than the minimums counts only those
    (it stops at its budget with few runs, timing.few_runs). A round then costs what the artifacts need rather
    than ``burst_seconds`` each, as timing them one after another would. Run times are the median of each first
    process's warm-up runs; where one is missing, bursts keep to ``burst_seconds``."""
    found = [_typical_ms(t) for t in tracks]
    if not tracks or not all(ms and ms > 0 for ms in found):
        return
    typical = [float(ms or 0.0) for ms in found]
    need = [min(max(plan.runs, math.ceil(plan.min_seconds * 1e3 / ms)), _affordable(ms, plan)) for ms in typical]
    usual = [max(plan.burst_runs, math.ceil(plan.burst_seconds * 1e3 / ms)) for ms in typical]
    rounds = max(math.ceil(n / u) for n, u in zip(need, usual))
    for track, n in zip(tracks, need):
        track.result.burst_runs = max(plan.burst_runs, math.ceil(n / rounds))


def _affordable(ms: float, plan: RunPlan) -> int:
    """Timed runs of ``ms`` each that the plan's budget holds (at least one)."""
    return max(1, math.floor(plan.max_seconds * 1e3 / ms))


def _burst(track: Track, plan: RunPlan) -> dict:
    """The next burst's size: one run once settled, else the grown, paced or plan's burst, never (where the run
    time is known) more runs than the artifact's budget has left, which ends its timed runs (timing.enough)."""
    if track.settled:
        return dict(seconds=0, runs=1)
    ms = _typical_ms(track)
    left = max(plan.max_seconds - track.timed_s, 0) * 1e3
    if track.grown_runs or track.paced_runs:
        runs = track.grown_runs or track.paced_runs
        return dict(seconds=0, runs=min(runs, max(1, math.ceil(left / ms))) if ms else runs)
    return dict(
        seconds=min(plan.burst_seconds, left / 1e3),
        runs=plan.burst_runs if not ms or ms * plan.burst_runs <= left else max(1, math.ceil(left / ms)),
    )


OVERHEAD_SHARE = 0.2  # of a round, at most this much for re-warm runs and settled artifacts' runs (_grow)


def _grow(tracks: list[Track], plan: RunPlan) -> None:
    """Bursts of artifacts that have their minimums but not yet their stopping rule, sized so that what every round
    costs besides them (each artifact's re-warm run, each settled artifact's one timed run) is at most
    ``OVERHEAD_SHARE`` of the round, shared alike between them, and no longer than the budget they have left: an
    artifact that never settles would otherwise spend its budget in short bursts while every settled one pays a
    re-warm run and a timed run beside it each round. Nothing is grown without run times (as ``_pace``)."""
    live = [t for t in tracks if not t.failed]
    found = {id(t): _typical_ms(t) for t in live}
    going = [t for t in live if not t.settled]
    if not going or not all(ms and ms > 0 for ms in found.values()):
        return
    typical = {key: float(ms or 0.0) for key, ms in found.items()}
    fixed = sum(typical.values()) + sum(typical[id(t)] for t in live if t.settled)
    share = fixed * (1 / OVERHEAD_SHARE - 1) / len(going)
    for track in going:
        if len(track.result.samples_ms) >= plan.runs and track.timed_s >= plan.min_seconds:
            left = (plan.max_seconds - track.timed_s) * 1e3
            runs = max(1, math.ceil(min(share, left) / typical[id(track)]))
            track.grown_runs = runs if runs > (track.paced_runs or plan.burst_runs) else 0
            track.result.grown_burst_runs = max(track.result.grown_burst_runs, track.grown_runs)


def measure_in_rounds(
    jobs: list[Job], argv: list[str], plan: RunPlan, threads: int, cpus: list[int] | None, timeout_s: float
) -> Iterator[Track]:
    """Each job's finished track, as it finishes: failures to load at once, the rest when their rounds end.
    ``argv`` starts one agent in serve mode (here, or on a remote machine through ssh). An agent dies when the
    thread that started it ends (PR_SET_PDEATHSIG, processes.py), so the threads that start agents outlive them."""
    tracks: list[Track] = []
    with ThreadPoolExecutor(max(2, os.cpu_count() or 1)) as starters:
        try:
            tracks = _started(jobs, argv, plan, threads, timeout_s, starters)
            for track in list(tracks):
                if track.failed or _first(track, plan, threads, cpus).failed:
                    tracks.remove(track)
                    yield _finish(track)
            _add_spares(tracks, plan, threads, cpus, starters)
            for track in [track for track in tracks if track.failed]:
                tracks.remove(track)
                yield _finish(track)
            _pace(tracks, plan)
            yield from _rounds(tracks, plan)
        finally:
            for session in (session for track in tracks for session in track.sessions):
                session.stop()


def _rounds(active: list[Track], plan: RunPlan) -> Iterator[Track]:
    rng, number = random.Random(plan.seed), 0
    while active:
        order = rng.sample(active, len(active))
        for position, track in enumerate(order):
            reply = track.sessions[track.turn].ask(do="burst", **_burst(track, plan))
            if track.take(reply, ()):
                track.add_burst(reply, number, position)
        for track in order:
            track.settled = track.settled or track.enough(plan)
        _grow(order, plan)
        going_on = plan.together and any(not (track.settled or track.failed) for track in order)
        done = [track for track in order if track.failed or track.settled and not going_on]
        for track in done:
            active.remove(track)
            yield _finish(track)
        number += 1
