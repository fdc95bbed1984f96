"""Module paths as ``named_modules()`` spells them, and the few operations the runtimes' mappings share.

The model's own ``forward`` (ops outside any submodule, e.g. a final ``torch.sigmoid``) is ``ROOT``. An operator
that stands for several modules (a fused node, a delegate block) carries them all, joined by ``SEPARATOR``, its
primary module first (the convolution's in a fused Conv+BatchNorm+ReLU); a delegate block has none."""

from __future__ import annotations

import re

ROOT = "(root)"
SEPARATOR = ";"
DELEGATE_BLOCK = "delegate block"  # how a delegate call kept whole was placed
_PARAMETER = re.compile(r"^(?P<module>[A-Za-z0-9_.]+?)\.(?:weight|bias)(?:_[A-Za-z0-9_]*)?$")


def joined(modules) -> str:
    """Module paths in first-seen order without repeats, joined by ``SEPARATOR`` ('' for none)."""
    return SEPARATOR.join(dict.fromkeys(m for m in modules if m is not None))


def split(module: str) -> list[str]:
    return [m for m in module.split(SEPARATOR) if m] if module else []


def from_scope(path: str) -> str:
    """A module path from a runtime's scope, ``''`` (the root module) as ``ROOT``."""
    return path or ROOT


def parameter_module(name: str) -> str | None:
    """The module that owns a parameter called ``name`` (``wide.conv.weight`` and a quantizer's
    ``wide.conv.weight_quantized`` -> ``wide.conv``); None for names that are not a dotted parameter path."""
    found = _PARAMETER.match(name)
    return found.group("module") if found else None


def shown_as(module: str, placed: str) -> str:
    """The one module a view files an operator under: its primary module; for a delegate block, the deepest module
    holding all it covers, or ``(block of N modules)``."""
    parts = split(module)
    if DELEGATE_BLOCK not in split(placed):
        return parts[0] if parts else ""
    shared = common_ancestor(module)
    return shared if SEPARATOR not in shared else f"(block of {len(parts)} modules)"


def common_ancestor(module: str) -> str:
    """The deepest module that contains every module in ``module`` (``wide.conv;wide.bn`` -> ``wide``), or the
    joined text itself where they share none but the root."""
    parts = split(module)
    if len(parts) <= 1 or ROOT in parts:
        return module
    paths = [p.split(".") for p in parts]
    shared = []
    for names in zip(*paths):
        if len(set(names)) > 1:
            break
        shared.append(names[0])
    return ".".join(shared) if shared else module
