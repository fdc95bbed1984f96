"""The Android runner against a fake adb on PATH that replays benchmark_model / onnxruntime_perf_test output."""

import json
import re
import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from click.testing import CliRunner

from fake_tools import FakeTools
from mbench.cli import main
from mbench.devices.inventory import load_inventory
from mbench.measure.groups import Grouping
from mbench.measure.timing import RunPlan
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import profile_and_record

FIXTURES = Path(__file__).parent / "fixtures" / "devices"
PLAN = RunPlan(warmup_runs=2, warmup_seconds=0.1, runs=20, min_seconds=0.5, processes=1)  # one round


@pytest.fixture
def phone(tmp_path, monkeypatch):
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop ro.product.model", stdout="Pixel 7\n")
    fakes.add("adb", "benchmark_model --graph", stdout=(FIXTURES / "benchmark_model_percentiles.txt").read_text())
    fakes.add("adb", "onnxruntime_perf_test -e cpu", stdout=(FIXTURES / "ort_perf_test.txt").read_text())
    return fakes


def inventory(tmp_path, **fields):
    (tmp_path / "benchmark_model").write_text("binary")
    (tmp_path / "onnxruntime_perf_test").write_text("binary")
    entry = {
        "kind": "android",
        "serial": "R5CT1234",
        "benchmark_binary": str(tmp_path / "benchmark_model"),
        "threads": 4,
        **fields,
    }
    lines = "".join(f"    {k}: {v}\n" for k, v in entry.items() if v is not None)
    (tmp_path / "devices.yaml").write_text(f"devices:\n  pixel:\n{lines}")
    return load_inventory(tmp_path / "devices.yaml")


def profile(tmp_path, artifacts_dir, inv, plan=PLAN):
    with Store(tmp_path / f"r{len(list(tmp_path.glob('r*.db')))}.db") as store:
        profile_and_record(artifacts_dir, "pixel", inv, store, plan)
        return store.measurements()


def shell_commands(fakes):
    return [shlex.split(call[3]) for call in fakes.calls("adb") if call[2] == "shell"]


def timed_calls(fakes):
    """The timed benchmark_model invocations (the ops pass, when asked for, is the one with the op profiler)."""
    return (
        c
        for c in shell_commands(fakes)
        if any(a.startswith("--graph=") for a in c) and not any(a == "--enable_op_profiling=true" for a in c)
    )


def test_tflite_rows_come_from_the_replayed_benchmark_model(phone, tmp_path, tiny_artifacts_dir):
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path))
    tflite = rows[rows.format == "tflite"].set_index("metric")
    assert tflite.value["latency_median"] == 4.75 and tflite.value["latency_mean"] == 4.8
    assert tflite.value["load_time"] == 12.25 and tflite.value["latency_count"] == 20
    assert tflite.value["peak_memory"] == 8.25 * 1024 * 1024
    first = tflite.iloc[0]
    assert first.provenance == "android" and first.host == "Pixel 7 (R5CT1234)" and first.device == "pixel"
    assert first.runtime == "benchmark_model" and first.threads == 4 and first.runs == 20
    assert set(rows.format) == {"tflite", "onnx"}  # .pt and .mlpackage are not android formats


def test_the_adb_command_lines(phone, tmp_path, tiny_artifacts_dir):
    profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, taskset="f0"))
    calls = phone.calls("adb")
    assert all(call[:2] == ["-s", "R5CT1234"] for call in calls)
    pushes = [call[3:] for call in calls if call[2] == "push"]
    assert [str(tmp_path / "benchmark_model"), "/data/local/tmp/mbench/benchmark_model"] in pushes
    run = next(timed_calls(phone))
    assert (
        run[2] == "/data/local/tmp/mbench/benchmark_model"
        and run[:2] == ["taskset", "f0"]
        and "--num_threads=4" in run
        and "--enable_op_profiling=true" not in run  # the profiler stays out of the timed runs
    )
    assert "--num_runs=20" in run and "--warmup_runs=2" in run and "--min_secs=0.5" in run
    assert any(c[:2] == ["rm", "-f"] and c[2].endswith(".tflite") for c in shell_commands(phone))


