import sqlite3

from mbench.results import Context, Measurement, new_run_id
from mbench.spec import Status
from mbench.results import SampleSet
from mbench.store import Store


def test_rows_and_samples_round_trip(tmp_path):
    db = tmp_path / "m.db"
    run = new_run_id()
    rows = [
        Measurement(
            "m",
            "onnx",
            "fp32",
            "host",
            "latency_median",
            1.5,
            "ms",
            context=Context(runtime="onnxruntime", runtime_version="1.32.0", threads=2, runs=50),
        ),
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


def test_per_run_extras_round_trip_and_an_older_database_still_loads(tmp_path):
    db = tmp_path / "old.db"
    old = sqlite3.connect(db)  # the samples table as it was before rounds: no per_run_zlib column
    old.executescript("""CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, command TEXT NOT NULL,
        mbench_version TEXT NOT NULL, git_sha TEXT NOT NULL);
        CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, model TEXT NOT NULL,
        format TEXT NOT NULL, precision TEXT NOT NULL, device TEXT NOT NULL, artifact_sha256 TEXT NOT NULL,
        unit TEXT NOT NULL, count INTEGER NOT NULL, values_zlib BLOB NOT NULL);""")
    import json
    import zlib

    old.execute(
        "INSERT INTO samples VALUES (NULL, 'A', 'm', 'onnx', 'fp32', 'host', 'sha', 'ms', 2, ?)",
        (zlib.compress(json.dumps([1.0, 2.0]).encode()),),
    )
    old.commit()
    old.close()
    with Store(db) as store:
        store.start_run("B", "profile")
        store.append(
            "B",
            [],
            [
                SampleSet(
                    "m",
                    "onnx",
                    "fp32",
                    "host",
                    "sha",
                    (3.0, 4.0),
                    rounds=(0, 1),
                    positions=(1, 0),
                    timestamps=(10.0, 11.0),
                    cpu_ms=(3.0, 1.0),
                    wait_ms=(0.0, 2.0),
                    marked=(False, True),
                )
            ],
        )
        before, after = store.samples()
    assert before.values_ms == (1.0, 2.0) and before.rounds == () and before.marked == ()
    assert after.rounds == (0, 1) and after.positions == (1, 0) and after.marked == (False, True)
    assert after.cpu_ms == (3.0, 1.0) and after.run_id == "B"
