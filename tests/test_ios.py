"""The iOS runner: the Mac it needs, and xcodebuild replayed by a fake on PATH (no Mac or iPhone here)."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from fake_tools import FakeTools
from mbench.cli import main
from mbench.devices import ios
from mbench.devices.inventory import load_inventory
from mbench.measure.estimate import LATENCY_ESTIMATOR
from mbench.measure.groups import Grouping
from mbench.measure.timing import RunPlan
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import profile_and_record
from test_device_parsers import transcript

FIXTURES = Path(__file__).parent / "fixtures" / "devices"
UDID = "00008110-000A1B2C3D4E5F60"
PLAN = RunPlan(warmup_runs=1, warmup_seconds=0, runs=5, min_seconds=0, processes=1)  # one round


def inventory_file(tmp_path, mac="local", units="[CPU_ONLY, ALL]"):
    path = tmp_path / "devices.yaml"
    path.write_text(
        f"devices:\n  iphone:\n    kind: ios\n    udid: {UDID}\n    mac: {mac}\n    team_id: AB12CD34EF\n"
        f"    coreml_compute_units: {units}\n    cache_dir: {tmp_path / 'mac-cache'}\n  host:\n    kind: local\n"
    )
    return path


def profile(tmp_path, artifacts_dir, inventory_path, plan=PLAN):
    with Store(tmp_path / f"r{len(list(tmp_path.glob('r*.db')))}.db") as store:
        profile_and_record(artifacts_dir, "iphone", load_inventory(inventory_path), store, plan)
        return store.measurements()


@pytest.fixture
def mac(tmp_path, monkeypatch):
    monkeypatch.setattr(ios, "on_macos", lambda: True)
    fakes = FakeTools(tmp_path / "fakes", monkeypatch)
    fakes.add("xcodebuild", "build-for-testing", stdout="** TEST BUILD SUCCEEDED **\n")
    return fakes


def test_no_mac_gives_one_clear_sentence(tmp_path, tiny_artifacts_dir):
    if ios.on_macos():
        pytest.skip("this machine is a Mac")
    result = CliRunner().invoke(
        main,
        [
            "profile",
            str(tiny_artifacts_dir),
            "--device",
            "iphone",
            "--devices",
            str(inventory_file(tmp_path)),
            "--db",
            str(tmp_path / "r.db"),
        ],
    )
    assert result.exit_code == 4
    message = result.output.strip()
    assert message.startswith("Error: device 'iphone' is an iPhone reached through a Mac") and "not macOS" in message
    assert message.count("\n") == 0


def test_a_mac_missing_from_the_inventory_is_named(tmp_path, tiny_artifacts_dir):
    with pytest.raises(ios.DeviceNotSupported, match="'studio', which is not in the inventory: add the Mac"):
        profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path, mac="studio"))
    with pytest.raises(ios.DeviceNotSupported, match="'host', which is of kind 'local'"):
        profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path, mac="host"))


def test_harness_lines_become_rows_per_compute_unit(mac, tmp_path, tiny_artifacts_dir):
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_harness.txt").read_text())
    rows = profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path))
    assert set(rows.format) == {"coreml"} and set(rows.device) == {"iphone/CPU_ONLY", "iphone/ALL"}
    cpu = rows[rows.device == "iphone/CPU_ONLY"].set_index("metric")
    assert cpu.value["latency_median"] == 1.5 and cpu.value["load_time"] == 41.5 and cpu.value["latency_count"] == 5
    assert cpu.value["memory_footprint"] == 52428800 and cpu.value["first_inference"] == 3.25
    assert (rows.provenance == "ios").all() and (rows.host == f"iPhone15,2 ({UDID})").all()
    assert '"compute_units": "CPU_ONLY"' in cpu.details.iloc[0]
    assert "threads_not_applied" not in cpu.details.iloc[0]  # nobody asked for threads, so none were refused


def test_threads_asked_of_core_ml_are_said_to_be_not_applied(mac, tmp_path, tiny_artifacts_dir):
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_harness.txt").read_text())
    with Store(tmp_path / "r.db") as store:
        profile_and_record(
            tiny_artifacts_dir, "iphone", load_inventory(inventory_file(tmp_path)), store, PLAN, threads=2
        )
        rows = store.measurements()
    assert '"threads_not_applied": "2 requested' in rows.details.iloc[0]


def test_the_xcodebuild_command_lines_and_the_staged_model(mac, tmp_path, tiny_artifacts_dir):
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_harness.txt").read_text())
    profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path))
    build, test = mac.calls("xcodebuild")
    assert (
        build[:6] == ["build-for-testing", "-scheme", "MBenchHarness", "-destination", f"id={UDID}", "-derivedDataPath"]
        and "DEVELOPMENT_TEAM=AB12CD34EF" in build
    )
    assert test[:5] == ["test-without-building", "-scheme", "MBenchHarness", "-destination", f"id={UDID}"]
    workdir = Path(mac.cwds("xcodebuild")[1])
    assert workdir.parent == tmp_path / "mac-cache" / "ios"
    assert (workdir / "Package.swift").is_file() and (workdir / ios.MODEL_IN_HARNESS / "Manifest.json").is_file()


def test_settings_reach_the_harness_through_test_runner_variables(tmp_path):
    device = load_inventory(inventory_file(tmp_path)).get("iphone")
    argv = ios.test_argv(device, PLAN)
    assert argv[:4] == [
        "env",
        "TEST_RUNNER_MBENCH_RUNS=5",
        "TEST_RUNNER_MBENCH_WARMUP_RUNS=1",
        "TEST_RUNNER_MBENCH_COMPUTE_UNITS=CPU_ONLY,ALL",
    ]


def test_xctest_measured_lines_are_the_fallback(mac, tmp_path, tiny_artifacts_dir):
    mac.add("xcodebuild", "test-without-building", stdout=transcript("xcodebuild_01.txt"))
    rows = profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path, units="[ALL]"))
    median = rows[rows.metric == "latency_median"]
    assert list(median.device) == ["iphone"] and median.value.iloc[0] == pytest.approx(
        315.7965
    )  # (315.057 + 316.536) / 2


def test_xctest_clock_metric_lines_of_the_fixture(mac, tmp_path, tiny_artifacts_dir):
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_measured.txt").read_text())
    rows = profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path, units="[ALL]")).set_index("metric")
    assert rows.value["latency_median"] == 2.0 and rows.value["latency_min"] == 1.5 and rows.value["latency_count"] == 5


def test_a_failing_xcodebuild_is_a_row_with_its_message(mac, tmp_path, tiny_artifacts_dir):
    mac.rules.clear()
    mac.add(
        "xcodebuild",
        "build-for-testing",
        rc=70,
        stderr="xcodebuild: error: Unable to find a destination matching the provided destination specifier:\n"
        "\t\t{ id:00008110-000A1B2C3D4E5F60 }\n",
    )
    rows = profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path))
    assert list(rows.status) == ["failed"] and "Unable to find a destination" in rows.error.iloc[0]


def test_rounds_build_once_and_invoke_the_harness_once_per_round(mac, tmp_path, tiny_artifacts_dir, monkeypatch):
    """Three rounds: one build, three test-without-building invocations asking for a third of the runs each; each
    compute unit's rows keep the timed samples of all three."""
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_harness.txt").read_text())
    asked, test_argv = [], ios.test_argv
    monkeypatch.setattr(ios, "test_argv", lambda device, plan: asked.append(plan.runs) or test_argv(device, plan))
    rows = profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path), replace(PLAN, processes=3))
    calls = mac.calls("xcodebuild")
    assert [c[0] for c in calls] == ["build-for-testing"] + ["test-without-building"] * 3
    assert len(set(mac.cwds("xcodebuild"))) == 1  # every invocation in the one built harness
    assert asked == [2, 2, 2]  # TEST_RUNNER_MBENCH_RUNS: a third of 5, rounded up
    cpu = rows[rows.device == "iphone/CPU_ONLY"].set_index("metric")
    assert cpu.value["latency_count"] == 15 and cpu.value["latency_median"] == 1.5  # 3 x the fixture's 5 samples
    details = json.loads(cpu.details.iloc[0])
    assert details["invocations"] == 3 and details["rounds"] == 3 and "combined" in details
    assert details["estimator"] == LATENCY_ESTIMATOR and cpu.value["latency"] <= cpu.value["latency_median"]
    with Store(tmp_path / "r0.db") as store:
        stored = [s for s in store.samples() if s.device == "iphone/CPU_ONLY"]
    assert [list(s.rounds) for s in stored] == [[0] * 5 + [1] * 5 + [2] * 5]  # each sample keeps its round