def test_without_threads_the_phone_says_how_many_cpus(phone, tmp_path, tiny_artifacts_dir):
    phone.add("adb", "shell nproc", stdout="8\n")
    profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, threads=None))
    run = next(timed_calls(phone))
    assert "--num_threads=8" in run
    profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, threads=None, taskset="f0"))
    run = list(timed_calls(phone))[-1]
    assert run[:2] == ["taskset", "f0"] and "--num_threads=4" in run  # the mask's four CPUs


def test_a_phone_that_does_not_say_its_cpus_gives_failed_rows_naming_the_fix(phone, tmp_path, tiny_artifacts_dir):
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, threads=None))  # nproc answers nothing
    tflite = rows[rows.format == "tflite"]
    assert list(tflite.status) == ["failed"]
    assert "adb shell nproc" in tflite.error.iloc[0] and "set threads" in tflite.error.iloc[0]


def test_delegates_give_one_device_label_each(phone, tmp_path, tiny_artifacts_dir):
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, delegates="[cpu, gpu]"))
    assert set(rows[rows.format == "tflite"].device) == {"pixel", "pixel/gpu"}
    gpu_runs = [c for c in shell_commands(phone) if "--use_gpu=true" in c]
    assert len(gpu_runs) == 1


def test_onnx_goes_through_onnxruntime_perf_test_only_when_named(phone, tmp_path, tiny_artifacts_dir):
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path))
    onnx = rows[rows.format == "onnx"]
    assert list(onnx.status) == ["not_run"] and "ort_perf_test_binary" in onnx.error.iloc[0]
    rows = profile(
        tmp_path, tiny_artifacts_dir, inventory(tmp_path, ort_perf_test_binary=str(tmp_path / "onnxruntime_perf_test"))
    )
    onnx = rows[(rows.format == "onnx") & (rows.status == "ok")].set_index("metric")
    assert onnx.value["latency_p90"] == pytest.approx(2.9) and onnx.runtime.iloc[0] == "onnxruntime_perf_test"
    run = next(c for c in shell_commands(phone) if c[0].endswith("onnxruntime_perf_test"))
    assert run[1:9] == ["-e", "cpu", "-m", "times", "-r", "20", "-x", "4"]


def test_a_hostile_yaml_value_stays_one_word(phone, tmp_path, tiny_artifacts_dir):
    profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, remote_dir='"/tmp/x; rm -rf /"'))
    run = next(timed_calls(phone))
    assert run[0] == "/tmp/x; rm -rf /benchmark_model"  # one word: a path with odd characters, not a command
    mkdir = next(c for c in shell_commands(phone) if c[0] == "mkdir")
    assert mkdir == ["mkdir", "-p", "/tmp/x; rm -rf /"]


def test_out_of_disk_and_garbage_become_failed_rows_and_the_rest_go_on(tmp_path, monkeypatch, tiny_artifacts_dir):
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop", stdout="Pixel 7\n")
    fakes.add("adb", ".tflite", stderr="adb: error: failed to copy: No space left on device\n", rc=1)
    fakes.add("adb", "onnxruntime_perf_test -e", stdout="Segmentation fault\n")
    rows = profile(
        tmp_path, tiny_artifacts_dir, inventory(tmp_path, ort_perf_test_binary=str(tmp_path / "onnxruntime_perf_test"))
    )
    by_format = rows.set_index("format")
    assert "No space left on device" in by_format.error["tflite"]
    assert "printed no result" in by_format.error["onnx"] and "Segmentation fault" in by_format.error["onnx"]
    assert set(rows.status) == {"failed"}


def test_an_unreachable_phone_and_a_timeout(tmp_path, monkeypatch, tiny_artifacts_dir):
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop", stderr="adb: device 'R5CT1234' not found\n", rc=1)
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path))
    assert set(rows.status) == {"failed", "not_run"}
    assert "device 'R5CT1234' not found" in rows[rows.format == "tflite"].error.iloc[0]
    fakes = FakeTools(tmp_path / "fakes2", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop", stdout="Pixel 7\n").add("adb", "benchmark_model --graph", sleep=5)
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path, timeout_s=1))
    assert "timed out after 1 s" in rows[rows.format == "tflite"].error.iloc[0]


