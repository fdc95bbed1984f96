"""`mbench run CONFIG.yaml`: the whole sweep in one command, validated config, resumable."""

import pytest
from click.testing import CliRunner

from mbench.cli import main
from mbench.store import Store
from mbench.sweep import run_sweep
from mbench.sweep.config import OpsSettings, SweepConfigError, load_sweep_config, with_pairs

CONFIG = """models: [test-tiny]
formats: [onnx, tflite]
precisions: [fp32]
devices: [host]
out: art
db: results.db
inventory: devices.yaml
report: reports/index.html
profile: {runs: 5, min_seconds: 0, warmup_seconds: 0, target_ci: 0, threads: 1}
accuracy: null
"""


@pytest.fixture
def config_path(tmp_path):
    (tmp_path / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n")
    path = tmp_path / "sweep.yaml"
    path.write_text(CONFIG)
    return path


def test_run_converts_profiles_and_reports(config_path):
    result = CliRunner().invoke(main, ["run", str(config_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "3 artifacts on 1 device(s)" in result.output
    assert (config_path.parent / "reports" / "index.html").exists()
    with Store(config_path.parent / "results.db") as store:
        rows = store.measurements()
    assert set(rows[rows.metric == "latency_median"].format) == {"pytorch", "onnx", "tflite"}


def test_a_rerun_resumes_instead_of_repeating(config_path):
    config = load_sweep_config(config_path)
    steps = []
    with Store(config.db) as store:
        run_sweep(config, store, steps.append)
        first = len(store.measurements())
        steps.clear()
        run_sweep(config, store, steps.append)
        assert [s.outcome for s in steps] == ["cached"] * 3 + ["resumed"]  # nothing profiled again
        assert steps[-1].done == steps[-1].total
        run_sweep(config, store, steps.append, fresh=True)
        assert len(store.measurements()) > first + 3 * 8


def test_interrupted_profiling_is_redone_and_nothing_finished_is_lost(config_path):
    config = load_sweep_config(config_path)
    with Store(config.db) as store:

        def stop_after_first_profile(step):
            if step.what.startswith("profile"):
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_sweep(config, store, stop_after_first_profile)
        kept = store.measurements()
        assert (kept.metric == "latency_median").sum() == 1
        steps = []
        run_sweep(config, store, steps.append)
        assert sum(s.what.startswith("profile") and s.outcome != "resumed" for s in steps) == 2


def test_config_errors_name_the_line_and_valid_keys(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("models: [test-tiny]\nprofile:\n  runz: 5\n")
    with pytest.raises(SweepConfigError, match=r"bad.yaml:3: unknown key 'profile.runz'; valid keys here: .*runs"):
        load_sweep_config(path)
    path.write_text("models: [test-tiny]\nprecisions: [fp8]\n")
    with pytest.raises(SweepConfigError, match=r"bad.yaml:2: precisions.0: .*'fp32'"):
        load_sweep_config(path)
    path.write_text("models: [test-tiny]\nprofile: {target_ci: 2}\n")  # a fraction: 2 % is 0.02
    with pytest.raises(SweepConfigError, match=r"bad.yaml:2: profile.target_ci: .*less than 1 \(got 2\)"):
        load_sweep_config(path)


def test_pairs_of_a_sweep_are_two_of_its_models_and_part_of_its_work(tmp_path, config_path):
    path = tmp_path / "bad.yaml"
    path.write_text("models: [test-tiny]\npairs: [[test-tiny, hed-vgg]]\n")
    with pytest.raises(
        SweepConfigError, match=r"bad.yaml:2: pairs: .*hed-vgg not among the sweep's models \(test-tiny\)"
    ):
        load_sweep_config(path)
    path.write_text("models: [test-tiny, hed-vgg]\npairs:\n  - [hed-vgg, hed-vgg]\n")
    with pytest.raises(SweepConfigError, match=r"bad.yaml:3: pairs.0: .*two different model names"):
        load_sweep_config(path)
    path.write_text("models: [test-tiny, hed-vgg]\npairs: [[hed-vgg]]\n")
    with pytest.raises(SweepConfigError, match=r"bad.yaml:2: pairs.0"):
        load_sweep_config(path)
    path.write_text("models: [test-tiny, hed-vgg]\npairs: [[test-tiny, hed-vgg]]\n")
    paired = load_sweep_config(path)
    assert paired.pairs == [("test-tiny", "hed-vgg")]
    alone = paired.model_copy(update={"pairs": []})
    assert alone.key() != paired.key() and with_pairs(alone, [("test-tiny", "hed-vgg")]).key() == paired.key()
    config = load_sweep_config(config_path)
    with pytest.raises(SweepConfigError, match=r"--pair: net not among the sweep's models \(test-tiny\)"):
        with_pairs(config, [("test-tiny", "net")])
    result = CliRunner().invoke(main, ["run", str(config_path), "--quiet", "--pair", "test-tiny,net"])
    assert result.exit_code == 4 and "--pair: net not among the sweep's models" in result.output


def test_a_sweep_with_ops_passes_each_artifact_after_its_rounds_and_resumes_the_pass(config_path):
    """`ops:` in the sweep file runs the per-operator pass after each device's timed rounds. A sweep run first
    without it keeps its key: asked again with `ops:`, it adds the passes and profiles nothing again; a third run
    resumes both."""
    from mbench.ops.rows import OP_ATTRIBUTED

    config = load_sweep_config(config_path)
    with_ops = config.model_copy(update={"ops": OpsSettings(runs=2, warmup_runs=0, warmup_seconds=0)})
    assert with_ops.key() == config.key()
    steps = []
    with Store(config.db) as store:
        run_sweep(config, store)
        run_sweep(with_ops, store, steps.append)
        rows = store.measurements()
        assert [s.outcome for s in steps if s.what.startswith("profile")] == ["resumed"]
        passes = rows[rows.metric == OP_ATTRIBUTED]
        assert dict(zip(passes.format, passes.status)) == {"pytorch": "ok", "onnx": "ok", "tflite": "not_run"}
        assert (rows[rows.metric == "op_ms"].run_id == passes.run_id.iloc[0]).all()
        steps.clear()
        run_sweep(with_ops, store, steps.append)
        assert [s.outcome for s in steps if not s.what.startswith("convert")] == ["resumed", "resumed"]
        assert steps[-1].done == steps[-1].total


def test_ops_keys_in_a_sweep_file_are_checked(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("models: [test-tiny]\nops:\n  runz: 5\n")
    with pytest.raises(
        SweepConfigError, match=r"bad.yaml:3: unknown key 'ops.runz'; valid keys here: .*warmup_seconds"
    ):
        load_sweep_config(path)
    path.write_text("models: [test-tiny]\nops: {runs: 0}\n")
    with pytest.raises(SweepConfigError, match=r"bad.yaml:2: ops.runs: .*greater than or equal to 1"):
        load_sweep_config(path)
    path.write_text("models: [test-tiny]\nops: {}\n")
    assert load_sweep_config(path).ops.plan().runs == 10
