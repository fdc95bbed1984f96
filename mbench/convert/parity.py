"""The rules that judge an artifact's parity with fp32 PyTorch: how far may a precision stray, and when does
agreement say nothing at all. docs/parity.md explains them with measured figures.

Both figures come from the same parity inputs (mbench.convert.agreement: several seeded inputs, and task images
where the model has them), against the fp32 PyTorch model's outputs on them:

- **max |Δ|**, the largest |artifact - PyTorch| over every value, may be at most the larger of the model's absolute
  tolerance (``ModelSpec.parity_atol``) and a fraction of the largest |PyTorch output| (outputs differ in scale):
  1e-4 for fp32, 1e-2 for fp16, 1e-1 for every int8 and palette precision.
- **PSNR** = 10 log10(peak² / MSE), peak = the largest |PyTorch output| over the inputs (the same scale as the
  tolerance: a logit map and a probability map read alike, and a signed output is not credited twice its size as
  its range would), must be at least the precision's floor. fp32: 80 dB, an RMS error of 1e-4 of the peak, the
  fraction the max |Δ| tolerance allows any one value. fp16: 50 dB, about 20 dB below the 71 dB that rounding the
  output alone to fp16's 11 significant bits gives (errors compound through the layers). int8 and the palettes:
  30 dB, about 20 dB below the 53 dB of quantizing the output alone to 8 bits over ±peak. Identical outputs give an
  infinite PSNR, stored in JSON as the string "inf" (``artifacts.decibels_to_json``) and read back as float('inf').

A row beyond either bound is flagged ``parity_exceeded`` with both figures and both bounds: max |Δ| catches a few
values gone badly wrong that the mean square hides; the PSNR catches an error spread over every value that no single
one shows. The numbers are stored either way.

**Vacuous parity**: where PyTorch's outputs on the different inputs are the same (agreement.vacuous_reason), an
artifact that agrees with them checks nothing (a randomly initialised network often maps every input to one
output). Every row of such a model carries ``parity_vacuous: true`` and the reason, and nothing counts it as a pass.

Where an artifact has a task score, the report judges a lower precision by its task delta against fp32
(mbench.report.precision); these figures then stand beside the verdict as evidence.
"""

from __future__ import annotations

from typing import assert_never

from mbench.artifacts import Parity, decibels_from_json, decibels_to_json
from mbench.results import details_of
from mbench.spec import Precision

FLAG = "parity_exceeded"
VACUOUS = "parity_vacuous"


def relative_tolerance(precision: Precision) -> float:
    """Allowed |artifact - PyTorch| as a fraction of the largest |PyTorch output|."""
    match precision:
        case Precision.FP32:
            return 1e-4
        case Precision.FP16:
            return 1e-2
        case (
            Precision.INT8
            | Precision.INT8_DYNAMIC
            | Precision.INT8_WEIGHTS
            | Precision.PALETTE8
            | Precision.PALETTE6
            | Precision.PALETTE4
        ):
            return 1e-1
        case _:
            assert_never(precision)


def psnr_floor_db(precision: Precision) -> float:
    """The least PSNR against fp32 PyTorch a precision may have, in dB."""
    match precision:
        case Precision.FP32:
            return 80.0
        case Precision.FP16:
            return 50.0
        case (
            Precision.INT8
            | Precision.INT8_DYNAMIC
            | Precision.INT8_WEIGHTS
            | Precision.PALETTE8
            | Precision.PALETTE6
            | Precision.PALETTE4
        ):
            return 30.0
        case _:
            assert_never(precision)


def tolerance(atol: float, precision: Precision, scale: float) -> float:
    """The larger of the model's absolute tolerance and the precision's relative one times ``scale``."""
    return max(atol, relative_tolerance(precision) * scale)


def exceeded_text(
    max_abs: float | None, limit: float | None, psnr: float | None = None, floor: float | None = None
) -> str:
    """'parity_exceeded: max |Δ| 0.93 > tolerance 0.768, PSNR 31.2 dB >= 20 dB': each figure against its bound."""
    parts = [f"max |Δ| {max_abs:.3g} {'>' if max_abs > limit else '<='} tolerance {limit:.3g}"]
    if psnr is not None and floor is not None:
        parts.append(f"PSNR {psnr_text(psnr)} {'<' if psnr < floor else '>='} {floor:g} dB")
    return f"{FLAG}: {', '.join(parts)}"


def psnr_text(psnr: float) -> str:
    return "inf dB (identical)" if psnr == float("inf") else f"{psnr:.1f} dB"


def parity_details(parity: Parity) -> dict:
    """What a parity row's details hold: the figures, the bounds they were judged by, the flag, where measured."""
    return {
        "tolerance": parity.tolerance,
        "parity_max_abs": parity.max_abs,
        FLAG: parity.exceeded,
        "parity_cpu": parity.cpu,
        "psnr_db": decibels_to_json(parity.psnr_db),
        "psnr_floor_db": parity.psnr_floor_db,
        "parity_inputs": parity.inputs,
    }


def vacuous_details(reason: str) -> dict:
    """``parity_vacuous`` and its reason for every row of a model whose outputs say nothing; {} otherwise."""
    return {VACUOUS: True, "parity_vacuous_reason": reason} if reason else {}


def psnr_in_details(details: str) -> float | None:
    """A row's PSNR in dB as a float (inf for identical outputs), None where the row has none."""
    return decibels_from_json(details_of(details).get("psnr_db"))


def flag_in_details(details: str) -> str:
    """The parity flag a row's details JSON carries, as text ("" when within its bounds or not judged): vacuous
    parity first, since then the figures say nothing."""
    found = details_of(details)
    if found.get(VACUOUS):
        return f"{VACUOUS}: {found.get('parity_vacuous_reason', '')}"
    if not found.get(FLAG):
        return ""
    return exceeded_text(
        found["parity_max_abs"], found["tolerance"], psnr_in_details(details), found.get("psnr_floor_db")
    )