ROUNDS = replace(PLAN, processes=3, seed=3)


def tool_runs(fakes):
    """(tool, delegate) of each benchmark_model / onnxruntime_perf_test invocation, in order."""
    return [
        (Path(c[c[0] == "taskset" and 2 or 0]).name, "gpu" if "--use_gpu=true" in c else "cpu")
        for c in shell_commands(fakes)
        if "--graph=" in " ".join(c) or "onnxruntime_perf_test" in c[0]
    ]


def test_rounds_give_each_artifact_one_invocation_each_in_a_shuffled_order(phone, tmp_path, tiny_artifacts_dir):
    """Three rounds: every artifact and delegate invoked once per round, in the order random.Random(seed) shuffles,
    each invocation asked for a third of the runs and seconds; the rows combine the three."""
    inv = inventory(tmp_path, delegates="[cpu, gpu]", ort_perf_test_binary=str(tmp_path / "onnxruntime_perf_test"))
    rows = profile(tmp_path, tiny_artifacts_dir, inv, ROUNDS)
    configs = {("benchmark_model", "cpu"), ("benchmark_model", "gpu"), ("onnxruntime_perf_test", "cpu")}
    order = tool_runs(phone)
    chunks = [order[k : k + 3] for k in (0, 3, 6)]
    assert len(order) == 9 and all(set(chunk) == configs for chunk in chunks)  # each round: each one once
    assert len({tuple(chunk) for chunk in chunks}) == 3  # seed 3 shuffles the three rounds three ways
    runs = [c for c in shell_commands(phone) if "--graph=" in " ".join(c)]
    assert all("--num_runs=7" in c and "--min_secs=0.167" in c and "--max_secs=6.667" in c for c in runs)
    assert all(c[c.index("-r") + 1] == "7" for c in shell_commands(phone) if "onnxruntime_perf_test" in c[0])
    tflite = rows[(rows.format == "tflite") & (rows.device == "pixel")].set_index("metric")
    assert tflite.value["latency_count"] == 60 and tflite.value["latency_mean"] == 4.8  # 3 x 20 runs replayed
    assert tflite.value["latency_median"] == 4.75 and tflite.value["latency_min"] == 4.6
    details = json.loads(tflite.details.iloc[0])
    assert details["invocations"] == 3 and details["rounds"] == 3 and "latency_count: their sum" in details["combined"]
    calls = [c[2:] for c in phone.calls("adb")]
    models = [c for c in calls if c[0] == "push" and c[1].endswith((".tflite", ".onnx"))]
    assert len(models) == 2  # each model pushed once, for all its rounds and delegates
    removed = [i for i, c in enumerate(calls) if c[0] == "shell" and c[1].startswith("rm -f")]
    last_run = max(
        i for i, c in enumerate(calls) if "--graph=" in " ".join(c) or "onnxruntime_perf_test -e" in " ".join(c)
    )
    assert len(removed) == 2 and min(removed) > last_run  # deleted once every round has ended


