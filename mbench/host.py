"""What this machine's CPU is, for the context a figure is stored with: its model and the vector extensions that
decide which kernels a runtime picks, so that a number measured on one CPU is not read as another's.

An int8 figure depends on them in speed and in value: ONNX Runtime's documentation on quantization says its u8s8
kernels on x86-64 CPUs with AVX2 or AVX-512 but without VNNI (VPMADDUBSW) can saturate and lose accuracy, and
suggests ``reduce_range`` there. The same int8 artifact's parity can differ several-fold between two CPUs that
differ in VNNI alone (benchmarks/RESULTS.md), so rows record the flags.
"""

from __future__ import annotations

import platform
from functools import lru_cache

# Extensions that select a runtime's fp32, fp16 and int8 kernels: x86-64 (/proc/cpuinfo "flags") and Arm ("Features")
KERNEL_FEATURES = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "asimddp",
    "asimdhp",
    "fphp",
    "i8mm",
    "bf16",
    "sve",
    "sve2",
)


@lru_cache(maxsize=1)
def _cpuinfo() -> str:
    """/proc/cpuinfo, read once a process: every row's context asks for it, and the CPU does not change."""
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def _field(name: str) -> str:
    return next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo().splitlines() if line.split(":", 1)[0].strip() == name), ""
    )


def cpu_model() -> str:
    """The CPU's model name ("model name" in /proc/cpuinfo), else what the platform module says."""
    return _field("model name") or platform.processor()


def cpu_features() -> str:
    """Of ``KERNEL_FEATURES``, those this CPU has, in that order; "not readable" without /proc/cpuinfo."""
    found = set((_field("flags") or _field("Features")).split())
    return " ".join(f for f in KERNEL_FEATURES if f in found) if found else "not readable"
