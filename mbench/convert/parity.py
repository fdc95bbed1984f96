"""The one rule that judges an artifact's parity with fp32 PyTorch: how far may a precision stray.

An artifact's max |artifact - PyTorch| on the fixed parity input may be at most the larger of the model's absolute
tolerance (``ModelSpec.parity_atol``) and a fraction of the largest |PyTorch output| (outputs differ in scale):
1e-4 for fp32, 1e-2 for fp16, 1e-1 for every int8 and palette precision. Beyond it the row is flagged
``parity_exceeded`` with the figure and the tolerance; the number is still stored.
"""
from __future__ import annotations

from typing import assert_never

from mbench.results import details_of
from mbench.spec import Precision

FLAG = "parity_exceeded"


def relative_tolerance(precision: Precision) -> float:
    """Allowed |artifact - PyTorch| as a fraction of the largest |PyTorch output|."""
    match precision:
        case Precision.FP32:
            return 1e-4
        case Precision.FP16:
            return 1e-2
        case (Precision.INT8 | Precision.INT8_DYNAMIC | Precision.INT8_WEIGHTS | Precision.PALETTE8 |
              Precision.PALETTE6 | Precision.PALETTE4):
            return 1e-1
        case _:
            assert_never(precision)


def tolerance(atol: float, precision: Precision, scale: float) -> float:
    """The larger of the model's absolute tolerance and the precision's relative one times ``scale``."""
    return max(atol, relative_tolerance(precision) * scale)


def exceeded_text(max_abs: float, limit: float) -> str:
    return f"{FLAG}: max |Δ| {max_abs:.3g} > tolerance {limit:.3g}"


def flag_in_details(details: str) -> str:
    """The parity flag a row's details JSON carries, as text ("" when within tolerance or not judged)."""
    found = details_of(details)
    if not found.get(FLAG):
        return ""
    return exceeded_text(found["parity_max_abs"], found["tolerance"])
