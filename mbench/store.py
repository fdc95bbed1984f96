"""The results database: SQLite, one tidy long table of measurements plus the raw latency samples."""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Iterable

from mbench import __version__
from mbench.results import Measurement, SampleSet, details_of, git_sha

if TYPE_CHECKING:
    import pandas as pd

KEY = ("model", "format", "precision", "device")  # what a row is about, as stored (see results.RowKey)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, command TEXT NOT NULL,
    mbench_version TEXT NOT NULL, git_sha TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(run_id), recorded_at TEXT NOT NULL,
    model TEXT NOT NULL, format TEXT NOT NULL, precision TEXT NOT NULL, device TEXT NOT NULL,
    metric TEXT NOT NULL, value REAL, unit TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL,
    runtime TEXT NOT NULL, runtime_version TEXT NOT NULL, converter TEXT NOT NULL, converter_versions TEXT NOT NULL,
    threads INTEGER, warmup_runs INTEGER, runs INTEGER, host TEXT NOT NULL, provenance TEXT NOT NULL,
    details TEXT NOT NULL, mbench_version TEXT NOT NULL, git_sha TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS measurements_key ON measurements (model, format, precision, device, metric);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(run_id),
    model TEXT NOT NULL, format TEXT NOT NULL, precision TEXT NOT NULL, device TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL, unit TEXT NOT NULL, count INTEGER NOT NULL, values_zlib BLOB NOT NULL
);
"""
# Added with interleaved rounds: per-run round, position, timestamp, CPU time, wait, mark (JSON, zlib); NULL in
# rows stored before, which still load.
PER_RUN_COLUMN = "ALTER TABLE samples ADD COLUMN per_run_zlib BLOB"
SAMPLE_COLUMNS = "run_id, model, format, precision, device, artifact_sha256, unit, count, values_zlib, per_run_zlib"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.executescript(SCHEMA)
        if "per_run_zlib" not in {row[1] for row in self._db.execute("PRAGMA table_info(samples)")}:
            with self._db:
                self._db.execute(PER_RUN_COLUMN)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start_run(self, run_id: str, command: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?)", (run_id, _now(), command, __version__, git_sha())
            )

    def append(self, run_id: str, rows: Iterable[Measurement], samples: Iterable[SampleSet] = ()) -> int:
        """Add rows (and raw samples) in one transaction; returns the number of rows written."""
        now, version, sha = _now(), __version__, git_sha()
        records = [_row_tuple(run_id, now, r, version, sha) for r in rows]
        with self._db:
            self._db.executemany(f"INSERT INTO measurements VALUES (NULL{', ?' * 24})", records)
            self._db.executemany(
                f"INSERT INTO samples ({SAMPLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'ms', ?, ?, ?)",
                [
                    (
                        run_id,
                        s.model,
                        s.format,
                        s.precision,
                        s.device,
                        s.artifact_sha256,
                        len(s.values_ms),
                        _packed(list(s.values_ms)),
                        _packed(s.per_run()) if s.per_run() else None,
                    )
                    for s in samples
                ],
            )
        return len(records)

    def profiled(
        self, command_tag: str, metrics: tuple[str, ...] = ("latency_median", "latency")
    ) -> set[tuple[str, str]]:
        """(artifact sha256, device) pairs whose profiling (or other work storing ``metrics``) finished, with a
        number or a reason, in runs whose command carries ``command_tag``: the work a resumed sweep does not repeat."""
        marks = ", ".join("?" * len(metrics))
        cursor = self._db.execute(
            "SELECT DISTINCT m.artifact_sha256, m.device FROM measurements m JOIN runs r USING (run_id) "
            f"WHERE instr(r.command, ?) > 0 AND m.metric IN ({marks})",
            (command_tag, *metrics),
        )
        return set(cursor)

    def measurements(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM measurements ORDER BY id", self._db)

    def runs(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM runs ORDER BY started_at", self._db)

    def samples(self, run_id: str | None = None) -> list[SampleSet]:
        """Every stored sample set, or one run's."""
        where, args = ("WHERE run_id = ? ", (run_id,)) if run_id else ("", ())
        cursor = self._db.execute(
            "SELECT model, format, precision, device, artifact_sha256, values_zlib, run_id, "
            f"per_run_zlib FROM samples {where}ORDER BY id",
            args,
        )
        return [_sample_set(*row) for row in cursor]


def _sample_set(
    model: str,
    fmt: str,
    precision: str,
    device: str,
    sha256: str,
    values_zlib: bytes,
    run_id: str,
    per_run_zlib: bytes | None,
) -> SampleSet:
    """A stored sample set from its row; the per-run extras (SampleSet.PER_RUN) are those that were recorded."""
    per_run: dict[str, Any] = {
        name: tuple(values) for name, values in (_unpacked(per_run_zlib) if per_run_zlib else {}).items()
    }
    return SampleSet(model, fmt, precision, device, sha256, tuple(_unpacked(values_zlib)), run_id, **per_run)


def _packed(value) -> bytes:
    return zlib.compress(json.dumps(value).encode())


def _unpacked(blob: bytes):
    return json.loads(zlib.decompress(blob))


def _row_tuple(run_id: str, now: str, row: Measurement, version: str, sha: str) -> tuple:
    c = row.context
    return (
        run_id,
        now,
        row.model,
        row.format,
        row.precision,
        row.device,
        row.metric,
        row.value,
        row.unit,
        row.status.value,
        row.error,
        row.artifact_sha256,
        c.runtime,
        c.runtime_version,
        c.converter,
        c.converter_versions,
        c.threads,
        c.warmup_runs,
        c.runs,
        c.host,
        c.provenance,
        c.details,
        version,
        sha,
    )


def latest_rows(
    frame: pd.DataFrame, by: tuple[str, ...] = KEY + ("metric",), metrics: tuple[str, ...] | list[str] | None = None
) -> pd.DataFrame:
    """The newest stored row (highest id) for each combination of the ``by`` columns, of ``metrics`` when given."""
    if metrics is not None:
        frame = frame[frame["metric"].isin(metrics)]
    return frame.sort_values("id").drop_duplicates(list(by), keep="last")


def model_hash_of(details: str) -> str:
    """The source model's structure+weights hash recorded in a row's details ("" in rows from before it was)."""
    return details_of(details).get("model_hash", "")


def newest_model_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per model name, only the rows of its newest source model (the hash of its newest hashed row), so rows of two
    different models that shared a name are never paired; rows that record no hash are kept. Also returns what was
    left out: model, hash kept, older hashes, rows left out."""
    import pandas as pd

    hashes = frame["details"].map(model_hash_of) if len(frame) else pd.Series([], dtype=str)
    hashed = frame.assign(model_hash=hashes)[hashes != ""].sort_values("id")
    newest = hashed.groupby("model")["model_hash"].last()
    dropped = (hashes != "") & (hashes != frame["model"].map(newest).fillna(""))
    left_out = pd.DataFrame(
        [
            {
                "model": model,
                "hash kept": newest[model][:12],
                "older hashes": ", ".join(sorted({h[:12] for h in group})),
                "rows left out": len(group),
            }
            for model, group in hashes[dropped].groupby(frame["model"][dropped])
        ],
        columns=["model", "hash kept", "older hashes", "rows left out"],
    )
    return frame[~dropped], left_out