def test_models_compared_share_rounds_and_the_others_follow_group_after_group(phone, tmp_path, as_models):
    """Models a, b and c, with a and c paired (--pair): a and c take three rounds together, then b three of its own,
    as on the host (measure/groups.py); a group's models leave the phone once its rounds end; the rows name their
    group and the progress hears of each group as it starts. Unpaired, each model is a group of its own."""
    folder = as_models(["a", "b", "c"], [Format.TFLITE])
    starts = []
    with Store(tmp_path / "g.db") as store:
        grouping = Grouping((("a", "c"),), starts.append)
        profile_and_record(folder, "pixel", inventory(tmp_path), store, ROUNDS, grouping=grouping)
        rows = store.measurements()
    assert [(s.index, s.count, s.name, len(s.artifacts)) for s in starts] == [(1, 2, "a+c", 2), (2, 2, "b", 1)]
    calls = [c[2:] for c in phone.calls("adb")]
    invoked = [
        (i, re.search(r"--graph=\S*/(\w+)-", c[1]).group(1)) for i, c in enumerate(calls) if "--graph=" in " ".join(c)
    ]
    order = [model for _, model in invoked]
    assert [set(order[k : k + 2]) for k in (0, 2, 4)] == [{"a", "c"}] * 3 and order[6:] == ["b"] * 3
    removed = {
        re.search(r"/(\w+)-", c[1]).group(1): i for i, c in enumerate(calls) if c[0] == "shell" and "rm -f" in c[1]
    }
    first_of_b = next(i for i, model in invoked if model == "b")
    assert removed["a"] < first_of_b and removed["c"] < first_of_b < invoked[-1][0] < removed["b"]
    latency = rows[rows.metric == "latency_median"].set_index("model")
    groups = {model: json.loads(details)["group"] for model, details in latency.details.items()}
    assert groups == {"a": "a+c", "b": "b", "c": "a+c"} and set(latency.status) == {"ok"}
    starts.clear()
    with Store(tmp_path / "h.db") as store:
        profile_and_record(folder, "pixel", inventory(tmp_path), store, ROUNDS, grouping=Grouping((), starts.append))
    assert [s.name for s in starts] == ["a", "b", "c"]


def test_a_model_that_cannot_be_deleted_is_said_and_its_figures_stand(phone, tmp_path, tiny_artifacts_dir):
    phone.add("adb", "rm -f", stderr="rm: Read-only file system\n", rc=1)
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path))
    tflite = rows[rows.format == "tflite"].set_index("metric")
    assert set(tflite.status) == {"ok"} and tflite.value["latency_median"] == 4.75
    assert "Read-only file system" in json.loads(tflite.details.iloc[0])["model_left_on_phone"]


def test_an_invocation_that_fails_ends_its_rounds_and_keeps_what_came_before(tmp_path, monkeypatch, tiny_artifacts_dir):
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop", stdout="Pixel 7\n")
    fakes.add(
        "adb", "benchmark_model --graph", stdout=(FIXTURES / "benchmark_model_percentiles.txt").read_text(), times=1
    )
    fakes.add("adb", "benchmark_model --graph", stdout="Segmentation fault\n")
    rows = profile(tmp_path, tiny_artifacts_dir, inventory(tmp_path), ROUNDS)
    assert len(tool_runs(fakes)) == 2  # the second failed: no third
    tflite = rows[rows.format == "tflite"].set_index("metric")
    assert set(tflite.status) == {"ok"} and tflite.value["latency_count"] == 20
    details = json.loads(tflite.details.iloc[0])
    assert details["invocations"] == 1 and "Segmentation fault" in details["failed_invocation"]


def test_invocations_combine_as_documented():
    """Known answers: runs summed, the mean weighted by them, min / max the extremes, the rest the median."""
    from mbench.devices.parsers import ToolRun, combined

    def run(count, mean, low, high, median, load):
        return ToolRun(
            "benchmark_model",
            {
                "latency_count": (count, "runs"),
                "latency_mean": (mean, "ms"),
                "latency_min": (low, "ms"),
                "latency_max": (high, "ms"),
                "latency_median": (median, "ms"),
                "load_time": (load, "ms"),
            },
            runs=count,
        )

    both = combined(
        [run(10, 5.0, 4.0, 9.0, 4.9, 12.0), run(30, 6.0, 4.5, 7.0, 5.9, 14.0), run(20, 7.0, 5.0, 8.0, 6.5, 30.0)]
    )
    assert both.values["latency_count"] == (60, "runs") and both.runs == 60
    assert both.values["latency_mean"][0] == pytest.approx((50 + 180 + 140) / 60)
    assert both.values["latency_min"][0] == 4.0 and both.values["latency_max"][0] == 9.0
    assert both.values["latency_median"][0] == 5.9 and both.values["load_time"][0] == 14.0


