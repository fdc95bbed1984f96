"""The model registry: a decorator adds a ModelSpec under a unique name.

A name of the form ``base@variant`` (e.g. ``resnet50@standard``) is a variant of a registered model: ``get`` resolves
it like any name, and ``names()`` lists it only when asked, so the default zoo is the small configurations.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from collections.abc import Callable

from mbench.errors import MBenchError
from mbench.spec import ModelSpec

_REGISTRY: dict[str, ModelSpec] = {}
_PAIRS: list[tuple[str, str]] = []
MODULES_VARIABLE = "MBENCH_MODEL_MODULES"


class UnknownModelError(MBenchError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def register(make_spec: Callable[[], ModelSpec]) -> Callable[[], ModelSpec]:
    """Register the spec returned by ``make_spec``; a second model of the same name is refused."""
    spec = make_spec()
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is already registered; names must be unique")
    _REGISTRY[spec.name] = spec
    return make_spec


def get(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(names(variants=True))
        raise UnknownModelError(f"unknown model {name!r}; registered models: {known}") from None


def register_pair(large: str, small: str) -> None:
    """Declare two registered models that reports compare first (a headline: latency and size ratios, accuracy)."""
    if (large, small) not in _PAIRS:
        _PAIRS.append((large, small))


def headline_pairs() -> list[tuple[str, str]]:
    """The pairs declared with the models, in the order declared."""
    return list(_PAIRS)


def load_modules(names_or_files: str) -> None:
    """Import each comma-separated module name or ``.py`` file once, so that the models it registers exist."""
    for entry in filter(None, (part.strip() for part in names_or_files.split(","))):
        if not entry.endswith(".py"):
            importlib.import_module(entry)
            continue
        name = f"mbench_models_{Path(entry).stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, entry)
        if spec is None or spec.loader is None or not Path(entry).is_file():
            raise UnknownModelError(f"{MODULES_VARIABLE}: {entry} is not a Python file that can be loaded")
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


VARIANT_SEPARATOR = "@"


def names(variants: bool = False) -> list[str]:
    """Registered names, without ``base@variant`` names unless ``variants``."""
    return sorted(n for n in _REGISTRY if variants or VARIANT_SEPARATOR not in n)
