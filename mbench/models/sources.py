"""Resolve where a model comes from: a registry name, ``path/to/file.py:factory`` or ``package.module:factory``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from mbench.capture import output_of
from mbench.models.inputs import EXAMPLE
from mbench.models.loading import ModelSourceError, import_failure, load_file
from mbench.spec import InputSpec, ModelSpec

__all__ = ["ModelSourceError", "absolute_source", "default_name", "spec_from_source"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def spec_from_source(
    source: str, inputs: tuple[int, ...] | tuple[InputSpec, ...] | None = None, name: str | None = None
) -> ModelSpec:
    """A registry name gives its spec; ``module:factory`` needs its ``inputs`` (InputSpecs in forward's order, or the
    shape of its only input) and is named ``name``, by default after its file's stem or its module's last part (never
    the factory, which is usually called ``build``). Its output names are read from its forward pass at conversion."""
    if ":" not in source:
        from mbench import models

        return models.get(source)
    if not inputs:
        raise ModelSourceError(
            f"model {source!r} is a user model: give its input shape, {EXAMPLE} (--input-shape once per input)"
        )
    specs = tuple(inputs) if isinstance(inputs[0], InputSpec) else (InputSpec("input", tuple(inputs)),)
    factory, printed = output_of(lambda: _load_factory(source))  # warnings of what it imports go to its log
    name = name or default_name(source)
    if not _NAME.fullmatch(name):
        raise ModelSourceError(
            f"model name {name!r} (for --model {source!r}) must be 1-64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit (it names a folder); pass --name NAME"
        )
    return ModelSpec(
        name,
        factory,
        specs,
        (),
        "custom",
        f"user model from {source}",
        source=source,
        printed=printed,
    )


def default_name(source: str) -> str:
    """``nets/effnet.py:build`` -> ``effnet``; ``pkg.nets.effnet:build`` -> ``effnet``."""
    location = source.rpartition(":")[0]
    stem = Path(location).stem if location.endswith(".py") else location.rsplit(".", 1)[-1]
    return stem.replace("_", "-")


def _load_factory(source: str):
    location, _, attr = source.rpartition(":")
    if location.endswith(".py"):
        path = Path(location).resolve()
        if not path.is_file():
            raise ModelSourceError(f"model file {location!r} does not exist (from --model {source!r})")
        module = load_file(path, f"mbench_user_{path.stem}")
    else:
        module = _import(location, source)
    if not callable(getattr(module, attr, None)):
        raise ModelSourceError(
            f"{location!r} has no callable {attr!r} (from --model {source!r}); expected a factory "
            "returning a torch.nn.Module"
        )
    return getattr(module, attr)


def _import(location: str, source: str):
    """The module named ``location``; one that is absent is a ModelSourceError, one that fails as it loads a
    ModelLoadError."""
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        if error.name and f"{location}.".startswith(f"{error.name}."):
            raise ModelSourceError(f"cannot import module {location!r} for --model {source!r}: {error}") from None
        raise import_failure(location, error) from error
    except Exception as error:  # noqa: BLE001  (whatever the module raises is reported with its place and fix)
        raise import_failure(location, error) from error


def absolute_source(source: str) -> str:
    """Make a file-based source absolute so a manifest stays valid from any working directory."""
    location, sep, attr = source.rpartition(":")
    if sep and location.endswith(".py"):
        return f"{Path(location).resolve()}:{attr}"
    return source
