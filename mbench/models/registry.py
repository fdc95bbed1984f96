"""The model registry: a decorator adds a ModelSpec under a unique name."""
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
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownModelError(f"unknown model {name!r}; registered models: {known}") from None


def names() -> list[str]:
    return sorted(_REGISTRY)
