"""Models of one's own in a sweep file: a broken one becomes a failure row with the message `mbench convert` gives,
and the sweep goes on with the others, converting, profiling and resuming them as usual."""

import pytest
from click.testing import CliRunner

from mbench.cli import main
from mbench.store import Store
from mbench.sweep import run_sweep
from mbench.sweep.config import SweepConfigError, load_sweep_config

GOOD = "import torch\n\n\ndef build():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())\n"
MISSING = "import torch\nimport no_such_package_xyz\n" + GOOD
RAISES = "import torch\n\n\ndef build():\n    raise RuntimeError('weights file not found')\n"
CONFIG = """models:
  - {model: nets/missing.py:build, input_shape: "1,3,16,16"}
  - {model: nets/raises.py:build, input_shape: "1,3,16,16"}
  - {model: nets/good.py:build, input_shape: ["1,3,16,16"], name: good-net}
formats: [onnx]
devices: [host]
out: art
db: results.db
inventory: devices.yaml
report: null
profile: {runs: 3, min_seconds: 0, warmup_seconds: 0, target_ci: 0, max_seconds: 2, threads: 1, processes: 1}
accuracy: null
"""


@pytest.fixture
def config_path(tmp_path):
    (tmp_path / "nets").mkdir()
    for name, text in (("good", GOOD), ("missing", MISSING), ("raises", RAISES)):
        (tmp_path / "nets" / f"{name}.py").write_text(text)
    (tmp_path / "devices.yaml").write_text("devices:\n  host:\n    kind: local\n")
    (tmp_path / "sweep.yaml").write_text(CONFIG)
    return tmp_path / "sweep.yaml"


def _convert_error(source) -> str:
    """The paragraph `mbench convert` prints for the same model, without its `Error: ` and --verbose hint."""
    result = CliRunner().invoke(
        main,
        [
            "convert",
            "--model",
            f"{source}:build",
            "--input-shape",
            "1,3,16,16",
            "--to",
            "onnx",
            "--out",
            str(source.parent / "x"),
            "--db",
            str(source.parent / "x.db"),
        ],
    )
    assert result.exit_code == 4, result.output
    return result.output.strip().removeprefix("Error: ").removesuffix(" (--verbose shows the full traceback)")


def test_broken_models_are_failure_rows_and_the_good_one_is_converted_and_profiled(config_path):
    result = CliRunner().invoke(main, ["run", str(config_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "2 artifacts on 1 device(s)" in result.output
    with Store(config_path.parent / "results.db") as store:
        rows = store.measurements()
    failed = {r.model: r.error for r in rows[rows.status == "failed"].itertuples()}
    nets = config_path.parent / "nets"
    assert failed == {"missing": _convert_error(nets / "missing.py"), "raises": _convert_error(nets / "raises.py")}
    assert "importing a package failed" in failed["missing"] and "calling the factory build()" in failed["raises"]
    good = rows[(rows.model == "good-net") & (rows.metric == "latency")]
    assert set(good.format) == {"pytorch", "onnx"} and set(good.status) == {"ok"}


def test_a_rerun_keeps_what_was_done_and_records_the_broken_models_again(config_path):
    config = load_sweep_config(config_path)
    steps = []
    with Store(config.db) as store:
        run_sweep(config, store)
        before = store.measurements()
        run_sweep(config, store, steps.append)
        after = store.measurements()
    assert [s.outcome for s in steps] == ["failed", "failed", "cached", "cached", "resumed"]
    assert set(before.id) < set(after.id)  # nothing stored is lost
    latency = [(rows.metric == "latency").sum() for rows in (before, after)]
    assert latency[0] == latency[1] == 2  # nothing measured again
    assert (after.status == "failed").sum() == 4  # each broken model once per run


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("nets/good.py:build", "is a model of your own: give it as a mapping with its input shape"),
        ("{model: nets/good.py:build, input_shape: '1,3,a'}", "expected comma-separated integers"),
        ("{model: nets/good.py, input_shape: '1,3,16,16'}", "expected path/to/file.py:factory"),
    ],
)
def test_a_model_entry_without_what_it_needs_is_refused_with_the_line(config_path, entry, message):
    config_path.write_text(
        CONFIG.replace('  - {model: nets/missing.py:build, input_shape: "1,3,16,16"}', f"  - {entry}")
    )
    with pytest.raises(SweepConfigError, match=message) as error:
        load_sweep_config(config_path)
    assert f"{config_path}:2" in str(error.value)
