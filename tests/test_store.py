import sqlite3

from mbench.results import Context, Measurement, new_run_id
from mbench.spec import Status
from mbench.results import SampleSet
from mbench.store import Store


def test_rows_and_samples_round_trip(tmp_path):
    db = tmp_path / "m.db"
    run = new_run_id()
    rows = [
        Measurement("m", "onnx", "fp32", "host", "latency_median", 1.5, "ms",
                    context=Context(runtime="onnxruntime", runtime_version="1.32.0", threads=2, runs=50)),
        Measurement("m", "coreml", "fp32", "host", "latency", None, "", Status.NOT_RUN, "needs macOS"),
    ]
    with Store(db) as store:
        store.start_run(run, "mbench profile")
        assert store.append(run, rows, [SampleSet("m", "onnx", "fp32", "host", "abc", (1.0, 1.5, 2.0))]) == 2
    with Store(db) as store:  # reopened: the data is on disk
        frame = store.measurements()
        assert list(frame.metric) == ["latency_median", "latency"]
        assert frame.iloc[0].threads == 2 and frame.iloc[0].runtime == "onnxruntime"
        assert frame.iloc[1].status == "not_run" and frame.iloc[1].error == "needs macOS"
        assert frame.iloc[1].value != frame.iloc[1].value  # NULL in SQLite, NaN in pandas: never a made-up number
        assert store.samples()[0].values_ms == (1.0, 1.5, 2.0)
        assert list(store.runs().command) == ["mbench profile"]
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "measurements", "samples"} <= tables