def test_a_harness_run_that_fails_in_a_later_round_keeps_the_first(mac, tmp_path, tiny_artifacts_dir):
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_harness.txt").read_text(), times=1)
    mac.add("xcodebuild", "test-without-building", rc=65, stderr="Testing failed: device locked\n")
    rows = profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path), replace(PLAN, processes=3))
    assert [c[0] for c in mac.calls("xcodebuild")].count("test-without-building") == 2  # no third after it failed
    cpu = rows[rows.device == "iphone/CPU_ONLY"].set_index("metric")
    assert set(cpu.status) == {"ok"} and cpu.value["latency_count"] == 5
    assert "device locked" in json.loads(cpu.details.iloc[0])["failed_invocation"]


def test_a_unit_missing_from_one_round_keeps_the_rounds_of_its_other_samples(mac, tmp_path, tiny_artifacts_dir):
    full = (FIXTURES / "xcodebuild_harness.txt").read_text()
    only_all = "".join(line for line in full.splitlines(keepends=True) if '"compute_units":"CPU_ONLY"' not in line)
    mac.add("xcodebuild", "test-without-building", stdout=full, times=1)
    mac.add("xcodebuild", "test-without-building", stdout=only_all, times=2)
    mac.add("xcodebuild", "test-without-building", stdout=full)
    profile(tmp_path, tiny_artifacts_dir, inventory_file(tmp_path), replace(PLAN, processes=3))
    with Store(tmp_path / "r0.db") as store:
        rounds = {s.device: list(s.rounds) for s in store.samples()}
    assert rounds["iphone/CPU_ONLY"] == [0] * 5 + [2] * 5 and rounds["iphone/ALL"] == [0] * 5 + [1] * 5 + [2] * 5


