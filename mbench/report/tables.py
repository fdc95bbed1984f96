"""pandas views over the tidy measurements table: latest rows, the wide comparison, context, failures."""

from __future__ import annotations

import json

import pandas as pd

from mbench.convert.parity import flag_in_details
from mbench.measure.estimate import Ratio, Rounds, paired_ratio
from mbench.measure.interference import interference_phrase
from mbench.results import details_of
from mbench.store import KEY as ROW_KEY

KEY = list(ROW_KEY)
MB = 1e6

# metric -> (column title, scale applied to the stored value)
WIDE_COLUMNS = {
    "size": ("size (MB)", 1 / MB),
    "parity_max_abs": ("parity max |Δ|", 1.0),
    "load_time": ("load (ms)", 1.0),
    "first_inference": ("first run (ms)", 1.0),
    "latency": ("latency (ms)", 1.0),  # the headline estimate (mbench/measure/estimate.py); older rows: the median
    "latency_median": ("median (ms)", 1.0),
    "latency_p90": ("p90 (ms)", 1.0),
    "latency_p99": ("p99 (ms)", 1.0),
    "latency_stdev": ("stdev (ms)", 1.0),
    "latency_cv": ("CV", 1.0),
    "latency_drift": ("drift", 1.0),
    "latency_count": ("runs", 1.0),
    "peak_rss": ("peak RSS (MB)", 1 / MB),
}
CONTEXT_COLUMNS = [
    "device",
    "model",
    "format",
    "precision",
    "runtime",
    "runtime_version",
    "converter",
    "converter_versions",
    "threads",
    "warmup_runs",
    "runs",
    "host",
    "provenance",
    "mbench_version",
    "git_sha",
    "run_id",
]


def value(rows: pd.DataFrame, model: str, fmt: str, metric: str, device: str | None = None) -> float | None:
    """One OK value from latest rows, or None when it was not measured or did not succeed."""
    hit = rows[(rows.model == model) & (rows.format == fmt) & (rows.metric == metric) & (rows.status == "ok")]
    if device is not None:
        hit = hit[hit.device == device]
    return None if hit.empty or pd.isna(hit.value.iloc[-1]) else float(hit.value.iloc[-1])


TIMING_METRICS = ("load_time", "first_inference", "peak_rss", "rss_before_load")  # and every latency_* metric


def emulated_timing(rows: pd.DataFrame) -> pd.Series:
    """Which rows were timed on an emulated device (details ``emulated``, from devices.yaml's ``emulated: true``):
    an emulator's time is not a device's speed, so they stay out of the headline, the Pareto front and compare's
    verdicts, and are drawn apart. What such a device computes (scores, parity) counts as any device's."""
    marked = rows.details.fillna("").str.contains('"emulated"', regex=False)
    marked[marked] = rows.details[marked].map(lambda d: details_of(d).get("emulated") is True)
    return marked.astype(bool) & (rows.metric.str.startswith("latency") | rows.metric.isin(TIMING_METRICS))


CONVERSION_METRICS = {
    "size",
    "convert_time",
    "parity_max_abs",
    "parity_mean_abs",
    "parameters",
    "weight_bytes",
    "buffer_bytes",
    "macs",
    "conversion",
}


