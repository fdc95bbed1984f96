"""The device-output parsers on real recorded transcripts (../shared/transcripts) and on mbench's own fixtures."""

from pathlib import Path

import pytest

from fake_tools import TRANSCRIPTS
from mbench.devices.parsers import UnparsableOutput, benchmark_model, ort_perf_test, xctest

FIXTURES = Path(__file__).parent / "fixtures" / "devices"
MIB = 1024 * 1024


def transcript(name: str) -> str:
    path = TRANSCRIPTS / name
    if not path.is_file():
        pytest.skip(f"recorded transcripts not present at {TRANSCRIPTS} (they live outside the repository)")
    return path.read_text()


def ms(run, metric):
    value, unit = run.values[metric]
    assert unit == "ms"
    return value


def test_benchmark_model_with_percentiles_and_warmup():
    run = benchmark_model.parse(transcript("benchmark_model_05.txt"))
    assert ms(run, "latency_mean") == pytest.approx(105.784)
    assert ms(run, "latency_median") == pytest.approx(105.718)
    assert ms(run, "latency_p5") == pytest.approx(105.485) and ms(run, "latency_p95") == pytest.approx(106.281)
    assert ms(run, "load_time") == pytest.approx(87.639) and ms(run, "first_inference") == pytest.approx(106.436)
    assert run.runs == 50 and run.warmup_runs == 5
    assert run.values["memory_delta"] == (pytest.approx(14.8164 * MIB), "bytes")


def test_benchmark_model_without_percentiles_peak_memory_and_op_table():
    run = benchmark_model.parse(transcript("benchmark_model_10.txt"))
    assert ms(run, "latency_stdev") == pytest.approx(0.079) and "latency_median" not in run.values
    assert run.values["peak_memory"][0] == pytest.approx(11.3984 * MIB) and run.threads == 4
    assert run.runs == 81 and run.warmup_runs == 41
    ops = {m: v for m, (v, _) in run.values.items() if m.startswith("op:")}
    assert "op:AllocateTensors" not in ops and len(ops) >= 3


def test_benchmark_model_uses_the_regular_runs_op_summary_not_the_init_one():
    run = benchmark_model.parse(transcript("benchmark_model_01.txt"))
    assert ms(run, "op:CONV_2D") == pytest.approx(2651.853)
    assert ms(run, "op:DEPTHWISE_CONV_2D") == pytest.approx(296.919) and "op:AllocateTensors" not in run.values
    assert ms(run, "latency_mean") == pytest.approx(2950.34)


def test_benchmark_model_old_average_inference_timings_form():
    run = benchmark_model.parse(transcript("benchmark_model_09.txt"))
    assert ms(run, "latency_mean") == pytest.approx(747.733) and ms(run, "load_time") == pytest.approx(21.039)
    assert ms(run, "warmup_mean") == pytest.approx(751.932) and run.warmup_runs == 1 and run.threads == 1
    doc = benchmark_model.parse(transcript("benchmark_model_07.txt"))
    assert ms(doc, "latency_mean") == pytest.approx(79.7609) and ms(doc, "op:CONV_2D") == pytest.approx(1.406)


def test_benchmark_model_full_tensorflow_prefixed_lines():
    run = benchmark_model.parse(transcript("benchmark_model_11.txt"))
    assert ms(run, "latency_mean") == pytest.approx(54.252)  # the unprofiled "no stats" mean
    assert run.runs == 167 and ms(run, "op:Conv2D") == pytest.approx(39.934)


@pytest.mark.parametrize("number", ["02", "03", "04", "06", "08"])
def test_every_benchmark_model_transcript_gives_a_mean_and_a_count(number):
    run = benchmark_model.parse(transcript(f"benchmark_model_{number}.txt"))
    assert ms(run, "latency_mean") > 0 and run.values["latency_count"][0] == 50