def test_models_compared_share_rounds_and_the_others_follow_group_after_group(mac, tmp_path, as_models):
    """Models a, b and c, with a and c paired: a and c are tested in rounds 0-2 together, b in rounds 3-5 of its
    own after them (its samples never pair with theirs), as on the host; the rows name their group and the progress
    hears of each group as it starts, counting a row set per compute unit."""
    mac.add("xcodebuild", "test-without-building", stdout=(FIXTURES / "xcodebuild_harness.txt").read_text())
    folder = as_models(["a", "b", "c"], [Format.COREML])
    starts = []
    with Store(tmp_path / "g.db") as store:
        profile_and_record(
            folder,
            "iphone",
            load_inventory(inventory_file(tmp_path, units="[ALL]")),
            store,
            replace(PLAN, processes=3),
            grouping=Grouping((("a", "c"),), starts.append),
        )
        rows, samples = store.measurements(), store.samples()
    assert [(s.index, s.count, s.name, len(s.artifacts), s.total) for s in starts] == [
        (1, 2, "a+c", 2, 3),
        (2, 2, "b", 1, 3),
    ]
    assert [c[0] for c in mac.calls("xcodebuild")] == ["build-for-testing"] * 3 + ["test-without-building"] * 9
    rounds = {s.model: sorted(set(s.rounds)) for s in samples}
    assert rounds == {"a": [0, 1, 2], "b": [3, 4, 5], "c": [0, 1, 2]}
    latency = rows[rows.metric == "latency"].set_index("model")
    groups = {model: json.loads(details)["group"] for model, details in latency.details.items()}
    assert groups == {"a": "a+c", "b": "b", "c": "a+c"} and set(latency.status) == {"ok"}
