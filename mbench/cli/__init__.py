"""The mbench command line: thin click commands over the library (mbench.sweep, mbench.report).

Each command lives in its own module and is added to the group here; the library is imported inside the
commands, so `mbench --help` stays fast.
"""

from __future__ import annotations

import traceback

import click

from mbench.cli._options import VERBOSE
from mbench.errors import EXIT_CODES_HELP, ExitCode, MBenchError


class Failed(click.ClickException):
    """An error of the library or a tool, shown as one 'Error:' paragraph; it exits with ``ExitCode.ERROR``."""

    exit_code = ExitCode.ERROR


class Commands(click.Group):
    """The command group: every failure that is not a usage error or a verdict exits with ``ExitCode.ERROR``."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except (MBenchError, FileNotFoundError) as error:
            raise Failed(_paragraph(error, ctx.meta.get(VERBOSE))) from None
        except Exception as error:  # noqa: BLE001  (unexpected: the traceback is shown, the code is still 4)
            traceback.print_exc()
            raise Failed(f"{type(error).__name__}: {error}") from None


def _paragraph(error: Exception, verbose: bool | None) -> str:
    """The error's message; with ``--verbose`` its cause's traceback first, and where the command offers
    ``--verbose`` and it was not given, a last word saying so."""
    if error.__cause__ is None:
        return str(error)
    if verbose:
        traceback.print_exception(error.__cause__)
        return str(error)
    return str(error) + (" (--verbose shows the full traceback)" if verbose is False else "")


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="mbench")
def main():
    """Convert PyTorch models to ONNX, Core ML and TFLite (and ExecuTorch), profile them, and report size, latency
    and parity.

    Example: mbench convert hed-vgg hed-mobilenetv2 --to onnx,coreml,tflite,executorch --out artifacts/
    """


def _add_commands() -> None:
    from mbench.cli import compare, convert, coverage, data, devices, evaluate, models, ops, profile, report, run, train

    for module in (models, convert, profile, ops, evaluate, run, coverage, report, compare, devices, data, train):
        main.add_command(module.command)


_add_commands()
