"""The ops pass from the command line and in the report: `mbench ops`, `mbench profile --ops`, `mbench compare`'s
modules, the report's "Where the time goes" (tests/ops_model.py, converted and profiled once: conftest.py)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from ops_model import RUNTIMES

from mbench.cli import main
from mbench.devices.local import placement
from mbench.ops.rows import OP_ATTRIBUTED, OP_MS
from mbench.results import details_of
from mbench.store import Store


def test_mbench_ops_prints_each_artifacts_heaviest_modules(ops_db):
    result = CliRunner().invoke(main, ["ops", "--db", str(ops_db), "--top", "2", "--depth", "1"])
    assert result.exit_code == 0, result.output
    for fmt, runtime in RUNTIMES.items():
        header = next(line for line in result.output.splitlines() if line.startswith(f"ops-model {fmt} fp32"))
        assert f"({runtime})" in header and "of operator time placed" in header
    assert result.output.count("wide\n") == 3


def test_mbench_ops_with_a_model_lines_its_runtimes_up(ops_db):
    result = CliRunner().invoke(main, ["ops", "ops-model", "--db", str(ops_db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "onnx fp32 (onnxruntime)" in lines[1] and "executorch fp32 (executorch)" in lines[1]
    assert lines[3].startswith("wide.conv")


def test_mbench_ops_names_what_the_store_lacks(ops_db, tmp_path):
    missing = CliRunner().invoke(main, ["ops", "hed-vgg", "--db", str(ops_db)])
    assert (
        missing.exit_code == 4 and "no ops pass of model 'hed-vgg'" in missing.output and "ops-model" in missing.output
    )
    Store(tmp_path / "empty.db").close()
    empty = CliRunner().invoke(main, ["ops", "--db", str(tmp_path / "empty.db")])
    assert empty.exit_code == 4 and "mbench profile ARTIFACTS --ops" in empty.output
    absent = CliRunner().invoke(main, ["ops", "--db", str(tmp_path / "absent.db")])
    assert absent.exit_code == 4 and "no results database here" in absent.output


@pytest.fixture(scope="module")
def profiled_twice(wide_artifacts, tmp_path_factory):
    """`mbench profile --ops` run twice over the tiny model's artifacts into one store: (its path, both outputs)."""
    folder, tmp = wide_artifacts[0].path.parent.parent, tmp_path_factory.mktemp("profile-ops")
    inventory = tmp / "devices.yaml"
    inventory.write_text("devices:\n  host:\n    kind: local\n    threads: 1\n")
    db, outputs = tmp / "results.db", []
    for _ in range(2):
        result = CliRunner().invoke(
            main,
            [
                "profile",
                str(folder),
                "--devices",
                str(inventory),
                "--runs",
                "3",
                "--min-seconds",
                "0",
                "--max-seconds",
                "0",
                "--warmup-seconds",
                "0",
                "--processes",
                "1",
                "--ops",
                "--ops-runs",
                "4",
                "--ops-warmup-seconds",
                "0",
                "--db",
                str(db),
            ],
        )
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return db, outputs


def test_profile_with_ops_stores_the_pass_after_the_timed_rows(profiled_twice):
    db, outputs = profiled_twice
    assert "ops ok      ops-model        onnx" in outputs[0] and "ops not_run ops-model        coreml" in outputs[0]
    with Store(db) as store:
        rows = store.measurements()
    first = rows[rows.run_id == rows.run_id.iloc[0]]
    ops_ids = first[first.metric.isin([OP_MS, OP_ATTRIBUTED])].id
    assert ops_ids.min() > first[first.metric == "latency"].id.max()


def test_the_hosts_pass_runs_in_an_agent_pinned_like_the_timed_rounds(profiled_twice):
    """The pass's runs are made in a fresh agent on the CPUs the timed agents get (devices/local.placement), not
    in mbench's own process, which may use every CPU."""
    db, _ = profiled_twice
    with Store(db) as store:
        rows = store.measurements()
    passes = rows[(rows.metric == OP_ATTRIBUTED) & (rows.status == "ok")]
    assert set(passes.format) == {"onnx", "executorch", "pytorch"}
    assert {tuple(details_of(d)["cpus"]) for d in passes.details} == {tuple(placement(1))}
    assert set(passes.runs) == {4} and {len(details_of(d)["runs_ms"]) for d in passes.details} == {4}  # --ops-runs
    assert len(placement(1)) == 1 < len(os.sched_getaffinity(0))


def test_compare_names_the_modules_whose_time_changed_most(profiled_twice):
    db, _ = profiled_twice
    result = CliRunner().invoke(main, ["compare", "--db", str(db)])
    assert result.exit_code in (0, 1, 3), result.output
    lines = result.output.splitlines()
    start = lines.index("modules whose time changed most (ops passes of both runs, ms per inference):")
    changed = lines[start + 1 : start + 4]
    assert [line.split(":")[0].strip() for line in changed] == [
        "ops-model executorch fp32 host",
        "ops-model onnx fp32 host",
        "ops-model pytorch fp32 host",
    ]
    assert all(" -> " in line for line in changed)


def test_compare_names_the_modules_whose_estimated_share_changed_most(profiled_twice, wide_artifacts, tmp_path):
    """Core ML's passes in both runs (estimated shares, set by the test: no Mac here) are compared as shares, apart
    from the times."""
    import shutil

    from ops_model import estimated_rows

    db = tmp_path / "results.db"
    shutil.copy(profiled_twice[0], db)
    coreml = next(a for a in wide_artifacts if a.format.value == "coreml")
    with Store(db) as store:
        first, second = store.runs().run_id
        store.append(first, estimated_rows(coreml, wide=0.75))
        store.append(second, estimated_rows(coreml, wide=0.6))
    result = CliRunner().invoke(main, ["compare", first, second, "--db", str(db)])
    assert result.exit_code in (0, 1, 3), result.output
    lines = result.output.splitlines()
    start = lines.index("modules whose estimated share changed most (Core ML's compute plans of both runs):")
    changed = lines[start + 1]
    assert changed.startswith("  ops-model coreml fp32 host: ")
    assert "wide.conv 75.0% -> 60.0% (-20%)" in changed and "stem.conv 20.0% -> 35.0% (+75%)" in changed
    assert lines.index("modules whose time changed most (ops passes of both runs, ms per inference):") < start


def test_the_report_says_where_the_time_goes(ops_db):
    from mbench.report.ops import ops_sections

    with Store(ops_db) as store:
        (section,) = ops_sections(store.measurements())
    assert section.title == "Where the time goes: ops-model"
    assert section.table.columns[0] == "module" and section.table.rows[0][0].text == "wide.conv"
    assert len(section.table.columns) == 4