def test_benchmark_model_all_same_fixture():
    run = benchmark_model.parse((FIXTURES / "benchmark_model_all_same.txt").read_text())
    assert ms(run, "latency_min") == ms(run, "latency_max") == ms(run, "latency_mean") == 0.24
    assert ms(run, "latency_stdev") == 0 and run.runs == 50 and run.warmup_runs == 4 and run.threads == 2
    assert run.values["peak_memory_monitored"][0] == 12.5 * MIB
    assert ms(run, "op:CONV_2D") == 0.18 and ms(run, "op:RELU") == 0.06 and "op:AllocateTensors" not in run.values


def test_benchmark_model_percentile_fixture_with_overall_peak():
    run = benchmark_model.parse((FIXTURES / "benchmark_model_percentiles.txt").read_text())
    assert ms(run, "latency_median") == 4.75 and run.runs == 20 and run.warmup_runs == 3
    assert run.values["peak_memory"][0] == 8.25 * MIB and run.values["peak_memory_monitored"][0] == 9.75 * MIB


def test_garbage_is_refused_with_its_tail_quoted():
    with pytest.raises(UnparsableOutput, match="benchmark_model.*Segmentation fault"):
        benchmark_model.parse("STARTING!\nSegmentation fault\n")
    with pytest.raises(UnparsableOutput, match="onnxruntime_perf_test.*no output"):
        ort_perf_test.parse("")


def test_ort_perf_test_new_format_with_latency_block():
    run = ort_perf_test.parse(transcript("ort_perf_test_01.txt"))
    assert ms(run, "load_time") == pytest.approx(217.932) and ms(run, "first_inference") == 196
    assert ms(run, "latency_mean") == pytest.approx(98.961997) and ms(run, "latency_median") == pytest.approx(99.5086)
    assert ms(run, "latency_p99") == pytest.approx(101.519) and run.values["peak_memory"] == (271122432, "bytes")
    assert run.threads == 1 and run.runs == 5


@pytest.mark.parametrize(
    "number,mean,load",
    [("03", 82.3382, 1144.76), ("05", 734.606, 1841.49), ("06", 83.8059, 133.189), ("07", 144.871, 127.918)],
)
def test_ort_perf_test_old_and_vendor_formats(number, mean, load):
    run = ort_perf_test.parse(transcript(f"ort_perf_test_{number}.txt"))
    assert ms(run, "latency_mean") == pytest.approx(mean) and ms(run, "load_time") == pytest.approx(load)


def test_ort_perf_test_fixture():
    run = ort_perf_test.parse((FIXTURES / "ort_perf_test.txt").read_text())
    assert ms(run, "latency_min") == pytest.approx(2.1) and ms(run, "latency_p90") == pytest.approx(2.9)
    assert run.threads == 2 and run.runs == 20


def test_xctest_wall_clock_values_become_samples():
    runs = xctest.parse(transcript("xcodebuild_02.txt"))
    assert len(runs) == 6
    large = runs["TinyLayoutMetricsTests.TinyLayoutMetricsTests testPerformance_tiny_large"]
    assert large.samples_ms[0] == pytest.approx(119.524) and len(large.samples_ms) == 10


def test_xctest_monotonic_clock_and_memory_lines():
    found = xctest.measurements(transcript("xcodebuild_04.txt"))
    peak = next(m for m in found if m.label == "Memory Peak Physical")
    assert peak.unit == "kB" and peak.metric_id.endswith("physical_peak") and len(peak.values) == 5
    runs = xctest.parse(transcript("xcodebuild_04.txt"))
    any_spec = runs["SpecificationKitTests.PerformanceBenchmarks testAnySpecificationPerformance"]
    assert any_spec.samples_ms == pytest.approx((5.643, 4.422, 4.414, 4.037, 3.327))


def test_xctest_cpu_time_is_not_taken_for_latency():
    runs = xctest.parse(transcript("xcodebuild_03.txt"))
    assert list(runs) == ["PowerUserMailUITests.PerformanceUITests testWindowResize"]
    assert xctest.parse(transcript("xcodebuild_01.txt"))
