"""The report's plots and panels: Pareto fronts, accuracy fallback, per-op breakdown, provenance, escaped JSON."""

import json
import re

import pytest

from mbench.report.build import render_report
from mbench.report.pareto import pareto_front
from mbench.results import Context, Measurement, new_run_id
from mbench.results import SampleSet
from mbench.store import Store

EVIL = "</script><script>alert(1)</script>"
ONNX = Context(
    runtime="onnxruntime",
    runtime_version="1.32.0",
    threads=2,
    runs=3,
    details='{"platform": "Linux-6.8", "cpu_model": "AMD EPYC", "cpu_features": "avx2 avx512_vnni", "cpu_count": 2}',
)
PHONE = Context(
    runtime="litert",
    runtime_version="2.3.0",
    threads=4,
    runs=3,
    host="pixel-8",
    provenance="android",
    details='{"platform": "Android 14", "cpu_count": 8}',
)


def test_pareto_front_keeps_only_points_nothing_beats():
    points = [(10, 0.70), (5, 0.60), (20, 0.80), (12, 0.65), (5, 0.55), (25, 0.75)]
    assert pareto_front(points, maximize_y=True) == [1, 0, 2]
    assert pareto_front([(1, 5), (2, 4), (3, 6), (2, 4)], maximize_y=False) == [0, 1]
    assert pareto_front([], maximize_y=True) == []


def _rows(model, fmt, device, median, size, context, **extra):
    rows = [
        Measurement(model, fmt, "fp32", device, "latency_median", median, "ms", context=context),
        Measurement(model, fmt, "fp32", device, "size", size, "bytes"),
    ]
    return rows + [Measurement(model, fmt, "fp32", device, metric, value, "") for metric, value in extra.items()]


def _store(tmp_path, accuracy=True, ops=True):
    store = Store(tmp_path / "p.db")
    run = new_run_id()
    store.start_run(run, "test")
    score = (lambda v: {"ods_f": v}) if accuracy else (lambda v: {})
    rows = (
        _rows(EVIL, "onnx", "host", 4.0, 2e6, ONNX, **score(0.71))
        + _rows("fast", "onnx", "host", 2.0, 1e6, ONNX, **score(0.62))
        + _rows("slow", "tflite", "pixel", 9.0, 3e6, PHONE, **score(0.60))
    )
    if ops:
        rows += [
            Measurement("slow", "tflite", "fp32", "pixel", f"op:{name}", ms, "ms", context=PHONE)
            for name, ms in (("CONV_2D", 6.1), ("<b>ADD</b>", 0.4))
        ]
    samples = [
        SampleSet(EVIL, "onnx", "fp32", "host", "s", (3.9, 4.0, 4.2)),
        SampleSet("fast", "onnx", "fp32", "host", "s", (1.9, 2.0, 2.3)),
    ]
    store.append(run, rows, samples)
    return store


def _figures(html):
    found = re.findall(r'<script type="application/json" data-plot="plot-([\w-]+)">(.*?)</script>', html, re.S)
    return {anchor: json.loads(text) for anchor, text in found}


def test_plot_json_cannot_close_its_script_and_shows_names_as_text(tmp_path):
    with _store(tmp_path) as store:
        html = render_report(store, tmp_path / "r.html").read_text()
    assert "<script>alert(1)" not in html and "</script><script>alert" not in html
    figures = _figures(html)
    assert set(figures) >= {"size-latency-0", "pareto", "distributions", "ops"}
    names = [trace["name"] for trace in figures["size-latency-0"]["data"]]
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in names  # plotly decodes entities: shown as text


def test_labels_of_points_side_by_side_take_turns_above_and_below():
    from mbench.report.plots import label_positions

    assert label_positions([9.6, 7.9, 10.1, 15.5], gap=1.0) == [
        "top center",
        "top center",
        "bottom center",
        "top center",
    ]  # 9.6 and 10.1 side by side, 7.9 and 15.5 apart
    assert label_positions([1.0, 1.1, 1.2], gap=0.5) == ["top center", "bottom center", "top center"]
    assert label_positions([], gap=1.0) == []


def test_accuracy_pareto_uses_the_first_measured_metric(tmp_path):
    with _store(tmp_path) as store:
        html = render_report(store, tmp_path / "r.html").read_text()
        top1 = render_report(store, tmp_path / "t.html", metric="top1").read_text()
    pareto = _figures(html)["pareto"]
    assert pareto["layout"]["yaxis"]["title"]["text"] == "ods_f"
    host_front = next(t for t in pareto["data"] if t["name"] == "Pareto front (host)")
    assert host_front["x"] == [2.0, 4.0]  # fast and accurate-but-slower are both on the front
    assert "ods_f against latency" in html and "No accuracy metric" not in html
    assert "No accuracy metric (ods_f, top1, miou) is in the database yet" in top1


def test_without_accuracy_the_front_is_size_against_latency_and_says_so(tmp_path):
    with _store(tmp_path, accuracy=False, ops=False) as store:
        html = render_report(store, tmp_path / "r.html").read_text()
    assert "No accuracy metric (ods_f, top1, miou) is in the database yet" in html
    assert _figures(html)["pareto"]["layout"]["yaxis"]["title"]["text"] == "artifact size (MB)"
    assert "ops" not in _figures(html) and "Per-operator" not in html


def test_per_op_breakdown_from_op_rows(tmp_path):
    with _store(tmp_path) as store:
        ops = _figures(render_report(store, tmp_path / "r.html").read_text())["ops"]
    (trace,) = ops["data"]
    assert trace["y"] == ["CONV_2D", "&lt;b&gt;ADD&lt;/b&gt;"] and trace["x"] == [6.1, 0.4]


def test_distributions_come_from_the_raw_samples(tmp_path):
    with _store(tmp_path) as store:
        boxes = _figures(render_report(store, tmp_path / "r.html").read_text())["distributions"]["data"]
    assert sorted(tuple(b["x"]) for b in boxes) == [(1.9, 2.0, 2.3), (3.9, 4.0, 4.2)]


@pytest.mark.parametrize("anchor", ["provenance-table", "context-table", "comparison-table"])
def test_phone_numbers_carry_a_device_badge_never_a_host_one(tmp_path, anchor):
    with _store(tmp_path) as store:
        html = render_report(store, tmp_path / "r.html").read_text()
    table = html[html.index(f'id="{anchor}"') :]
    table = table[: table.index("</table>")]
    assert '<span class="prov prov-device">android</span>' in table
    assert '<span class="prov prov-host">host</span>' in table
    if anchor == "provenance-table":
        assert "pixel-8" in table
    if anchor == "context-table":
        assert "<td>Android 14, 8 CPUs</td>" in table
        assert "<td>Linux-6.8, AMD EPYC (avx2 avx512_vnni), 2 CPUs</td>" in table
