"""The errors mbench expects and the exit codes of its command line.

Every error a user can act on derives from ``MBenchError``: its message names the file, key or value and what
would be valid. The command line maps it, and any other failure, to ``ExitCode.ERROR``, so a CI gate never reads an
error as a verdict (a regression found, or a comparison that cannot tell).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REGRESSION = 1  # `mbench compare`: a metric got worse past the threshold
    USAGE = 2  # the command line itself was wrong (click's usage errors)
    INCONCLUSIVE = 3  # `mbench compare`: the machine moved too much to tell
    ERROR = 4  # anything else that failed: bad input, a missing run, a tool that broke


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 regression found (compare), 2 usage error, 3 inconclusive (compare), 4 any other error."
)


class MBenchError(Exception):
    """An error a user can act on; the command line prints its message and exits with ``ExitCode.ERROR``."""
