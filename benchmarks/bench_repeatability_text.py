"""Markdown tables for bench_repeatability.py's figures (kept apart so the measuring script stays short)."""

from __future__ import annotations

import platform
from datetime import datetime, UTC

CONDITIONS = ("quiet", "quiet again", "busy")
RUNTIMES = ("onnx", "tflite", "pytorch")
WAYS = (("rounds", "in rounds"), ("sequential", "one after another"), ("one_process", "one process each"))


def _pct0(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _ratio(r: dict) -> str:
    interval = f" ({r['low']:.2f}-{r['high']:.2f})" if r.get("low") is not None else ""
    return f"{r['value']:.2f}x{interval}"


def estimator_table(report: dict) -> list[str]:
    lines = [
        "| estimator | worst quiet vs quiet (goal <= 3 %) | worst across 3 conditions | VGG/MNV2 ratio spread "
        "across conditions, onnx / tflite / pytorch (goal <= 5 %) | slowdown of the larger input, quiet / "
        "quiet again / busy (goal 7-13 %) |",
        "|---|---|---|---|---|",
    ]
    for name, f in report["estimators"].items():
        chosen = " (chosen)" if name == report["chosen_estimator"] else ""
        spreads = " / ".join(pct(f["ratio_spread"].get(r, float("nan"))) for r in ("onnx", "tflite", "pytorch"))
        slow = " / ".join(pct(f["slowdown"][c]) for c in CONDITIONS)
        lines.append(
            f"| {name}{chosen} | {pct(max(f['quiet_vs_quiet'].values()))} | "
            f"{pct(max(f['across_conditions'].values()))} | {spreads} | {slow} |"
        )
    return lines


def artifact_table(report: dict) -> list[str]:
    f = report["estimators"][report["chosen_estimator"]]
    lines = [
        "| artifact | latency quiet (ms) | quiet again | busy | quiet vs quiet | across 3 | marked share, swing, "
        "CPUs beside busy (CONTENDED) quiet / again / busy |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, values in f["latency_ms"].items():
        flags = " / ".join(_seen(report["seen"][c].get(name, {})) for c in CONDITIONS)
        lines.append(
            f"| {name} | {values['quiet']:.2f} | {values['quiet again']:.2f} | {values['busy']:.2f} | "
            f"{pct(f['quiet_vs_quiet'][name])} | {pct(f['across_conditions'][name])} | {flags} |"
        )
    return lines


def _seen(row: dict) -> str:
    swing = "-" if row.get("round_swing") is None else f"{row['round_swing']:.0%}"
    beside = "" if row.get("neighbour_busy") is None else f", {row['neighbour_busy']:.0%}"
    return f"{row.get('marked_share') or 0:.0%}, {swing}{beside}{' CONTENDED' if row.get('contended') else ''}"


def ratio_table(report: dict) -> list[str]:
    f = report["estimators"][report["chosen_estimator"]]
    lines = ["| runtime | VGG/MNV2 quiet | quiet again | busy | spread |", "|---|---|---|---|---|"]
    for runtime, by_condition in f["ratios"].items():
        cells = " | ".join(_ratio(by_condition[c]) for c in CONDITIONS)
        lines.append(f"| {runtime} | {cells} | {pct(f['ratio_spread'][runtime])} |")
    return lines


def compare_table(report: dict) -> list[str]:
    meaning = {0: "ok", 1: "REGRESSION", 3: "inconclusive"}
    expected = {
        "quiet vs quiet again": "not a regression",
        "quiet vs busy": "not a regression",
        **{case: "not a regression" for case in report["compare_exit_codes"] if "-copy vs" in case},
    }
    lines = ["| `mbench compare --threshold 5%` | exit | verdict | wanted |", "|---|---|---|---|"]
    for case, code in report["compare_exit_codes"].items():
        lines.append(f"| {case} | {code} | {meaning.get(code, 'error')} | {expected.get(case, 'regression')} |")
    return lines


def threads_said(report: dict) -> str:
    source = {"given": "--threads", "inventory": "devices.yaml's host"}.get(
        report.get("threads_from", ""), "the host default: every CPU but one"
    )
    return f"threads {report['threads']} ({source})"


def runs_said(plan: dict) -> str:
    """The bursts' minimum runs; recordings from before it existed had none (one run at least)."""
    return f" of at least {plan['burst_runs']} runs" if plan.get("burst_runs", 1) > 1 else ""


def window_lines(report: dict) -> list[str]:
    w = report.get("windows")
    if not w:
        return []
    counts = " / ".join(str(n) for n in w["shared_rounds"].values())
    if report["plan"].get("together", True):
        return [
            f"Every artifact took part in every round of its profile ({counts} rounds): one whose stopping rule "
            "held took one run per round until all had.",
            "",
        ]
    kinds = ("shared rounds", "all runs")
    worst = {k: pct(w[k]["quiet_vs_quiet_worst"]) for k in kinds}
    copy = {k: " / ".join(pct(v) for v in w[k]["copy_vs_original"].values()) for k in kinds}
    return [
        f"On the rounds all eight artifacts of a profile took part in ({counts} rounds; after them the first "
        f"artifact had met its stopping rule and left): quiet vs. quiet at worst {worst['shared rounds']} (all "
        f"runs: {worst['all runs']}); the identical build vs. its original, quiet / quiet again / busy, "
        f"{copy['shared rounds']} (all runs: {copy['all runs']}).",
        "",
    ]


def _signed(x: float) -> str:
    return f"{100 * x:+.1f} %"


def control_lines(report: dict) -> list[str]:
    """The control's speed before and after each profile (the matmul's and, since 2026-12-02 19:30, the memory
    copy's) against how the artifacts moved, their fastest runs included: whether quiet vs. quiet differs because
    the machine did."""
    level = report["control"]
    latency = report["estimators"][report["chosen_estimator"]]["latency_ms"]
    moved = [v["quiet again"] / v["quiet"] - 1 for v in latency.values()]
    kinds = [("matmul", "")] + ([("64 MB copy", "memory_")] if "memory_before_ms" in level["quiet"] else [])
    cells = "; ".join(
        f"{kind} "
        + ", ".join(f"{c} {level[c][key + 'before_ms']:.3f} then {level[c][key + 'after_ms']:.3f}" for c in CONDITIONS)
        for kind, key in kinds
    )
    change = "; ".join(
        f"the {kind} "
        + ", ".join(
            f"{_signed(level['quiet again'][key + k] / level['quiet'][key + k] - 1)} {when}"
            for k, when in (("before_ms", "before"), ("after_ms", "after"))
        )
        for kind, key in kinds
    )
    fastest = report.get("fastest_moved")
    floor = (
        ""
        if not fastest
        else (
            "; their fastest runs (each one's 5th percentile, rounds weighing alike) "
            f"{_signed(sum(fastest.values()) / len(fastest))} on average ({_signed(min(fastest.values()))} to "
            f"{_signed(max(fastest.values()))})"
        )
    )
    return [
        f"The machine's speed, that control in its own process, one BLAS thread, pinned where the agents run, "
        f"`latency` estimator (ms) before / after each profile: {cells}. Quiet again against quiet: {change}; "
        f"the eight artifacts {_signed(sum(moved) / len(moved))} on average ({_signed(min(moved))} to "
        f"{_signed(max(moved))}){floor}.",
        "",
    ]


def swing_lines(report: dict) -> list[str]:
    """The control's swing just before each profile: the matmul's, and the memory copy's where measured."""
    control = report["control"]
    both = "memory_swing" in control["quiet"]
    what = (
        "a numpy 256x256 matmul and a 64 MB array copy taking turns for 5 s in 0.25 s chunks"
        if both
        else "a numpy 256x256 matmul timed for 5 s in 0.25 s chunks"
    )
    cells = " / ".join(
        f"{c} {_pct0(control[c]['swing'])}" + (f" and {_pct0(control[c]['memory_swing'])}" if both else "")
        for c in CONDITIONS
    )
    return [
        f"The machine's own swing, measured just before each profile with no mbench in the way ({what}, the "
        f"statistic of a row's `round_swing`{', matmul and copy' if both else ''}): {cells}.",
        "",
    ]


def six_order(report: dict) -> str:
    """Each way's two timings, where the script took them in the order A B C C B A (older reports: one each)."""
    times = report.get("six_times")
    if not times:
        return ""
    pairs = ", ".join(f"{' then '.join(f'{t:.1f}' for t in times[way])} s {said}" for way, said in WAYS)
    return f" Each a mean of two, taken in the order rounds, one after another, one process each, then back: {pairs}."


def held_lines(report: dict) -> list[str]:
    """Each way's two profiles of the six against each other (older reports: nothing): what its time bought."""
    held = report.get("six_held")
    if not held:
        return []
    cells = []
    for way, said in WAYS:
        h = held[way]
        cells.append(
            f"{said} (begun {h['apart_s']:.0f} s apart) worst artifact {pct(max(h['latency'].values()))}, "
            f"ratios {' / '.join(pct(h['ratio_spread'][f]) for f in RUNTIMES if f in h['ratio_spread'])}"
        )
    return [
        "What each way's figures held, its two profiles of the six against each other (chosen estimator; "
        "VGG/MNV2 ratios onnx / tflite / pytorch): " + "; ".join(cells) + ".",
        "",
    ]


def render(report: dict) -> str:
    plan = report["plan"]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        f"## Repeatability on a busy machine (issue 13), {when}",
        "",
        f"`benchmarks/bench_repeatability.py --max-seconds {plan['max_seconds']:g}"
        f"{'' if plan.get('together', True) else ' --apart'}`: {platform.machine()}, "
        f"{report.get('cpu_count')} CPUs, {threads_said(report)}; "
        f"rounds of {plan['burst_seconds']:g} s bursts{runs_said(plan)}"
        f"{' for the artifact needing most rounds, the others paced to it' if report.get('bursts_paced') else ''}"
        f", seed {plan['seed']}. Eight artifacts "
        "profiled in interleaved rounds three times: quiet, quiet again, beside a one-core busy loop. "
        + (
            "An artifact whose stopping rule holds takes one run per round until every artifact's does. "
            if plan.get("together", True)
            else "An artifact leaves the rounds as soon as its stopping rule holds. "
        )
        + report.get("conditions_note", ""),
        "",
        f"Profiling the six HED artifacts: {report['six_in_rounds_s']:.1f} s in rounds (the first timed run "
        f"{report['six_in_rounds_start_s']:.1f} s after the start: agents starting, loading, warming up) against "
        f"{report['six_sequential_s']:.1f} s one after another (each alone), same settings; "
        f"{report['six_sequential_one_process_s']:.1f} s one after another with one agent process each, as "
        "before rounds." + six_order(report),
        "",
        *held_lines(report),
        *swing_lines(report),
        *control_lines(report),
    ]
    body = [
        "### Estimators (the `latency` metric uses the chosen one)",
        "",
        *estimator_table(report),
        "",
        f"By the rule (bench_repeatability.winner): {report.get('winner_reason', 'not computed')}.",
        "",
        "### Per artifact (chosen estimator)",
        "",
        *artifact_table(report),
        "",
        *window_lines(report),
        "### VGG / MNV2 per runtime, paired over rounds with a 95 % bootstrap interval",
        "",
        *ratio_table(report),
        "",
        "### Regression gate",
        "",
        *compare_table(report),
        "",
    ]
    return "\n".join(head + body)
