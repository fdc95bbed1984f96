"""Resolve where a model comes from: a registry name, ``path/to/file.py:factory`` or ``package.module:factory``."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

from mbench.errors import MBenchError
from mbench.capture import output_of
from mbench.spec import InputSpec, ModelSpec


class ModelSourceError(MBenchError, ValueError):
    pass


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def spec_from_source(source: str, input_shape: tuple[int, ...] | None = None, name: str | None = None) -> ModelSpec:
    """A registry name gives its spec; ``module:factory`` needs ``input_shape`` (the model's only input, NCHW) and
    is named ``name``, by default after its file's stem or its module's last part (never the factory, which is
    usually called ``build``)."""
    if ":" not in source:
        from mbench import models

        return models.get(source)
    if input_shape is None:
        raise ModelSourceError(
            f"model {source!r} is a user model: give its input shape, e.g. --input-shape 1,3,224,224"
        )
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
        (InputSpec("input", tuple(input_shape)),),
        ("output",),
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
        module_spec = importlib.util.spec_from_file_location(f"mbench_user_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(location)
        except ImportError as error:
            raise ModelSourceError(f"cannot import module {location!r} for --model {source!r}: {error}") from None
    if not callable(getattr(module, attr, None)):
        raise ModelSourceError(
            f"{location!r} has no callable {attr!r} (from --model {source!r}); expected a factory "
            "returning a torch.nn.Module"
        )
    return getattr(module, attr)


def absolute_source(source: str) -> str:
    """Make a file-based source absolute so a manifest stays valid from any working directory."""
    location, sep, attr = source.rpartition(":")
    if sep and location.endswith(".py"):
        return f"{Path(location).resolve()}:{attr}"
    return source