def test_the_cli_line_of_each_delegate_is_read_from_its_rows(phone, tmp_path, tiny_artifacts_dir):
    """`mbench profile --device pixel` prints what was stored: the tool's own figures (this benchmark_model prints
    statistics, no runs), one line per delegate, the delegate named."""
    inventory(tmp_path, delegates="[cpu, gpu]")
    result = CliRunner().invoke(
        main,
        [
            "profile",
            str(tiny_artifacts_dir),
            "--device",
            "pixel",
            "--devices",
            str(tmp_path / "devices.yaml"),
            "--db",
            str(tmp_path / "c.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if " tflite " in line]
    figures = r" mean +4\.800 ms  median +4\.750 ms  n=60 in 3 rounds +benchmark_model, 4 threads$"
    assert len(lines) == 2 and re.search(r"^ok +test-tiny +tflite +fp32 +" + figures, lines[0]), result.output
    assert re.search(r"^ok +test-tiny +tflite +fp32 +\(gpu\)" + figures, lines[1]), result.output


OPS_CALL = "--enable_op_profiling=true --warmup_runs"  # the ops pass's invocation; the timed ones order flags apart


def ops_on_phone(tmp_path, artifacts_dir, inv, **options):
    from mbench.ops.rows import OP_ATTRIBUTED, OP_MS
    from mbench.sweep import ops_and_record

    with Store(tmp_path / "ops.db") as store:
        store.start_run("r", "ops (test)")
        ops_and_record(artifacts_dir, "pixel", inv, store, "r", **options)
        rows = store.measurements()
    return rows[rows.metric == OP_MS], rows[rows.metric == OP_ATTRIBUTED].set_index("format")


def test_the_ops_pass_on_a_phone_places_litert_ops_in_modules(tmp_path, monkeypatch, wide_artifacts):
    """The wide model's .tflite on a phone whose benchmark_model prints the op profile of that model (mbench's own
    fixture, in benchmark_model's format, with the tensor names litert-torch gives it)."""
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop ro.product.model", stdout="Pixel 7\n")
    fakes.add("adb", OPS_CALL, stdout=(FIXTURES / "benchmark_model_op_profiling.txt").read_text())
    ops, summary = ops_on_phone(tmp_path, wide_artifacts[0].path.parent.parent, inventory(tmp_path, taskset="f0"))
    assert set(summary.index) == {"tflite", "onnx"}  # the formats an android entry takes
    assert summary.status["tflite"] == "ok" and summary.value["tflite"] == pytest.approx(2.3 / 2.35)
    assert summary.status["onnx"] == "not_run" and "ort_perf_test_binary" in summary.error["onnx"]
    top = ops.iloc[ops.value.argmax()]
    details = json.loads(top.details)
    assert details["module"].split(";")[0] == "wide.conv" and details["op_type"] == "CONV_2D" and top.value == 2.0
    assert (ops.device == "pixel").all() and (ops.provenance == "android").all()
    assert (ops.host == "Pixel 7 (R5CT1234)").all() and (ops.runtime == "benchmark_model").all()
    assert (ops.threads == 4).all() and details["serial"] == "R5CT1234" and details["pass"] == "ops"
    (call,) = [c for c in shell_commands(fakes) if "--enable_op_profiling=true" in c]
    assert call[:3] == ["taskset", "f0", "/data/local/tmp/mbench/benchmark_model"]
    assert "--graph=/data/local/tmp/mbench/ops-model-fp32.tflite" in call and "--num_threads=4" in call
    assert "--num_runs=10" in call and "--warmup_runs=3" in call and "--min_secs=0" in call
    assert ["rm", "-f", "/data/local/tmp/mbench/ops-model-fp32.tflite"] in shell_commands(fakes)


@pytest.mark.parametrize("number", ["01", "04", "07", "08", "10"])
def test_the_ops_pass_replays_real_benchmark_model_op_profiles(number, tmp_path, monkeypatch, wide_artifacts):
    """Real op profiles (models converted from TensorFlow, whose tensor names carry no PyTorch module): every node
    becomes a row with its type and time, none is placed, and the pass says why."""
    from fake_tools import TRANSCRIPTS

    from mbench.devices.parsers.benchmark_model import run_order

    path = TRANSCRIPTS / f"benchmark_model_{number}.txt"
    if not path.is_file():
        pytest.skip(f"recorded transcripts not present at {TRANSCRIPTS} (they live outside the repository)")
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop ro.product.model", stdout="Pixel 7\n")
    fakes.add("adb", OPS_CALL, stdout=path.read_text())
    ops, summary = ops_on_phone(tmp_path, wide_artifacts[0].path.parent.parent, inventory(tmp_path))
    nodes = run_order(path.read_text())
    assert summary.status["tflite"] == "ok" and summary.value["tflite"] == 0.0
    assert "no tensor name carries a PyTorch module" in summary.details["tflite"]
    assert ops.value.sum() == pytest.approx(sum(ms for _, ms, _ in nodes))
    by_type = ops.groupby(ops.details.map(lambda d: json.loads(d)["op_type"])).value.sum()
    assert by_type.idxmax() == max({k for k, _, _ in nodes}, key=lambda k: sum(m for t, m, _ in nodes if t == k))
    assert set(ops.details.map(lambda d: json.loads(d)["module"])) == {""}


def test_an_unreachable_phone_fails_each_artifacts_pass(tmp_path, monkeypatch, wide_artifacts):
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop", stderr="adb: device 'R5CT1234' not found\n", rc=1)
    _, summary = ops_on_phone(tmp_path, wide_artifacts[0].path.parent.parent, inventory(tmp_path))
    assert set(summary.status) == {"failed"} and summary.error.str.contains("not found").all()


def test_the_ops_pass_on_a_phone_reads_onnx_runtimes_profile_from_onnxruntime_perf_test(
    tmp_path, monkeypatch, wide_artifacts
):
    """onnxruntime_perf_test -p writes ONNX Runtime's own trace on the phone and -u the graph it ran; the fake adb
    serves the trace and graph this machine's ONNX Runtime wrote for the same model (the same profiler's format),
    and the rows place the wide convolution first."""
    from mbench.measure.passes import OpsPlan, record
    from mbench.runners.onnxruntime import OnnxRuntimeRunner

    onnx = next(a for a in wide_artifacts if a.format.value == "onnx")
    (tmp_path / "written").mkdir()
    written = record(OnnxRuntimeRunner(), onnx, 1, OpsPlan(warmup_runs=1, runs=10), tmp_path / "written")
    fakes = FakeTools(tmp_path / "fakes", monkeypatch).otherwise_succeed("adb")
    fakes.add("adb", "getprop ro.product.model", stdout="Pixel 7\n")
    fakes.add("adb", "shell ls ", stdout="benchmark_model\nmbench_ort_profile_2026-12-07_10-00-00.json\nother.json\n")
    fakes.add("adb", "pull /data/local/tmp/mbench/mbench_ort_profile_", writes=written.path("ort_profile.json"))
    fakes.add("adb", "pull /data/local/tmp/mbench/optimized.onnx", writes=written.path("optimized.onnx"))
    inv = inventory(tmp_path, ort_perf_test_binary=str(tmp_path / "onnxruntime_perf_test"))
    ops, summary = ops_on_phone(tmp_path, onnx.path.parent.parent, inv, models=["ops-model"])
    assert summary.status["onnx"] == "ok" and summary.value["onnx"] >= 0.95, summary.error["onnx"]
    assert json.loads(summary.details["onnx"])["cpu_share"] is None  # the tool times its runs; CPU time unknown
    onnx_ops = ops[ops.format == "onnx"]
    top = json.loads(onnx_ops.details.iloc[onnx_ops.value.argmax()])
    assert top["module"].split(";")[0] == "wide.conv" and top["op_type"] == "Conv"
    assert (onnx_ops.runtime == "onnxruntime_perf_test").all() and (onnx_ops.provenance == "android").all()
    (call,) = [c for c in shell_commands(fakes) if c[0].endswith("onnxruntime_perf_test")]
    assert call[call.index("-p") + 1] == "/data/local/tmp/mbench/mbench_ort_profile"
    assert call[call.index("-u") + 1] == "/data/local/tmp/mbench/optimized.onnx"
    assert call[-2:] == ["-I", "/data/local/tmp/mbench/ops-model-fp32.onnx"] and call[call.index("-r") + 1] == "10"
