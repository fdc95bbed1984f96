"""Option parsers and decorators shared by the commands."""

from __future__ import annotations

import dataclasses
import enum
import functools
from pathlib import Path

from mbench import paths

import click


def parse_csv(kind: type[enum.Enum], leave_out: tuple = ()):
    """A comma-separated option parsed once, into members of ``kind`` (an Enum of str values)."""

    def parse(ctx, param, text):
        choices = [member.value for member in kind if member not in leave_out]
        values = [v.strip() for v in (text or "").split(",") if v.strip()]
        bad = [v for v in values if v not in choices]
        if bad:
            raise click.BadParameter(f"{', '.join(bad)} not among {', '.join(choices)}")
        return [kind(v) for v in values]

    return parse


def parse_fraction(below: float | None = None):
    """'5%' or '0.05' -> 0.05; negative, or not below ``below`` where given, is refused with what would do."""

    def parse(ctx, param, text: str) -> float:
        text = str(text).strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise click.BadParameter(f"{text!r}: expected a percentage such as 5% or a fraction such as 0.05") from None
        if value < 0:
            raise click.BadParameter(f"{text!r}: cannot be negative")
        if below is not None and value >= below:
            raise click.BadParameter(
                f"{text!r} is {value:.0%}: a fraction below {below:g} is expected "
                f"(did you mean {value:g}%, i.e. {value / 100:g}?)"
            )
        return value

    return parse


def format_list():
    """Every format a model converts to: all but the PyTorch reference, which is always written."""
    from mbench.spec import Format

    return parse_csv(Format, leave_out=(Format.PYTORCH,))


def precision_list():
    from mbench.spec import Precision

    return parse_csv(Precision)


def parse_input_shapes(ctx, param, texts):
    """Repeated (or ``;``-joined) ``SHAPE[:DTYPE[:LIMIT]]`` -> the model's InputSpecs (mbench.models.inputs)."""
    if not texts:
        return None
    from mbench.models.inputs import parse_inputs
    from mbench.models.sources import ModelSourceError

    try:
        return parse_inputs(texts)
    except ModelSourceError as error:
        raise click.BadParameter(str(error)) from None


VERBOSE = "mbench.verbose"  # in the click context's meta (shared by every nested context): --verbose was given


def verbose_option(command):
    """``--verbose``: an error's full traceback before its paragraph (mbench.cli.Commands)."""

    def remember(ctx, param, value):
        ctx.meta[VERBOSE] = value

    return click.option(
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=remember,
        is_eager=True,
        help="On an error, show its full traceback too.",
    )(command)


def pair_of(text: str, param_hint: str | None = None) -> tuple[str, str]:
    """'A,B' -> (A, B): two different model names."""
    names = [n.strip() for n in text.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise click.BadParameter(
            f"{text!r}: expected two different model names separated by a comma, e.g. resnet50,xception",
            param_hint=param_hint,
        )
    return names[0], names[1]


def parse_pair(ctx, param, values) -> list[tuple[str, str]]:
    """Repeated 'A,B' options -> [(A, B), ...]."""
    return [pair_of(text) for text in values]


def pair_option(help: str):
    """`--pair A,B` (repeatable) as ``pairs``: a list of model-name pairs; each command says what it does with them."""
    return click.option("--pair", "pairs", multiple=True, callback=parse_pair, metavar="A,B", help=help)


def db_option(command):
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=paths.DATABASE,
        show_default=True,
        help="SQLite results database.",
    )(command)


def _plan_option(setting: dataclasses.Field, prefix: str = ""):
    """One click option for a RunPlan (or OpsPlan) field, from its type, default, bounds and help (timing.setting);
    ``prefix`` goes before its name (``ops_``: --ops-runs)."""
    meta, name, default = setting.metadata, prefix + setting.name, setting.default
    flag = "--" + name.replace("_", "-")
    if isinstance(default, bool):
        return click.option(f"{flag}/--{meta['off']}", name, default=default, show_default=True, help=meta["help"])
    if "lt" in meta:  # a fraction: '1%' or '0.01'
        return click.option(
            flag,
            name,
            default=f"{default:g}",
            show_default=True,
            callback=parse_fraction(meta["lt"]),
            help=meta["help"],
        )
    low = meta.get("ge", meta.get("gt"))
    kind = (
        (click.IntRange(min=low) if isinstance(default, int) else click.FloatRange(min=low, min_open="gt" in meta))
        if low is not None
        else type(default)
    )
    return click.option(flag, name, type=kind, default=default, show_default=True, help=meta["help"])


def plan_options(command):
    """One option per RunPlan field (--runs, --max-seconds, --together/--apart, ...), handed to ``command`` as one
    ``plan``; a field added to RunPlan is an option here with no other change."""
    from mbench.measure.timing import RunPlan

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        settings = {f.name: kwargs.pop(f.name) for f in dataclasses.fields(RunPlan)}
        return command(*args, plan=RunPlan(**settings), **kwargs)

    for setting in reversed(dataclasses.fields(RunPlan)):
        wrapper = _plan_option(setting)(wrapper)
    return wrapper


def ops_plan_options(command):
    """One option per OpsPlan field, named --ops-... (--ops-runs, ...), handed to ``command`` as one ``ops_plan``."""
    from mbench.measure.passes import OpsPlan

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        settings = {f.name: kwargs.pop("ops_" + f.name) for f in dataclasses.fields(OpsPlan)}
        return command(*args, ops_plan=OpsPlan(**settings), **kwargs)

    for setting in reversed(dataclasses.fields(OpsPlan)):
        wrapper = _plan_option(setting, "ops_")(wrapper)
    return wrapper
