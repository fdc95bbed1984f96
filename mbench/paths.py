"""Where mbench reads and writes by default, relative to the working directory; every command and the sweep
configuration take these from here."""

from __future__ import annotations

from pathlib import Path

INVENTORY = Path("devices.yaml")  # the device inventory
ARTIFACTS = Path("artifacts")  # converted models and their manifests
DATABASE = Path("mbench.db")  # the SQLite results store
REPORT = Path("reports/index.html")  # `mbench report`'s page
