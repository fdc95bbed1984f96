"""Run a model's own code (its file, its factory, its forward pass) and say, when that fails, what failed and where.

Each stage that runs the model's code turns an exception into a ``ModelLoadError``: one paragraph naming the file
(and line where Python gives one), the stage, the underlying message in one line, and the likely fix. The original
exception stays attached as the error's cause, for ``--verbose``.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from pathlib import Path

from mbench.errors import MBenchError
from mbench.models.outputs import FORMS, OutputFormError, named_outputs
from mbench.spec import InputSpec, ModelSpec


class ModelSourceError(MBenchError, ValueError):
    """A model source that names no model mbench can find (a missing file, factory, shape or a bad name)."""


class ModelLoadError(ModelSourceError):
    """The model's own code failed at one stage: loading its file, importing a package, calling its factory, the type
    the factory returned, or the forward pass."""


LOADING = "loading the file failed"
IMPORTING = "importing a package failed"
SHAPE_FIX = (
    "give the input shape as N,C,H,W matching the model (--input-shape, or input_shape in a sweep file; "
    "once per input in forward's order, e.g. 1,3,224,224, with :int64 after an integer input's shape)"
)
FACTORY_FIX = "make {name}() a factory that takes no required argument and returns a torch.nn.Module"


def load_file(path: Path, module_name: str):
    """Execute a model file as a module; a syntax error, a missing package or any error it raises is a
    ModelLoadError naming the file and line."""
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001  (whatever the file raises is reported with its place and fix)
        fix = "correct the syntax at that line" if isinstance(error, SyntaxError) else "fix the error at that line"
        raise failure(path, LOADING, error, fix) from error
    return module


def import_failure(location: str, error: Exception) -> ModelLoadError:
    """A module that exists but fails as it is imported (``package.module:factory`` sources)."""
    return failure(_module_file(location) or location, LOADING, error, "fix the error at that line")


def _module_file(location: str) -> str | None:
    try:
        found = importlib.util.find_spec(location)
    except (ImportError, ValueError):
        return None
    return found.origin if found else None


def build_model(spec: ModelSpec):
    """The spec's model in eval mode; a factory that raises or returns something else than a torch.nn.Module is a
    ModelLoadError."""
    import torch

    factory = spec.builder
    name, fix = _name(factory), FACTORY_FIX.format(name=_name(factory))
    try:
        model = factory()
    except Exception as error:  # noqa: BLE001
        raise failure(_code_file(factory), f"calling the factory {name}() failed", error, fix) from error
    if not isinstance(model, torch.nn.Module):
        where = _place(_code_file(factory), _first_line(factory))
        raise ModelLoadError(
            f"{where}: the factory returned the wrong type: {name}() returned "
            f"{type(model).__name__} ({_short(repr(model))}), not a torch.nn.Module. "
            f"Likely fix: {fix}"
        )
    return model.eval()


def run_forward(model, examples: tuple, spec: ModelSpec):
    """``model(*examples)``; an error is a ModelLoadError naming the input shapes and the likely fix."""
    try:
        return model(*examples)
    except Exception as error:  # noqa: BLE001
        raise failure(
            _code_file(spec.builder),
            f"the forward pass on input {describe_inputs(spec.inputs)} failed",
            error,
            SHAPE_FIX,
        ) from error


def read_outputs(result, spec: ModelSpec) -> list[tuple[str, object]]:
    """The forward's outputs, named (mbench.models.outputs); a form mbench cannot name is a ModelLoadError."""
    try:
        return named_outputs(result, spec.output_names)
    except OutputFormError as error:
        raise failure(
            _code_file(spec.builder), "reading the outputs failed", error, f"return {FORMS} from forward"
        ) from error


def describe_inputs(inputs: tuple[InputSpec, ...]) -> str:
    """``1x3x32x32`` for one float32 input; ``1x3x32x32, 1x16 int64`` for several."""
    return ", ".join("x".join(map(str, i.shape)) + ("" if i.dtype == "float32" else f" {i.dtype}") for i in inputs)


def failure(file, stage: str, error: BaseException, fix: str) -> ModelLoadError:
    """The paragraph for ``error`` at ``stage`` (what failed, e.g. "loading the file failed"): a missing package is
    named as such, whatever the stage."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        package = error.name.partition(".")[0]
        stage, fix = (
            IMPORTING,
            (
                f"install the package that provides {package!r} into mbench's environment "
                f"({sys.executable} -m pip install {package}), or remove the import"
            ),
        )
    where = _where(error, str(file) if file else None)
    return ModelLoadError(f"{where}: {stage}: {one_line(error)}. Likely fix: {fix}")


def one_line(error: BaseException) -> str:
    text = str(error)
    if isinstance(error, SyntaxError) and error.msg:
        text = error.msg + (f" in {error.text.strip()!r}" if error.text and error.text.strip() else "")
    return f"{type(error).__name__}: {_short(' '.join(text.split()), 400)}"


def _where(error: BaseException, file: str | None) -> str:
    """The file and line: a syntax error's own, else the last frame of the traceback inside ``file``."""
    if isinstance(error, SyntaxError) and error.filename:
        return _place(error.filename, error.lineno)
    lines = [
        frame.lineno for frame in traceback.extract_tb(error.__traceback__) if file and _same_file(frame.filename, file)
    ]
    return _place(file or "the model", lines[-1] if lines else None)


def _place(file: str, line: int | None) -> str:
    return f"{file}, line {line}" if line else str(file)


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _code_file(factory) -> str | None:
    try:
        return inspect.getsourcefile(getattr(factory, "func", factory))
    except TypeError:
        return None


def _first_line(factory) -> int | None:
    code = getattr(getattr(factory, "func", factory), "__code__", None)
    return code.co_firstlineno if code else None


def _name(factory) -> str:
    return getattr(getattr(factory, "func", factory), "__name__", "the factory")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
