"""YAML files validated by pydantic models, with errors that name the file, the line, the key and what is valid."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar
from collections.abc import Callable

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
ValidKeys = Callable[[object, list], list[str]]


def load_validated(
    path: Path,
    model: type[M],
    error: type[Exception],
    what: str,
    missing_hint: str,
    valid_keys: ValidKeys | None = None,
    skip_loc: frozenset[str] = frozenset(),
) -> M:
    """Parse ``path`` into ``model``; any problem raises ``error`` with one line per problem.

    ``skip_loc`` drops pydantic's discriminator tags from error locations; ``valid_keys(root, loc)`` lists the
    keys allowed where an unknown key was found (default: the fields of the nested model at that place)."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what} file ({missing_hint})")
    text = path.read_text()
    try:
        root = yaml.compose(text)
        data = yaml.load(text, Loader=StrictLoader)
    except DuplicateKeyError as problem:
        raise error(f"{path}:{problem}") from None
    except yaml.YAMLError as problem:
        raise error(f"{path}: not valid YAML: {problem}") from None
    try:
        return model.model_validate(data)
    except ValidationError as problems:
        keys = valid_keys or (lambda _root, loc: _model_keys(model, loc))
        raise error("\n".join(_describe(path, root, e, keys, skip_loc) for e in problems.errors())) from None


class DuplicateKeyError(yaml.YAMLError):
    pass


class StrictLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a key given twice in one mapping is an error naming the key and both lines
    (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key, line = self.construct_object(key_node), key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKeyError(
                    f"{line}: duplicate key {key!r} (lines {seen[key]} and {line}); "
                    f"each key may be given once in a mapping"
                )
            seen[key] = line
        return super().construct_mapping(node, deep)


def _describe(path: Path, root, problem: dict, valid_keys: ValidKeys, skip_loc: frozenset[str]) -> str:
    loc = [part for part in problem["loc"] if not (isinstance(part, str) and (part in skip_loc or part == "[key]"))]
    line = line_of(root, loc)
    key = ".".join(str(part) for part in loc) or "(top level)"
    where = f"{path}:{line}" if line else str(path)
    if problem["type"] == "extra_forbidden":
        return f"{where}: unknown key {key!r}; valid keys here: {', '.join(valid_keys(root, loc))}"
    return f"{where}: {key}: {problem['msg']} (got {problem.get('input')!r})"


def _model_keys(model: type[BaseModel], loc: list) -> list[str]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            break
        model = field.annotation
    return sorted(model.model_fields)


def node_at(root, loc: list):
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
        if node is None:
            return None
    return node


def line_of(root, loc: list) -> int | None:
    """The 1-based line of the key (or value) an error points at, found in the YAML's node tree."""
    parent = node_at(root, loc[:-1]) if loc else root
    if isinstance(parent, yaml.MappingNode) and loc:
        for key, _ in parent.value:
            if key.value == str(loc[-1]):
                return key.start_mark.line + 1
    node = node_at(root, loc)
    target = node or parent
    return target.start_mark.line + 1 if target is not None else None
