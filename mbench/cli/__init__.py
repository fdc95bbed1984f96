"""The mbench command line: thin click commands over the library (mbench.sweep, mbench.report).

Each command lives in its own module and is added to the group here; the library is imported inside the
commands, so `mbench --help` stays fast.
"""
from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mbench")
def main():
    """Convert PyTorch models to ONNX, Core ML and TFLite (and ExecuTorch), profile them, and report size, latency
    and parity.

    Example: mbench convert hed-vgg hed-mobilenetv2 --to onnx,coreml,tflite,executorch --out artifacts/
    """


def _add_commands() -> None:
    from mbench.cli import compare, convert, coverage, data, devices, evaluate, models, profile, report, run, train

    for module in (models, convert, profile, evaluate, run, coverage, report, compare, devices, data, train):
        main.add_command(module.command)


_add_commands()
