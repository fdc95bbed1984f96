"""`mbench run` does the whole job: it scores every artifact that runs here, on named data or on the model's own
generated task data, resumably, and the sweep's report has the Accuracy section."""

from click.testing import CliRunner

from mbench.cli import main
from mbench.store import Store
from mbench.sweep import run_sweep
from mbench.sweep.config import load_sweep_config

CONFIG = """models: [test-tiny, conv-standard3x3-3to4]
formats: [onnx, coreml]
devices: [host]
out: art
db: results.db
inventory: devices.yaml
report: reports/index.html
profile: {runs: 3, min_seconds: 0, warmup_seconds: 0, target_ci: 0, threads: 1}
accuracy: {docs_n: 10, docs_seed: 1}
"""


def _config(tmp_path):
    (tmp_path / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n")
    path = tmp_path / "sweep.yaml"
    path.write_text(CONFIG)
    return path


def test_run_scores_on_generated_task_data_and_reports_accuracy(tmp_path):
    result = CliRunner().invoke(main, ["run", str(_config(tmp_path)), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "docs-n10-seed1" / "test" / "corners.json").is_file()
    with Store(tmp_path / "results.db") as store:
        rows = store.measurements()
    ods = rows[rows.metric == "ods_f"].set_index("format")
    assert set(ods.index) == {"pytorch", "onnx", "coreml"} and set(ods.model) == {"test-tiny"}
    assert ods.loc["onnx", "status"] == "ok" and 0 <= ods.loc["onnx", "value"] <= 1
    assert ods.loc["coreml", "status"] == "not_run"  # no Core ML off macOS, and never a number
    assert "Accuracy" in (tmp_path / "reports" / "index.html").read_text()


def test_a_rerun_does_not_score_again_and_a_model_without_data_says_so(tmp_path):
    config = load_sweep_config(_config(tmp_path))
    with Store(config.db) as store:
        run_sweep(config, store)
        scored = (store.measurements().metric == "ods_f").sum()
        steps = []
        run_sweep(config, store, steps.append)
        assert (store.measurements().metric == "ods_f").sum() == scored
    evaluated = {s.what: s.outcome for s in steps if s.what.startswith("evaluate")}
    assert evaluated["evaluate test-tiny onnx fp32"] == "resumed"
    skipped = [w for w, o in evaluated.items() if o == "skipped"]
    assert skipped == ["evaluate conv-standard3x3-3to4: no docs data (name accuracy.data in the sweep file)"]
    assert steps[-1].done == steps[-1].total
