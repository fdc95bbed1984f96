"""The HTML report from a real store: headline, tables, context, failures, escaping."""

import re

import pytest

from mbench.convert.pipeline import conversion_rows
from mbench.report.build import render_report
from mbench.results import Context, Measurement, new_run_id
from mbench.spec import Status
from mbench.store import Store


def _ms(model, fmt, metric, value, unit="ms", **kw):
    return Measurement(model, fmt, "fp32", "host", metric, value, unit, **kw)


def _hed_rows():
    rows = []
    for model, weights, size, onnx_ms in (
        ("hed-vgg", 4_407_792, 4.47e6, 20.0),
        ("hed-mobilenetv2", 1_130_532, 1.26e6, 8.0),
    ):
        rows += [
            _ms(model, "pytorch", "weight_bytes", weights, "bytes"),
            _ms(model, "pytorch", "parameters", weights / 4, "count"),
            _ms(model, "pytorch", "buffer_bytes", 45_360, "bytes"),
            _ms(model, "onnx", "size", size, "bytes"),
            _ms(
                model,
                "onnx",
                "latency_median",
                onnx_ms,
                context=Context(runtime="onnxruntime", runtime_version="1.32.0", threads=2, runs=50),
            ),
            _ms(
                model,
                "coreml",
                "latency",
                None,
                "",
                status=Status.NOT_RUN,
                error="not measurable here: Core ML runs only on macOS",
            ),
        ]
    return rows


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "r.db") as store:
        run = new_run_id()
        store.start_run(run, "test")
        store.append(run, _hed_rows())
        yield store


def test_headline_states_the_ratios(store, tmp_path):
    from mbench.report.headline import headline as pair_headline

    hed = pair_headline(store.measurements(), ("hed-vgg", "hed-mobilenetv2"))
    assert {line.format for line in hed.lines} == {"pytorch", "onnx", "coreml"}  # no lines for formats never made
    html = render_report(store, tmp_path / "index.html").read_text()
    headline = re.search(r'<p class="lead" id="headline">(.*?)</p>', html, re.S).group(1)
    assert "3.9x less weight data" in headline
    assert "2.5x faster" in headline
    assert "1,101,948 parameters x 4 bytes = 4.408 MB" in html
    assert "frozen TensorFlow graph" in html


def test_not_run_rows_are_shown_with_their_reason(store, tmp_path):
    html = render_report(store, tmp_path / "index.html").read_text()
    assert "Core ML runs only on macOS" in html
    assert "Failures and rows not measured (2)" in html


def test_context_panel_lists_runtime_and_threads(store, tmp_path):
    """One line per artifact's context, naming the artifact: two models timed alike are two lines, not one line that
    says neither (their warm-up and run counts differ in practice)."""
    html = render_report(store, tmp_path / "index.html").read_text()
    context = html[html.index('id="context"') :]
    context = context[: context.index("</table>")]
    assert "onnxruntime" in context and "1.32.0" in context
    lines = re.findall(r"<tr>(.*?)</tr>", context, re.S)[1:]
    assert sorted(m for line in lines for m in ("hed-vgg", "hed-mobilenetv2") if f">{m}<" in line) == [
        "hed-mobilenetv2",
        "hed-vgg",
    ]


def test_report_is_self_contained(store, tmp_path):
    html = render_report(store, tmp_path / "index.html").read_text()
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)  # inlined code may mention URLs
    assert not re.search(r'(src|href)="(https?:)?//', markup)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html)
    assert html.count("Plotly.newPlot") == 1 and html.count("<script>") == 2  # plotly.js once, then the page's code


