"""A model's inputs as a user writes them: ``SHAPE[:DTYPE[:LIMIT]]`` per input, in forward's argument order.

``1,3,224,224`` is one float32 input. Several inputs are given once each or joined by ``;``
(``1,3,224,224;1,1,224,224``). A dtype other than float32 follows a colon (``1,16:int64``); an integer input's seeded
values (parity, timing, calibration) are drawn from [0, LIMIT), 2 when not given (``1,16:int64:30522`` for token ids
below a vocabulary of 30522).
"""

from __future__ import annotations

from collections.abc import Iterable

from mbench.models.loading import ModelSourceError
from mbench.spec import InputSpec

DTYPES = ("float32", "int64", "int32", "bool")
INTEGER_DTYPES = ("int64", "int32")
EXAMPLE = "e.g. 1,3,224,224, or 1,3,224,224;1,16:int64 for two inputs"


def parse_inputs(texts: str | Iterable[str]) -> tuple[InputSpec, ...]:
    """One InputSpec per input: named ``input`` when there is one, else ``input_0``, ``input_1``, ..."""
    parts = [part.strip() for text in ([texts] if isinstance(texts, str) else texts) for part in text.split(";")]
    parts = [part for part in parts if part]
    if not parts:
        raise ModelSourceError(f"no input shape given: {EXAMPLE}")
    names = ["input"] if len(parts) == 1 else [f"input_{i}" for i in range(len(parts))]
    return tuple(parse_input(part, name) for part, name in zip(parts, names))


def parse_input(text: str, name: str) -> InputSpec:
    shape_text, _, rest = text.partition(":")
    dtype, _, limit_text = rest.partition(":")
    dtype = dtype.strip() or "float32"
    try:
        shape = tuple(int(d) for d in shape_text.split(","))
    except ValueError:
        raise ModelSourceError(f"{text!r}: expected comma-separated integers such as 1,3,224,224") from None
    if len(shape) < 1 or min(shape) < 1:
        raise ModelSourceError(f"{text!r}: expected positive dimensions such as 1,3,224,224")
    if dtype not in DTYPES:
        raise ModelSourceError(f"{text!r}: dtype {dtype!r} is not one of {', '.join(DTYPES)} ({EXAMPLE})")
    return InputSpec(name, shape, "NCHW" if len(shape) == 4 else "", dtype, _limit(text, dtype, limit_text))


def _limit(text: str, dtype: str, limit_text: str) -> int | None:
    if not limit_text:
        return None
    if dtype not in INTEGER_DTYPES or not limit_text.strip().isdigit() or int(limit_text) < 1:
        raise ModelSourceError(
            f"{text!r}: a limit after the dtype is a positive integer bound for "
            f"{' or '.join(INTEGER_DTYPES)} inputs, e.g. 1,16:int64:30522"
        )
    return int(limit_text)


def format_inputs(inputs: tuple[InputSpec, ...]) -> str:
    """The text ``parse_inputs`` reads back to ``inputs`` (names aside)."""
    return ";".join(
        ",".join(map(str, i.shape))
        + ("" if i.dtype == "float32" else f":{i.dtype}")
        + (f":{i.limit}" if i.limit else "")
        for i in inputs
    )
