"""The model registry: a decorator adds a ModelSpec under a unique name.

A name of the form ``base@variant`` (e.g. ``resnet50@standard``) is a variant of a registered model: ``get`` resolves
it like any name, and ``names()`` lists it only when asked, so the default zoo is the small configurations.
"""
from __future__ import annotations

from typing import Callable

from mbench.spec import ModelSpec

_REGISTRY: dict[str, ModelSpec] = {}


class UnknownModelError(KeyError):
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


VARIANT_SEPARATOR = "@"


def names(variants: bool = False) -> list[str]:
    """Registered names, without ``base@variant`` names unless ``variants``."""
    return sorted(n for n in _REGISTRY if variants or VARIANT_SEPARATOR not in n)