def test_text_from_models_and_errors_is_escaped(tmp_path):
    with Store(tmp_path / "x.db") as store:
        run = new_run_id()
        store.start_run(run, "<b>cmd</b>")
        store.append(
            run,
            [
                _ms(
                    "<script>alert(1)</script>",
                    "onnx",
                    "latency",
                    None,
                    "",
                    status=Status.FAILED,
                    error="<img src=x onerror=alert(2)>",
                )
            ],
        )
        html = render_report(store, tmp_path / "index.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "<b>cmd" not in html


def test_report_of_a_real_conversion(tiny_conversions, tmp_path):
    with Store(tmp_path / "real.db") as store:
        run = new_run_id()
        store.start_run(run, "test")
        store.append(run, [row for outcome in tiny_conversions[1] for row in conversion_rows(outcome)])
        html = render_report(store, tmp_path / "index.html").read_text()
    table = html[html.index('id="comparison"') : html.index('id="failures"')]
    for fmt in ("pytorch", "onnx", "tflite", "coreml"):
        assert f"<td>{fmt}</td>" in table
    assert "test-tiny" in table


def test_user_pairs_get_headlines_after_the_hed_pair(store, tmp_path):
    html = render_report(
        store, tmp_path / "index.html", pairs=[("hed-mobilenetv2", "hed-vgg"), ("hed-vgg", "nope")]
    ).read_text()
    assert html.index('id="headline"') < html.index('id="headline-2"') < html.index('id="headline-3"')
    second = re.search(r'id="headline-2">(.*?)</p>', html, re.S).group(1)
    assert "hed-mobilenetv2 has 3.9x less weight data than hed-vgg" in second and "2.5x slower" in second
    assert "No comparison: nope has no measurements" in html


def test_the_accuracy_metric_joins_the_headline(store, tmp_path):
    run = store.runs().run_id.iloc[0]
    store.append(run, [_ms("hed-vgg", "onnx", "ods_f", 0.781, ""), _ms("hed-mobilenetv2", "onnx", "ods_f", 0.752, "")])
    html = render_report(store, tmp_path / "index.html").read_text()
    headline = re.search(r'<p class="lead" id="headline">(.*?)</p>', html, re.S).group(1)
    assert "ods_f 0.752 against 0.781 (onnx)" in headline and "No task accuracy metric" not in headline


def test_extra_sections_drop_in_escaped(store, tmp_path):
    import pandas as pd

    from mbench.report.sections import Section

    coverage = pd.DataFrame({"model": ["<i>m</i>"], "onnx": ["ok"], "tflite": ["failed"]})
    html = render_report(
        store, tmp_path / "index.html", sections=[Section.of_frame("Coverage", coverage, "A note")]
    ).read_text()
    block = html[html.index('<h2 id="section-coverage">') : html.index('id="runs"')]
    assert "&lt;i&gt;m&lt;/i&gt;" in block and "<i>m" not in html and "A note" in block
    assert 'href="#section-coverage"' in html


def test_accuracy_section_and_the_hed_verdict(tmp_path):
    rows = _hed_rows()
    for model, ods, iou in (("hed-vgg", 0.86, 0.93), ("hed-mobilenetv2", 0.87, 0.89)):
        for fmt, shift in (("pytorch", 0.0), ("onnx", 0.001)):
            rows += [_ms(model, fmt, "ods_f", ods + shift, ""), _ms(model, fmt, "corner_iou", iou, "")]
    with Store(tmp_path / "acc.db") as store:
        run = new_run_id()
        store.start_run(run, "test")
        store.append(run, rows)
        html = render_report(store, tmp_path / "r.html").read_text()
    assert (
        "hed-mobilenetv2 is less accurate than hed-vgg: ODS F 0.870 vs 0.860 (+0.010), corner IoU 0.890 vs 0.930"
        in html
    )
    section = html[html.index('id="section-accuracy"') :]
    assert "Δ ods_f" in section and "0.001" in section


def test_latency_headline_pairs_rounds_and_flags_contention(tmp_path):
    import json

    from mbench.results import SampleSet

    rounds = tuple(r for r in range(8) for _ in range(4))
    busy = Context(
        runtime="onnxruntime",
        details=json.dumps({"contended": True, "marked_share": 0.4, "round_swing": 0.22, "neighbour_busy": 0.01}),
    )
    quiet = Context(runtime="onnxruntime", details=json.dumps({"contended": False, "marked_share": 0.0}))
    with Store(tmp_path / "r.db") as store:
        store.start_run("R", "test")
        store.append(
            "R",
            [
                _ms("hed-vgg", "onnx", "latency", 30.0, context=busy),
                _ms("hed-mobilenetv2", "onnx", "latency", 10.0, context=quiet),
                _ms("hed-vgg", "tflite", "latency_median", 20.0),
                _ms("hed-mobilenetv2", "tflite", "latency_median", 10.0),
            ],
            [
                SampleSet("hed-vgg", "onnx", "fp32", "host", "a", (30.0,) * 32, rounds=rounds),
                SampleSet("hed-mobilenetv2", "onnx", "fp32", "host", "b", (10.0,) * 32, rounds=rounds),
            ],
        )
        html = render_report(store, tmp_path / "index.html").read_text()
    assert "3.00x (3.00-3.00)" in html  # the warning names what made the row contended, and only that:
    assert (
        "CONTENDED (hed-vgg: 40 % of runs descheduled and speed swung 22 % between rounds): the ratio is not "
        "trustworthy"
    ) in html
    assert "median latency (older rows" in html  # tflite rows have no `latency`: their median stands in, said so
    assert "CONTENDED (40 % of runs descheduled; speed swung 22 % between rounds; the CPUs beside it 1 % busy)" in html


def test_a_row_that_left_the_rounds_early_says_so(tmp_path):
    import json
    from html import unescape

    def seen(rounds: int) -> Context:
        return Context(
            runtime="onnxruntime",
            details=json.dumps({"contended": True, "marked_share": 0.0, "round_swing": 0.3, "rounds": rounds}),
        )

    with Store(tmp_path / "r.db") as store:
        store.start_run("R", "test")
        store.append(
            "R",
            [
                _ms("hed-vgg", "onnx", "latency", 30.0, context=seen(202)),
                _ms("hed-mobilenetv2", "onnx", "latency", 10.0, context=seen(43)),
                _ms("hed-mobilenetv2-copy", "onnx", "latency", 10.0, context=seen(190)),
            ],
        )
        page = unescape(render_report(store, tmp_path / "index.html").read_text())
    assert page.count("measured in the first 43 of the run's 202 rounds") == 1  # the others went on: said once
    assert page.count("of the run's") == 1  # 190 of 202: it ran to its budget, a few rounds from the others


def test_the_headline_gives_the_range_a_ratio_took_over_the_runs_of_the_same_builds(tmp_path):
    """One run's interval says how sure that run is; the store's other runs of the same two builds say how far the
    ratio has moved between runs. A rebuilt artifact starts its own history."""
    from html import unescape

    from mbench.results import SampleSet

    rounds = tuple(r for r in range(8) for _ in range(4))

    def run(store, name: str, vgg_ms: float, vgg_build: str = "a") -> str:
        store.start_run(name, "test")
        store.append(
            name,
            [_ms("hed-vgg", "onnx", "latency", vgg_ms), _ms("hed-mobilenetv2", "onnx", "latency", 10.0)],
            [
                SampleSet("hed-vgg", "onnx", "fp32", "host", vgg_build, (vgg_ms,) * 32, rounds=rounds),
                SampleSet("hed-mobilenetv2", "onnx", "fp32", "host", "b", (10.0,) * 32, rounds=rounds),
            ],
        )
        return unescape(render_report(store, tmp_path / "index.html").read_text())

    with Store(tmp_path / "r.db") as store:
        first = run(store, "R1", 25.0)
        assert "2.50x (2.50-2.50)" in first and "x over" not in first
        assert "3.00x (3.00-3.00); 2.50-3.00x over 2 runs" in run(store, "R2", 30.0)
        assert "2.50-3.00x over 3 runs" in run(store, "R3", 27.0)
        page = run(store, "R4", 40.0, vgg_build="a2")
    assert "4.00x (4.00-4.00)" in page and "x over" not in page
