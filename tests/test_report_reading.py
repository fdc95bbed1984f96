"""The report reads well: Pareto points carry labels, identical not_run rows collapse into one counted line, and
converter versions are a small table, not a JSON string."""

import json
import re
import shutil

import pandas as pd
import pytest

from mbench.report.build import render_report
from mbench.report.plots import DIRECT_LABELS, LATENCY, _direct_labels
from mbench.report.tables import failure_runs
from mbench.store import Store

REASON = "not measurable here: Core ML runs only on macOS"


def _bad(n_same: int) -> pd.DataFrame:
    rows = [("m1" if i % 2 else "m2", "coreml", "fp32", "host", f"metric{i}", "not_run", REASON) for i in range(n_same)]
    rows += [
        ("m1", "onnx", "fp32", "host", "latency", "failed", "boom"),
        ("m1", "tflite", "fp32", "host", "latency", "not_run", "a reason of its own"),
    ]
    return pd.DataFrame(rows, columns=["model", "format", "precision", "device", "metric", "status", "error"])


def test_identical_not_run_rows_collapse_into_one_counted_group():
    groups = failure_runs(_bad(16))
    assert [len(frame) for _, frame in groups] == [16, 1, 1]
    assert groups[0][0] == f"16 not_run rows (coreml; m1, m2): {REASON}"
    assert [summary for summary, _ in groups[1:]] == ["", ""]  # a failure, and a reason given once, stay rows


def test_a_few_front_points_get_direct_labels_that_do_not_overlap():
    front = pd.DataFrame(
        {
            "model": [f"m{i}" for i in range(20)],
            "format": "onnx",
            "precision": "int8",
            LATENCY: [5.0 * i for i in range(20)],
            "y": 0.9,
        }
    )  # one accuracy: labels side by side
    texts, positions = _direct_labels(front, front)
    labelled = [i for i, t in enumerate(texts) if t]
    assert texts[0] == "m0 onnx int8" and 1 < len(labelled) <= DIRECT_LABELS
    assert labelled == [0, 5, 10, 15]  # 5 steps of 5 ms are 0.26 of the x range, more than the gap
    assert positions[0] == "top right" and positions[-1] == "top left"  # never off the plot's right edge


@pytest.fixture(scope="module")
def page(profiled_db, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("reading")
    shutil.copy(profiled_db, folder / "r.db")
    with Store(folder / "r.db") as store:
        return render_report(store, folder / "index.html").read_text()


def test_converter_versions_are_a_small_table(page):
    context = page[page.index('id="context"') :]
    assert re.search(
        r'<table class="kv">(<tr><td>[\w.-]+</td><td>[^<]+</td></tr>)*?<tr><td>ai-edge-quantizer</td>'
        r"<td>[\d.]+</td></tr>",
        context,
    )
    assert "{&#34;" not in context and '{"' not in context.split("</table></div>")[0]


def test_the_pareto_front_is_labelled_on_the_plot_and_on_hover(page):
    figure = json.loads(re.search(r'data-plot="plot-pareto">(.*?)</script>', page, re.S).group(1))
    points, front = figure["data"][0], figure["data"][1]
    assert all(" · " in label for label in points["text"]) and "test-tiny" in points["text"][0]
    assert front["mode"] == "lines+markers+text" and any(t.startswith("test-tiny ") for t in front["text"])


def test_the_core_ml_reasons_are_one_line_in_the_failures(page):
    failures = page[page.index('id="failures-list"') : page.index('id="measured"')]
    summaries = re.findall(
        r'<tr class="group"[^>]*><td colspan="\d+"><span class="toggle">▸</span> (.*?)</td>', failures
    )
    assert len(summaries) == 1 and re.match(r"\d+ not_run rows \(coreml; test-tiny\): ", summaries[0])
    assert failures.count("data-member=") == int(summaries[0].split()[0])


def test_the_headline_compares_the_pair_at_fp32_when_lower_precisions_exist():
    from mbench.report.headline import headlines

    rows = pd.DataFrame(
        [
            (m, "onnx", p, "host", "latency_median", v, "ok")
            for m, p, v in (
                ("hed-vgg", "fp32", 20.0),
                ("hed-mobilenetv2", "fp32", 9.0),
                ("hed-vgg", "int8", 15.0),
                ("hed-mobilenetv2", "int8", 16.0),
            )
        ],
        columns=["model", "format", "precision", "device", "metric", "value", "status"],
    )
    (headline,) = headlines(rows)
    assert "runs in 9.00 ms against 20.00 ms" in headline.sentence