def comparison(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per artifact and device; what was measured at conversion is shown on every device's line.

    An artifact never profiled (or whose conversion failed) keeps a line of its own on the host."""
    at_conversion = rows.metric.isin(CONVERSION_METRICS)
    conversion, measured = rows[at_conversion].drop(columns="device"), rows[~at_conversion]
    keys = measured[KEY].drop_duplicates()
    artifacts = conversion[KEY[:3]].drop_duplicates()
    profiled = artifacts.merge(keys[KEY[:3]].drop_duplicates(), how="left", indicator=True)
    keys = pd.concat([keys, profiled[profiled["_merge"] == "left_only"][KEY[:3]].assign(device="host")])
    merged = pd.concat([measured, keys.merge(conversion, on=KEY[:3])])
    shown = merged[merged.metric.isin(WIDE_COLUMNS)]
    wide = shown.pivot_table(index=KEY, columns="metric", values="value", aggfunc="last")
    wide = wide.reindex(pd.MultiIndex.from_frame(keys[KEY]))
    for metric, (_, scale) in WIDE_COLUMNS.items():
        wide[metric] = wide[metric] * scale if metric in wide else float("nan")
    older = wide["latency"].isna() & wide["latency_median"].notna()
    wide["latency"] = wide["latency"].fillna(wide["latency_median"])
    wide = wide[list(WIDE_COLUMNS)].rename(columns={m: title for m, (title, _) in WIDE_COLUMNS.items()})
    wide["interference"] = _interference(measured).reindex(wide.index).fillna("")
    wide.loc[older, "interference"] = OLDER_ROW
    wide["status"] = _status(merged).reindex(wide.index).fillna(_parity_flags(merged).reindex(wide.index)).fillna("ok")
    wide.insert(0, "provenance", _provenance(measured).reindex(wide.index).fillna("host"))
    wide.columns.name = None
    return wide.reset_index().sort_values(KEY)


OLDER_ROW = "not recorded (older row: latency is its median)"


EARLY_LEAVER = 0.75  # a row measured in fewer than this share of its run's rounds says so: the rest went on without it


def _timed_by_run(samples: list, first: tuple[str, str, str, str], second: tuple[str, str, str, str]) -> dict:
    """Per run, oldest first (the order stored), the sample sets of ``first`` and ``second`` it timed in rounds."""
    by_run: dict[str, dict] = {}
    for s in samples:
        key = (s.model, s.format, s.precision, s.device)
        if key in (first, second) and s.rounds:
            by_run.setdefault(s.run_id, {})[key] = s
    return by_run


def paired(samples: list, first: tuple[str, str, str, str], second: tuple[str, str, str, str]) -> Ratio | None:
    """``first``'s latency over ``second``'s (keys: model, format, precision, device), paired over the rounds both
    were timed in, from the newest run that timed both in rounds (estimate.paired_ratio); None without such a run."""
    by_run = _timed_by_run(samples, first, second)
    newest = {key: run for run, found in by_run.items() for key in found}  # the last run of a key is its newest
    if len(newest) < 2 or newest[first] != newest[second]:
        return None
    found = by_run[newest[first]]
    return paired_ratio(Rounds.of(found[first]), Rounds.of(found[second]))


def paired_runs(samples: list, first: tuple[str, str, str, str], second: tuple[str, str, str, str]) -> list[float]:
    """``first``'s latency over ``second``'s, paired over their shared rounds, in every run that timed both in rounds
    with the builds the newest such run timed (same sha256), oldest first: how far the ratio has moved between runs,
    which one run's interval cannot see (benchmarks/bench_interval.py)."""
    both = [found for found in _timed_by_run(samples, first, second).values() if len(found) == 2]
    builds = [tuple(found[k].artifact_sha256 for k in (first, second)) for found in both]
    return [
        paired_ratio(Rounds.of(found[first]), Rounds.of(found[second]), resamples=0).value
        for found, build in zip(both, builds)
        if build == builds[-1]
    ]


def machine_seen(found: dict) -> tuple[float, float | None, float | None]:
    """What a latency row saw of the machine, from its parsed details: the share of its runs marked, the swing between
    its rounds and how busy the CPUs beside its agent were (estimate.py's three signals; None where not recorded)."""
    return found.get("marked_share", 0.0), found.get("round_swing"), found.get("neighbour_busy")


def _interference_of(found: dict, run_rounds: int | None) -> str:
    """'CONTENDED (45 % of runs descheduled; speed swung 28 % between rounds)' or 'quiet (2 % ...)' from a latency
    row's parsed details; '' if unknown. ``run_rounds``, the most rounds any artifact of the row's run took on its
    device: a row that left the rounds well before (``EARLY_LEAVER``) says so, since others went on into another
    stretch of the machine (rows that ran to their time budget end a few rounds apart)."""
    if "marked_share" not in found:
        return ""
    seen = interference_phrase(*machine_seen(found))
    if found.get("rounds") and run_rounds and found["rounds"] < EARLY_LEAVER * run_rounds:
        seen += f"; measured in the first {found['rounds']} of the run's {run_rounds} rounds"
    return f"CONTENDED ({seen})" if found.get("contended") else f"quiet ({seen})"


def _interference(measured: pd.DataFrame) -> pd.Series:
    latency = measured[(measured.metric == "latency") & (measured.status == "ok")]
    found = latency.details.map(details_of)
    rounds = found.map(lambda d: d.get("rounds")).astype(float)
    longest = rounds.groupby([latency.run_id, latency.device]).transform("max")
    text = [_interference_of(d, None if pd.isna(n) else int(n)) for d, n in zip(found, longest)]
    return pd.Series(text, index=latency.index, dtype=object).groupby([latency[k] for k in KEY]).last()


def _status(rows: pd.DataFrame) -> pd.Series:
    """Per artifact and device: 'ok', or the first reason a metric was not measured."""
    bad = rows[rows.status != "ok"]
    reason = bad.error.where(bad.error.str.len() <= 60, bad.error.str.slice(0, 59) + "…")  # in full under failures
    text = bad.status + ": " + reason
    return text.groupby([bad[k] for k in KEY]).first()


def _parity_flags(rows: pd.DataFrame) -> pd.Series:
    """Per artifact and device: the parity_exceeded text of an artifact beyond its tolerance."""
    parity = rows[rows.metric == "parity_max_abs"]
    text = parity.details.map(flag_in_details)
    flagged = parity[text != ""]
    return text[text != ""].groupby([flagged[k] for k in KEY]).first()


def _provenance(measured: pd.DataFrame) -> pd.Series:
    """Where each artifact-and-device line's runtime numbers came from ('host' is this machine)."""
    timed = measured[measured.runtime != ""]
    return timed.provenance.groupby([timed[k] for k in KEY]).first()


def failures(rows: pd.DataFrame) -> pd.DataFrame:
    bad = rows[rows.status != "ok"]
    return bad[KEY + ["metric", "status", "error"]].sort_values(KEY)


def failure_runs(bad: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``failures`` in groups, in order: the not_run rows that give the same reason collapse into one group with a
    summary (how many rows, of which formats and models); every other row is a group of its own (summary "")."""
    same = (bad.status == "not_run") & bad.duplicated(["status", "error"], keep=False)
    groups = [("", bad.loc[[i]]) for i in bad.index[~same]]
    for (_, error), run in bad[same].groupby(["status", "error"], sort=False):
        groups.append(
            (
                f"{len(run)} not_run rows ({', '.join(sorted(set(run.format)))}; "
                f"{', '.join(sorted(set(run.model)))}): {error}",
                run,
            )
        )
    order = {i: n for n, i in enumerate(bad.index)}
    return sorted(groups, key=lambda g: order[g[1].index[0]])


def context(rows: pd.DataFrame) -> pd.DataFrame:
    """How each artifact's numbers were produced on each device: one line per context its rows share (a profile's
    rows, with their warm-up and run counts, and its accuracy rows, which have none)."""
    timed = rows[rows.runtime != ""]
    timed = timed[CONTEXT_COLUMNS].assign(platform=timed.details.map(_platform))
    timed = timed.drop_duplicates().sort_values(["device", "model", "format", "precision"])
    timed["converter_versions"] = timed.converter_versions.map(lambda text: json.loads(text or "{}"))
    return timed.astype({"threads": "Int64", "warmup_runs": "Int64", "runs": "Int64"})


def _platform(details: str) -> str:
    """The OS and CPU the runtime ran on, as recorded in a row's details (empty when not recorded): its model and
    kernel extensions (mbench/host.py) where recorded, then the count."""
    found = details_of(details)
    features = f" ({found['cpu_features']})" if found.get("cpu_features") else ""
    cpu = f", {found['cpu_model']}{features}" if found.get("cpu_model") else ""
    cpus = f", {found['cpu_count']} CPUs" if found.get("cpu_count") else ""
    return f"{found.get('platform', '')}{cpu}{cpus}".strip(", ")


ACCURACY_METRICS = ("ods_f", "top1", "miou")


def accuracy_metric(rows: pd.DataFrame, wanted: str | None = None) -> str | None:
    """The accuracy metric to plot: the one asked for if measured, else the first measured of ACCURACY_METRICS."""
    measured = set(rows[rows.status == "ok"].metric)
    candidates = (wanted,) if wanted else ACCURACY_METRICS
    return next((m for m in candidates if m in measured), None)


def op_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-operator times a runtime reported (metrics named 'op:<name>'), with the operator name split out."""
    ops = rows[rows.metric.str.startswith("op:") & (rows.status == "ok")].copy()
    ops["op"] = ops.metric.str.slice(3)
    return ops


def provenance_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per provenance: which devices and hosts produced numbers, and how many rows."""
    timed = rows[rows.runtime != ""]
    grouped = timed.groupby("provenance")
    return pd.DataFrame(
        {
            "devices": grouped.device.unique().map(lambda d: ", ".join(sorted(d))),
            "hosts": grouped.host.unique().map(lambda h: ", ".join(sorted(h))),
            "rows": grouped.size(),
        }
    ).reset_index()
