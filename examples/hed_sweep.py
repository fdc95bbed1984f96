"""The whole pipeline from Python, without the CLI: convert both HED models, profile on the host, write the report.

python examples/hed_sweep.py  # writes artifacts/, mbench.db and reports/index.html
"""

from pathlib import Path

from mbench import models
from mbench.devices.inventory import load_inventory
from mbench.measure.timing import RunPlan
from mbench.report.build import render_report
from mbench.spec import Format
from mbench.store import Store
from mbench.sweep import convert_and_record, profile_and_record


def main() -> None:
    specs = [models.get("hed-vgg"), models.get("hed-mobilenetv2")]
    with Store("mbench.db") as store:
        convert_and_record(specs, [Format.ONNX, Format.COREML, Format.TFLITE], Path("artifacts"), store)
        profile_and_record(Path("artifacts"), "host", load_inventory("devices.yaml"), store, RunPlan())
        print("report:", render_report(store, Path("reports/index.html")))


if __name__ == "__main__":
    main()
